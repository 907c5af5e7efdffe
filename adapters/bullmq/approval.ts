import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { WorkerParts } from './context.js';
import { jobId, keys, type StepJobData } from './keys.js';

export type StepJob = Job<StepJobData & { approvalRequested?: boolean }>;

/**
 * An approval step as a delayed re-check: the job asks the world's human once, then parks
 * itself (moveToDelayed + DelayedError) and looks for the decision every
 * `approvalRecheckMs`, so it holds no worker slot while the human thinks. `signal` writes
 * the decision to a Redis hash; a rejection fails the step for good.
 */
export function createApproval({ cell, knobs, runtime, connection }: WorkerParts) {
  return async (job: StepJob, token: string): Promise<void> => {
    const { runId, stepId } = job.data;
    const call = { runId, stepId, attempt: 1 };
    const decision = await connection.hget(keys.decisions(cell), jobId(runId, stepId));
    if (decision === null) {
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
}
