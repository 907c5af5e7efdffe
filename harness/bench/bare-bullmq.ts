/**
 * The yardstick: BullMQ with nothing of Faultline around it, one Worker at the given
 * concurrency running no-op jobs. Two shapes:
 *   preloaded  N jobs added first (in bulks of 1000), then drained: the classic figure;
 *   streamed   the worker runs while N jobs are added one by one, as the harness
 *              submits runs: the same workload shape as a Faultline cell.
 * Prints {jobs, seconds, perSec} as JSON. Runs in its own process, like a worker.
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

const [portArg, jobsArg, concurrencyArg, shape] = process.argv.slice(2);
const [port, jobs, concurrency] = [Number(portArg), Number(jobsArg), Number(concurrencyArg)];
const connection = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: null });
const name = `bare-${shape}`;
const queue = new Queue(name, { connection });

if (shape === 'preloaded') {
  for (let i = 0; i < jobs; i += 1000) {
    await queue.addBulk(
      Array.from({ length: Math.min(1000, jobs - i) }, (_, j) => ({ name: 'noop', data: { i: i + j } })),
    );
  }
}
let done = 0;
let startedAt = 0;
const finished = new Promise<number>((resolve) => {
  const worker = new Worker(
    name,
    async () => {
      if (startedAt === 0) startedAt = performance.now();
    },
    { connection, concurrency },
  );
  worker.on('completed', () => {
    if (++done === jobs) resolve(performance.now());
  });
});
if (shape === 'streamed') {
  startedAt = performance.now();
  for (let i = 0; i < jobs; i++) void queue.add('noop', { i });
}
const seconds = ((await finished) - startedAt) / 1000;
console.log(JSON.stringify({ jobs, seconds, perSec: jobs / seconds }));
process.exit(0);
