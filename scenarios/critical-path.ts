import type { Duration, Scenario, StepSpec } from './model.js';
import { planRun } from './plan.js';

/** A step's typical work time: the constant, the middle of a uniform, the mean, or the median. */
function nominalMs(duration: Duration): number {
  switch (duration.dist) {
    case 'constant':
      return duration.ms;
    case 'uniform':
      return (duration.minMs + duration.maxMs) / 2;
    case 'exponential':
      return duration.meanMs;
    case 'lognormal':
      return duration.medianMs;
  }
}

/**
 * The ideal fault-free duration of one run: the longest path through the step DAG, each
 * step at its typical work time, an approval at the human's typical delay and a timer at
 * its delay, with no queueing and no orchestration cost. A latency objective relative to it fits every
 * scenario, a 3-second training step as well as a 50-millisecond ingest.
 */
export function criticalPathMs(scenario: Scenario, approvalDelayMs: number): number {
  const plan = planRun(scenario);
  const finish = new Map<string, number>();
  // Steps may be declared in any order (the DAG has no cycle): finish times by recursion, memoized.
  const finishOf = (id: string): number => {
    const known = finish.get(id);
    if (known !== undefined) return known;
    const instance = plan.byId.get(id)!;
    const start = Math.max(0, ...instance.dependsOn.map(finishOf));
    const work = stepWaitMs(instance.spec, approvalDelayMs);
    finish.set(id, start + work);
    return start + work;
  };
  return Math.max(0, ...plan.instances.map((i) => finishOf(i.id)));
}

/** How long a step keeps its run waiting, typically: its work, the human's delay, or its timer. */
function stepWaitMs(spec: StepSpec, approvalDelayMs: number): number {
  if (spec.kind === 'approval') return approvalDelayMs;
  if (spec.kind === 'timer') return spec.delayMs ?? 0;
  return nominalMs(spec.work);
}
