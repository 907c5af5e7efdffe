import { deriveSeed, seededRng } from '../core/random.js';
import type { FailpointName, StepCall } from './runtime.js';

/** A crash armed at a named point of the step runtime (chaos: "died right after charging the card"). */
export interface FailpointSpec {
  point: FailpointName;
  /** Only for this step (instance id or step id); any step when absent. */
  stepId?: string;
  /** Crash at the Nth time the point is reached in this process (1-based). */
  nth?: number;
  /** Or crash with this probability each time. */
  probability?: number;
}

/** Builds the runtime's failpoint hook; crashing is SIGKILL of this very process. */
export function armFailpoints(specs: FailpointSpec[], crash = () => process.kill(process.pid, 'SIGKILL')) {
  const hits = new Map<FailpointSpec, number>();
  return (point: FailpointName, call: StepCall): void => {
    for (const spec of specs) {
      if (spec.point !== point) continue;
      if (spec.stepId && spec.stepId !== call.stepId && spec.stepId !== call.stepId.split('#')[0]) continue;
      const count = (hits.get(spec) ?? 0) + 1;
      hits.set(spec, count);
      if (spec.nth === count || (spec.probability !== undefined && drawFor(point, call) < spec.probability))
        crash();
    }
  };
}

/** Seeded per (point, run, step, attempt): the same seed crashes at the same places. */
function drawFor(point: FailpointName, call: StepCall): number {
  return seededRng(deriveSeed('failpoint', point, call.runId, call.stepId, call.attempt))();
}
