import { DelayedError, Queue, UnrecoverableError, Worker } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import { Redis } from 'ioredis';
import { redisClientOptions } from '../../core/credentials.js';
import { PermanentStepError, type StepCall } from '../../scenarios/runtime.js';
import type { StartWorker } from '../types.js';
import { createAdvance } from './advance.js';
import { createApproval, type StepJob } from './approval.js';
import type { WorkerParts } from './context.js';
import {
  COMPENSATE_JOB,
  PREFIX,
  QUEUE_STREAMS,
  queueName,
  type StepJobData,
  type StepJobResult,
} from './keys.js';
import type { BullmqKnobs } from './knobs.js';
import { createSaga } from './saga.js';

/**
 * Whether the job ends for good with this error, as BullMQ's own retry decision
 * (Job.shouldRetryJob) will see it: an UnrecoverableError (a rejection, a
 * PermanentStepError), or any other error on the job's last attempt. A DelayedError
 * only parks the job (approval re-check).
 */
export function failsForGood(
  job: { attemptsMade: number; opts: { attempts?: number } },
  error: unknown,
): boolean {
  const name = (error as Error | undefined)?.name;
  if (error instanceof DelayedError || name === 'DelayedError') return false;
  if (error instanceof UnrecoverableError || name === 'UnrecoverableError') return true;
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** One step through the shared runtime; the job's progress is a checkpointed step's checkpoint. */
function createExecute({ plan, knobs, runtime }: WorkerParts) {
  return async (job: StepJob): Promise<void> => {
    const { runId, stepId, inputVersion } = job.data;
    // BullMQ renews the lock on its own timer, so long steps need no explicit heartbeat.
    const call: StepCall = {
      runId,
      stepId,
      attempt: job.attemptsStarted,
      ...(inputVersion === undefined ? {} : { inputVersion }),
    };
    if (plan.byId.get(stepId)?.spec.kind === 'timer') {
      // The delayed job became ready: the timer fired. Its moment was set when it was enqueued.
      runtime.fireTimer(call, job.data.intendedAt ?? job.timestamp + (job.opts.delay ?? 0));
      return;
    }
    if (plan.byId.get(stepId)?.spec.checkpoint !== undefined) {
      // Kept in Redis across stalls and retries.
      call.checkpoint = (progressMs) => job.updateProgress(progressMs);
      if (knobs.resumeFromCheckpoint && typeof job.progress === 'number') call.resumeFromMs = job.progress;
    }
    try {
      await runtime.execute(call);
    } catch (error) {
      if (error instanceof PermanentStepError) throw new UnrecoverableError(error.message);
      throw error;
    }
  };
}

/** What runs a job: the handlers of one plan (one scenario version). */
function createHandlers(parts: WorkerParts) {
  return {
    plan: parts.plan,
    advance: createAdvance(parts),
    awaitApproval: createApproval(parts),
    execute: createExecute(parts),
    saga: createSaga(parts),
  };
}

/** An old worker looks again for a job of a newer version this much later (versioned jobs). */
const NEWER_JOB_RECHECK_MS = 500;

/** A BullMQ worker process: one queue per cell, a job per step (README.md). */
export const startWorker: StartWorker<BullmqKnobs> = async ({ config, plan, runtime, traces, versions }) => {
  const { cell, knobs } = config;
  const endpoint = config.endpoints.broker;
  if (!endpoint) throw new Error('bullmq worker started without a "broker" endpoint');
  // BullMQ requires maxRetriesPerRequest: null on worker connections.
  const connection = new Redis({ ...redisClientOptions(endpoint), maxRetriesPerRequest: null });
  // The adapter's own bookkeeping (fan-in sets, the saga log) on a connection of its own that
  // sends the commands of one tick in one write. BullMQ's connection is left as BullMQ has
  // it, as the bare script's is.
  const bookkeeping = new Redis({
    ...redisClientOptions(endpoint),
    maxRetriesPerRequest: null,
    enableAutoPipelining: true,
  });
  // BullMQ's own OpenTelemetry: a consumer span per job, a child of the span that added it,
  // active while the step runs; the next steps' jobs are added inside it.
  const telemetry = traces ? { telemetry: new BullMQOtel({ tracerName: 'bullmq' }) } : {};
  const queue = new Queue<StepJobData>(queueName(cell), {
    connection,
    prefix: PREFIX,
    streams: QUEUE_STREAMS,
    ...telemetry,
  });
  // Refused connections during network and backend faults are expected; ioredis retries.
  connection.on('error', () => {});
  bookkeeping.on('error', () => {});
  queue.on('error', () => {});

  const versioned = knobs.versioning === 'versioned-jobs';
  const own = config.scenarioVersion ?? 1;
  const handlers = new Map<number, ReturnType<typeof createHandlers>>();
  /** The step handlers of one scenario version: the worker's own, or an older one it kept (versioned jobs). */
  const handlersOf = (version: number) => {
    let found = handlers.get(version);
    if (!found) {
      const known = versions.get(version) ?? { plan, runtime };
      const parts: WorkerParts = {
        cell,
        plan: known.plan,
        knobs,
        runtime: known.runtime,
        connection: bookkeeping,
        queue,
        ...(versioned ? { version } : {}),
      };
      found = createHandlers(parts);
      handlers.set(version, found);
    }
    return found;
  };

  const processor = async (job: StepJob, token?: string): Promise<StepJobResult | undefined> => {
    // Without versioning every job runs with this worker's code; with it, with its enqueuer's.
    const version = versioned ? (job.data.v ?? own) : own;
    if (version > own) {
      // Code this worker does not have yet: leave the job to a newer worker.
      await job.moveToDelayed(Date.now() + NEWER_JOB_RECHECK_MS, token!);
      throw new DelayedError();
    }
    const {
      plan: versionPlan,
      advance,
      awaitApproval,
      execute,
      saga,
    } = handlersOf(versions.has(version) ? version : own);
    if (job.name === COMPENSATE_JOB) {
      await saga.compensate(job);
      return undefined;
    }
    const { runId, stepId } = job.data;
    try {
      if (versionPlan.byId.get(stepId)?.spec.kind === 'approval') await awaitApproval(job, token!);
      else await execute(job);
      // The run's end rides on the job's own completion (its event): no command of its own.
      return (await advance(runId, stepId)) ? { completedRun: runId } : undefined;
    } catch (error) {
      // The saga (RunPlan.rollsBackOnFailure): a run that fails for good gets one compensation job.
      if (versionPlan.rollsBackOnFailure && failsForGood(job, error))
        await saga.start(runId, stepId, (error as Error).message);
      throw error;
    }
  };

  const worker = new Worker<StepJobData>(queueName(cell), processor, {
    connection,
    prefix: PREFIX,
    ...telemetry,
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
      bookkeeping.disconnect();
    },
  };
};
