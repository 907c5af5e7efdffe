import { Queue } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import { Redis } from 'ioredis';
import { redisClientOptions } from '../../core/credentials.js';
import type { AdapterDriver, ApprovalDecision, DriverContext, RunOutcome } from '../types.js';
import {
  COMPENSATE_JOB,
  compensateJobId,
  jobId,
  keys,
  PREFIX,
  QUEUE_STREAMS,
  queueName,
  type RunFailure,
  type StepJobData,
  type StepJobResult,
  stepJob,
} from './keys.js';
import type { BullmqKnobs } from './knobs.js';

const FAILED_POLL_MS = 500;

/**
 * The harness side of BullMQ. Completions are read from the queue's own events stream, as
 * a BullMQ application's QueueEvents reads them: the `completed` event of a run's last sink
 * carries the run in its return value (keys.ts, StepJobResult), written by the script that
 * completes the job, so a worker spends no command of its own on it. Failed runs that were
 * rolled back (saga) arrive on a list, once their compensation job is done. Other final
 * failures are read from the queue's failed set, because a job failed by the stall
 * checker fires no worker event: those runs get no compensation (the processor never
 * learnt they failed).
 */
export class BullmqDriver implements AdapterDriver {
  private connection!: Redis;
  private blocking!: Redis;
  private events!: Redis;
  private queue!: Queue<StepJobData>;
  private onRunDone: (outcome: RunOutcome) => void = () => {};
  private readonly reported = new Set<string>();
  /** Failed step jobs whose run has a compensation job: announced by it, not by the failed set. */
  private readonly rollingBack = new Set<string>();
  private stopping = false;
  /** Ends the failed-set poll's wait at teardown instead of after it. */
  private wakePoll: () => void = () => {};
  private loops: Promise<void>[] = [];

  constructor(private readonly ctx: DriverContext<BullmqKnobs>) {}

  async setup(): Promise<void> {
    const endpoint = this.ctx.services.redis;
    if (!endpoint) throw new Error('bullmq needs Redis, which was not started');
    // Credentials and TLS, when the endpoint says so, from the environment (core/credentials.ts).
    const client = redisClientOptions(endpoint);
    this.connection = new Redis({ ...client, maxRetriesPerRequest: null });
    this.blocking = new Redis({ ...client, maxRetriesPerRequest: null });
    this.events = new Redis({ ...client, maxRetriesPerRequest: null });
    this.queue = new Queue(queueName(this.ctx.cell), {
      connection: this.connection,
      prefix: PREFIX,
      streams: QUEUE_STREAMS,
      // BullMQ's own OpenTelemetry: each add is a producer span in the run's trace, and
      // carries its context to the worker that processes the job.
      ...(this.ctx.traces ? { telemetry: new BullMQOtel({ tracerName: 'bullmq' }) } : {}),
    });
    // A backend restart refuses connections for a while; ioredis reconnects by itself,
    // and without listeners it would print every refused attempt as unhandled.
    for (const emitter of [this.connection, this.blocking, this.events, this.queue])
      emitter.on('error', () => {});
    await this.queue.waitUntilReady();
    // From the stream's end as it is now: a queue of the same cell on an external Redis may
    // hold an earlier run's events, whose run ids this run reuses.
    const stream = this.queue.keys.events!;
    const [latest] = await this.connection.xrevrange(stream, '+', '-', 'COUNT', 1);
    this.loops = [
      this.readCompletions(stream, latest?.[0] ?? '0-0'),
      this.popFailures(),
      this.pollFailures(),
    ];
  }

  observe(onRunDone: (outcome: RunOutcome) => void): void {
    this.onRunDone = onRunDone;
  }

  async submit(runId: string): Promise<void> {
    const { plan, knobs } = this.ctx;
    // Root jobs carry no version: the worker that takes one runs it with its own code.
    const jobs = plan.roots.map((stepId) => stepJob(plan, runId, stepId, knobs));
    // add costs half of a one-job addBulk (no MULTI): it matters at thousands of runs/s.
    if (jobs.length === 1) {
      const [job] = jobs as [(typeof jobs)[number]];
      await this.queue.add(job.name, job.data, job.opts);
      return;
    }
    await this.queue.addBulk(jobs);
  }

  async signal(runId: string, stepId: string, decision: ApprovalDecision): Promise<void> {
    await this.connection.hset(
      keys.decisions(this.ctx.cell),
      jobId(runId, stepId),
      decision.approved ? 'approved' : 'rejected',
    );
  }

