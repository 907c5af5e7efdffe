import { compensationOrder } from '../../scenarios/plan.js';
import type { StepJob } from './approval.js';
import type { WorkerParts } from './context.js';
import { COMPENSATE_JOB, keys, type RunFailure, stepJobOptions } from './keys.js';

/**
 * BullMQ has no saga: this is the one a team builds on the queue (README.md, "Sagas").
 * `start`: a run failed for good — one compensation job per run (its id is
 * deterministic, so a second failure or a re-run adds nothing), added before the step's
 * job is failed, so the driver finds it next to every failure it should wait for.
 * `compensate`: undo the effects of the run's finished compensable steps, last finished
 * first, each once (the compensated set survives a retry of this job), then announce the
 * run failed. A worker killed between an undo and its SADD undoes that effect again when
 * the job re-runs: at-least-once, like every step.
 */
export function createSaga({ cell, plan, knobs, runtime, connection, queue, version }: WorkerParts) {
  return {
    async start(runId: string, stepId: string, reason: string): Promise<void> {
      await queue.add(
        COMPENSATE_JOB,
        { runId, stepId, reason, ...(version === undefined ? {} : { v: version }) },
        stepJobOptions(runId, COMPENSATE_JOB, knobs),
      );
    },
    async compensate(job: StepJob): Promise<void> {
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
    },
  };
}
