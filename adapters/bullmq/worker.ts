import { DelayedError, type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { PermanentStepError } from '../../scenarios/runtime.js';
import type { StartWorker } from '../types.js';
import { jobId, keys, PREFIX, queueName, type StepJobData, stepJobOptions } from './keys.js';
import type { BullmqKnobs } from './knobs.js';

type StepJob = Job<StepJobData & { approvalRequested?: boolean }>;

export const startWorker: StartWorker<BullmqKnobs> = async ({ config, plan, runtime }) => {
  const { cell, knobs } = config;
  const endpoint = config.endpoints.redis;
  if (!endpoint) throw new Error('bullmq worker started without a Redis endpoint');
  // BullMQ requires maxRetriesPerRequest: null on worker connections.
  const connection = new Redis({ ...endpoint, maxRetriesPerRequest: null });
  const queue = new Queue<StepJobData>(queueName(cell), { connection, prefix: PREFIX });

  /**
   * Records a step in the run's done-set; when the set is full, announces the run on
   * the completion list. Plain commands, not a script: a Lua call costs Redis as much
   * as a whole command batch. A worker killed between the two leaves its job
   * unfinished, so the job re-runs and announces the run then; the driver keeps the
   * first announcement of a run.
   */
  const markDone = async (runId: string, stepId: string): Promise<void> => {
    const done = keys.done(cell, runId);
    const replies = await connection.multi().sadd(done, stepId).scard(done).exec();
    const finished = replies?.[1]?.[1];
    if (finished === plan.instances.length) await connection.rpush(keys.completions(cell), runId);
  };

  const advance = async (runId: string, stepId: string): Promise<void> => {
    await markDone(runId, stepId);
    const ready: string[] = [];
    for (const next of plan.dependents.get(stepId) ?? []) {
      const deps = plan.byId.get(next)!.dependsOn;
      const flags = deps.length === 1 ? [1] : await connection.smismember(keys.done(cell, runId), ...deps);
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