  async teardown(): Promise<void> {
    this.stopping = true;
    // Closing the two blocking connections rejects their pending XREAD/BLMPOP at once: the
    // loops would otherwise sit out their 1 s block, a second of every BullMQ cell's teardown.
    this.blocking?.disconnect();
    this.events?.disconnect();
    this.wakePoll();
    await Promise.allSettled(this.loops);
    await this.queue?.close();
    this.connection?.disconnect();
  }

  private report(outcome: RunOutcome): void {
    if (this.reported.has(outcome.runId)) return;
    this.reported.add(outcome.runId);
    this.onRunDone(outcome);
  }

  /** The events stream from `after` on: each run announced by its last sink's `completed` event. */
  private async readCompletions(stream: string, after: string): Promise<void> {
    let last = after;
    while (!this.stopping) {
      // Up to 1000 events per round trip; waits at most 1 s for the first.
      const read = await this.events
        .xread('COUNT', 1000, 'BLOCK', 1000, 'STREAMS', stream, last)
        .catch(() => null);
      if (read === null) continue;
      for (const [, entries] of read) {
        for (const [id, fields] of entries) {
          last = id;
          const runId = completedRun(fields);
          if (runId !== undefined) this.report({ runId, status: 'completed' });
        }
      }
      // Read: nobody else needs them, and the stream stays short however long the cell.
      void this.connection.xtrim(stream, 'MINID', last).catch(() => {});
    }
  }

  /** Rolled-back runs, pushed by their compensation job. */
  private async popFailures(): Promise<void> {
    const failures = keys.failures(this.ctx.cell);
    while (!this.stopping) {
      // BLMPOP takes up to 1000 entries per round trip and waits at most 1 s.
      const popped = (await this.blocking
        .call('BLMPOP', '1', '1', failures, 'LEFT', 'COUNT', '1000')
        .catch(() => null)) as [string, string[]] | null;
      if (popped === null) continue;
      for (const entry of popped[1]) {
        const { runId, ...output } = JSON.parse(entry) as RunFailure;
        this.report({ runId, status: 'failed', output });
      }
    }
  }

  private async pollFailures(): Promise<void> {
    let seen = 0;
    while (!this.stopping) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, FAILED_POLL_MS);
        this.wakePoll = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (this.stopping) return;
      const failed = await this.queue.getFailedCount().catch(() => seen);
      if (failed === seen) continue;
      seen = failed;
      // Redis unreachable mid-read (a fault): read the whole failed set again next round.
      await this.readFailed().catch(() => {
        seen = -1;
      });
    }
  }

  private async readFailed(): Promise<void> {
    for (const job of await this.queue.getFailed(0, -1)) {
      if (!job || this.reported.has(job.data.runId)) continue;
      if (job.name === COMPENSATE_JOB) {
        // The saga itself gave up: the run failed with effects still applied.
        this.report({
          runId: job.data.runId,
          status: 'failed',
          output: { step: job.data.stepId, reason: `compensation failed: ${job.failedReason}` },
        });
        continue;
      }
      if (this.rollingBack.has(job.data.runId)) continue;
      // The worker that failed this job added the run's compensation job first: wait for it.
      if (this.ctx.plan.rollsBackOnFailure && (await this.queue.getJob(compensateJobId(job.data.runId)))) {
        this.rollingBack.add(job.data.runId);
        continue;
      }
      this.report({
        runId: job.data.runId,
        status: 'failed',
        output: { step: job.data.stepId, reason: job.failedReason },
      });
    }
  }
}

/**
 * The run a `completed` event announces, if it does: the event's fields as Redis returns
 * them (name, value, …), the return value as BullMQ stored it (JSON of StepJobResult).
 */
export function completedRun(fields: readonly string[]): string | undefined {
  let event: string | undefined;
  let returned: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'event') event = fields[i + 1];
    else if (fields[i] === 'returnvalue') returned = fields[i + 1];
  }
  // Most completions announce nothing (their value is null): no JSON to parse for them.
  if (event !== 'completed' || returned === undefined || !returned.startsWith('{')) return undefined;
  try {
    const run = (JSON.parse(returned) as StepJobResult | null)?.completedRun;
    return typeof run === 'string' ? run : undefined;
  } catch {
    return undefined;
  }
}
