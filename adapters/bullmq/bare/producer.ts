/**
 * Bare BullMQ, the producer (scenarios/bare-protocol.ts): adds the bench's no-op jobs as
 * fast as BullMQ takes them, with the adapter's attempts and backoff, and counts their
 * completions the way a BullMQ user would, from the queue's events (QueueEvents).
 */
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { redisClientOptions } from '../../../core/credentials.js';
import { readBareConfig, reportResult } from '../../../scenarios/bare-protocol.js';
import type { BullmqKnobs } from '../knobs.js';

const config = readBareConfig<BullmqKnobs>();
const { runs, knobs } = config;
const client = { ...redisClientOptions(config.services.redis!), maxRetriesPerRequest: null };
// Every job's events are kept until read (BullMQ trims the stream at 10,000 by default,
// which a reader behind by that many would lose completions to).
const queue = new Queue(config.name, {
  connection: new Redis(client),
  streams: { events: { maxLen: runs * 10 } },
});
// From the stream's start: the queue is new, and no completion may come before the first read.
const events = new QueueEvents(config.name, { connection: new Redis(client), lastEventId: '0' });
await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);

let completed = 0;
const allDone = new Promise<number>((resolve) => {
  events.on('completed', () => {
    if (++completed === runs) resolve(performance.now());
  });
});
const startedAt = performance.now();
const options = { attempts: knobs.attempts, backoff: knobs.backoff };
for (let i = 0; i < runs; i++) void queue.add('noop', { i }, options);
const seconds = ((await allDone) - startedAt) / 1000;
reportResult(config, { completed, seconds });
await Promise.all([events.close(), queue.close()]);
process.exit(0);
