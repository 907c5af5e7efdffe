import { now } from '../../core/clock.js';
import type { RunPlan } from '../../scenarios/plan.js';
import type { WorkerParts } from './context.js';
import { keys, stepJob } from './keys.js';

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
 * After a step finished: its place in the saga log (when the scenario rolls back), the
 * fan-in bookkeeping a join needs, whether the run is complete when it was a sink, and the
 * jobs of every dependent now ready. A worker killed before it enqueues the next steps
 * leaves its job unfinished; the job re-runs and does it then (ZADD NX, SADD and job ids
 * make that idempotent), and the driver keeps the first announcement of a run.
 */
export function createAdvance({ cell, plan, knobs, connection, queue, version }: WorkerParts) {
  const bookkeeping = fanInBookkeeping(plan);
  const sagas = plan.rollsBackOnFailure;
  const compensable = new Set(plan.compensableSteps);
  /** Resolves true when this step completes the run: its job's return value announces it (keys.ts). */
  return async (runId: string, stepId: string): Promise<boolean> => {
    // Built only when used: most steps of most scenarios record nothing here.
    let doneKey: string | undefined;
    const done = () => (doneKey ??= keys.done(cell, runId));
    // Before its dependents exist: whichever of them fails, this effect is in the log.
    if (sagas && compensable.has(stepId)) {
      await connection.zadd(keys.applied(cell, runId), 'NX', now(), stepId);
    }
    if (bookkeeping.recorded.has(stepId)) await connection.sadd(done(), stepId);
    if (bookkeeping.sinks.includes(stepId)) {
      // A sink has no dependents: the run is complete once every sink is.
      return (
        bookkeeping.sinks.length === 1 ||
        (await connection.smismember(done(), ...bookkeeping.sinks)).every((f) => f === 1)
      );
    }
    const ready: string[] = [];
    for (const next of plan.dependents.get(stepId) ?? []) {
      const deps = plan.byId.get(next)!.dependsOn;
      const flags = deps.length === 1 ? [1] : await connection.smismember(done(), ...deps);
      if (flags.every((f) => f === 1)) ready.push(next);
    }
    if (ready.length > 0)
      await queue.addBulk(ready.map((next) => stepJob(plan, runId, next, knobs, version)));
    return false;
  };
}
