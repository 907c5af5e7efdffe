import { DelayedError, type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { compensationOrder, type RunPlan } from '../../scenarios/plan.js';
import { PermanentStepError, type StepCall } from '../../scenarios/runtime.js';
import type { StartWorker } from '../types.js';
import {
  COMPENSATE_JOB,
  jobId,
  keys,
  PREFIX,
  queueName,
  type RunFailure,
  type StepJobData,
  stepJobOptions,
} from './keys.js';
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

export const startWorker: StartWorker<BullmqKnobs> = async ({ config, plan, runtime }) => {
  const { cell, knobs } = config;
  const endpoint = config.endpoints.broker;
  if (!endpoint) throw new Error('bullmq worker started without a "broker" endpoint');
  // BullMQ requires maxRetriesPerRequest: null on worker connections.
  const connection = new Redis({ host: endpoint.host, port: endpoint.port, maxRetriesPerRequest: null });
  const queue = new Queue<StepJobData>(queueName(cell), { connection, prefix: PREFIX });
  // Refused connections during network and backend faults are expected; ioredis retries.
  connection.on('error', () => {});
  queue.on('error', () => {});

  const bookkeeping = fanInBookkeeping(plan);
  // The saga (RunPlan.rollsBackOnFailure): compensable steps go into the run's saga log
  // as they finish, and a run that fails for good gets one compensation job.
  const sagas = plan.rollsBackOnFailure;
  const compensable = new Set(plan.compensableSteps);

  /**
   * Fan-in bookkeeping, kept to what a join needs: a step goes into the run's done-set
   * only when a join (or the completion check of a run with several sinks) will look
   * for it. A worker killed before it enqueues the next steps leaves its job unfinished;
   * the job re-runs and does it then (SADD and job ids make that idempotent), and the
   * driver keeps the first announcement of a run.
   */
  const advance = async (runId: string, stepId: string): Promise<void> => {
    const done = keys.done(cell, runId);
    // Before its dependents exist: whichever of them fails, this effect is in the log.
    if (sagas && compensable.has(stepId)) {
      await connection.zadd(
        keys.applied(cell, runId),
        'NX',
        performance.timeOrigin + performance.now(),
        stepId,
      );
    }
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

  const executeStep = async (job: StepJob): Promise<void> => {
    const { runId, stepId } = job.data;
    // BullMQ renews the lock on its own timer, so long steps need no explicit heartbeat.
    const call: StepCall = { runId, stepId, attempt: job.attemptsStarted };
    if (plan.byId.get(stepId)?.spec.checkpoint !== undefined) {
      // The job's progress is its checkpoint: kept in Redis across stalls and retries.
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

  /**
   * A run failed for good: one compensation job per run (its id is deterministic, so a
   * second failure or a re-run of this job adds nothing). It is added before the step's
   * job is failed, so the driver finds it next to every failure it should wait for.
   */
  const startCompensation = async (runId: string, stepId: string, reason: string): Promise<void> => {
    await queue.add(COMPENSATE_JOB, { runId, stepId, reason }, stepJobOptions(runId, COMPENSATE_JOB, knobs));
  };

  /**
   * The saga of a failed run: undo the effects of its finished compensable steps, last
   * finished first, each once (the compensated set survives a retry of this job), then
   * announce the run as failed. A worker killed between an undo and its SADD undoes that
   * effect again when the job re-runs: at-least-once, like every step.
   */
  const compensateRun = async (job: StepJob): Promise<void> => {
    const { runId, stepId, reason = 'failed' } = job.data;
    const compensatedKey = keys.compensated(cell, runId);
    const order = compensationOrder(plan, await connection.zrange(keys.applied(cell, runId), 0, -1));
    const undone = new Set(await connection.smembers(compensatedKey));
    for (const step of order) {
      if (undone.has(step)) continue;
      await runtime.compensate(runId, step);
      await connection.sadd(compensatedKey, step);
    }
    const failure: RunFailure = { runId, step: stepId, reason, compensated: order };
    await connection.rpush(keys.failures(cell), JSON.stringify(failure));
  };

  const processor = async (job: StepJob, token?: string): Promise<void> => {
    if (job.name === COMPENSATE_JOB) return compensateRun(job);
    const { runId, stepId } = job.data;
    try {
      if (plan.byId.get(stepId)?.spec.kind === 'approval') await awaitApproval(job, token!);
      else await executeStep(job);
      await advance(runId, stepId);
    } catch (error) {
      if (sagas && failsForGood(job, error)) await startCompensation(runId, stepId, (error as Error).message);
      throw error;
    }
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
