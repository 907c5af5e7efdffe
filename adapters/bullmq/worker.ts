import { DelayedError, type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { RunPlan } from '../../scenarios/plan.js';
import { PermanentStepError } from '../../scenarios/runtime.js';
import type { StartWorker } from '../types.js';
import { jobId, keys, PREFIX, queueName, type StepJobData, stepJobOptions } from './keys.js';
import type { BullmqKnobs } from './knobs.js';

type StepJob = Job<StepJobData & { approvalRequested?: boolean }>;

/**
 * A run is complete when its sinks are: every other step precedes one. Only steps a
 * join waits on (and the sinks, when there are several) need recording.
 */
export function fanInBookkeeping(plan: RunPlan): { sinks: string[]; recorded: Set<string> } {
  const sinks = plan.instances.filter((i) => plan.dependents.get(i.id)!.length === 0).map((i) => i.id);
  const recorded = new Set(plan.instances.filter((i) => i.dependsOn.length > 1).flatMap((i) => i.dependsOn));
  if (sinks.length > 1) for (const sink of sinks) recorded.add(sink);
  return { sinks, recorded };
}

export const startWorker: StartWorker<BullmqKnobs> = async ({ config, plan, runtime }) => {
  const { cell, knobs } = config;
  const endpoint = config.endpoints.redis;
  if (!endpoint) throw new Error('bullmq worker started without a Redis endpoint');
  // BullMQ requires maxRetriesPerRequest: null on worker connections.
  const connection = new Redis({ ...endpoint, maxRetriesPerRequest: null });
  const queue = new Queue<StepJobData>(queueName(cell), { connection, prefix: PREFIX });

  const bookkeeping = fanInBookkeeping(plan);

  /**
   * Fan-in bookkeeping, kept to what a join needs: a step goes into the run's done-set
   * only when a join (or the completion check of a run with several sinks) will look
   * for it. A worker killed before it enqueues the next steps leaves its job unfinished;
   * the job re-runs and does it then (SADD and job ids make that idempotent), and the
   * driver keeps the first announcement of a run.
   */
  const advance = async (runId: string, stepId: string): Promise<void> => {
    const done = keys.done(cell, runId);
    if (bookkeeping.recorded.has(stepId)) await connection.sadd(done, stepId);
    if (bookkeeping.sinks.includes(stepId)) {
      const allSinks =
        bookkeeping.sinks.length === 1 ||
        (await connection.smismember(done, ...bookkeeping.sinks)).every((f) => f === 1);
      if (allSinks) await connection.rpush(keys.completions(cell), runId);
    }
    const ready: string[] = [];
    for (const next of plan.dependents.get(stepId) ?? []) {
      const deps = plan.byId.get(next)!.dependsOn;
      const flags = deps.length === 1 ? [1] : await connection.smismember(done, ...deps);
      if (flags.every((f) => f === 1)) ready.push(next);
    }
    if (ready.length > 0) {
      await queue.addBulk(
        ready.map((next) => ({
          name: next,
          data: { runId, stepId: next },
          opts: stepJobOptions(runId, next, knobs),
        })),
      );
    }
  };

  const awaitApproval = async (job: StepJob, token: string): Promise<void> => {
    const { runId, stepId } = job.data;
    const call = { runId, stepId, attempt: 1 };
    const decision = await connection.hget(keys.decisions(cell), jobId(runId, stepId));
    if (decision === null) {
      // Delayed re-check: the job parks itself instead of holding a worker slot while a human thinks.
      if (!job.data.approvalRequested) {
        await runtime.requestApproval(call);
        await job.updateData({ ...job.data, approvalRequested: true });
      }
      await job.moveToDelayed(Date.now() + knobs.approvalRecheckMs, token);
      throw new DelayedError();
    }
    runtime.completeApproval(call, decision === 'approved');
    if (decision !== 'approved') throw new UnrecoverableError(`${stepId} rejected by the approver`);
  };

  const processor = async (job: StepJob, token?: string): Promise<void> => {
    const { runId, stepId } = job.data;
    if (plan.byId.get(stepId)?.spec.kind === 'approval') {
      await awaitApproval(job, token!);
    } else {
      try {
        // BullMQ renews the lock on its own timer, so long steps need no explicit heartbeat.
        await runtime.execute({ runId, stepId, attempt: job.attemptsStarted });
      } catch (error) {
        if (error instanceof PermanentStepError) throw new UnrecoverableError(error.message);
        throw error;
      }
    }
    await advance(runId, stepId);
  };

  const worker = new Worker<StepJobData>(queueName(cell), processor, {
    connection,
    prefix: PREFIX,
    concurrency: knobs.concurrency,
    lockDuration: knobs.lockDuration,
    stalledInterval: knobs.stalledInterval,
    maxStalledCount: knobs.maxStalledCount,
  });
  // Connection errors during network faults are expected; ioredis reconnects by itself.
  worker.on('error', () => {});
  await worker.waitUntilReady();

  return {
    async close() {
      await worker.close();
      await queue.close();
      connection.disconnect();
    },
  };
};
