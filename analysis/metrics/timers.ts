import type { HistoryEvent } from '../../core/history/events.js';
import type { TimerResults } from '../../core/results.js';
import type { RunPlan } from '../../scenarios/plan.js';
import { isSubmitted, type RunState, RunTable, Slot } from '../checker/runs.js';
import { encodeLatencies, latencyHistogram, recordLatencyMs, summarizeHistogram } from './latency.js';

/**
 * Scheduling (the seed's "drift"), from the history alone: a timer step is due once its
 * dependencies finished ok (for a first step, once its run was due by the arrival
 * schedule), and should fire its delay later. Its drift is its first `timer-fired` minus
 * that moment: it includes whatever kept the orchestrator from setting the timer on time
 * (a dead worker holding the step before it) as well as firing late. The orchestrator's
 * own `intendedAt` on the event is its belief and is not used: a timer set late is late.
 */
export interface TimerFold {
  add(event: HistoryEvent): void;
  /** Undefined when the plan has no timer step. */
  result(runs: RunTable): TimerResults | undefined;
}

interface Firings {
  first: number;
  count: number;
}

export function createTimerFold(plan: RunPlan, versions: readonly RunPlan[] = [plan]): TimerFold {
  const timers = plan.instances.filter((instance) => instance.spec.kind === 'timer');
  // A deploy may have changed what a timer waits for: its dependencies in every version that has it.
  const waitsFor = new Map(
    timers.map((t) => [
      t.id,
      versions.flatMap((v) => {
        const held = v.byId.get(t.id);
        return held ? [held.dependsOn] : [];
      }),
    ]),
  );
  const timerIds = new Set(timers.map((instance) => instance.id));
  /** `${runId}\0${stepId}` → its firings. */
  const firings = new Map<string, Firings>();
  return {
    add(event) {
      if (event.type !== 'timer-fired' || !timerIds.has(event.stepId)) return;
      const key = `${event.runId}\0${event.stepId}`;
      const known = firings.get(key);
      if (known) {
        known.count++;
        known.first = Math.min(known.first, event.t);
      } else firings.set(key, { first: event.t, count: 1 });
    },
    result(runs) {
      if (timers.length === 0) return undefined;
      const drift = latencyHistogram();
      const counts = { due: 0, fired: 0, lost: 0, firedTwice: 0, early: 0 };
      for (const run of runs.runs.values()) {
        if (!isSubmitted(run)) continue;
        for (const instance of timers) {
          const dueAt = timerDueAt(run, waitsFor.get(instance.id)!, instance.spec.delayMs ?? 0, runs);
          const fired = firings.get(`${run.runId}\0${instance.id}`);
          if (fired && fired.count > 1) counts.firedTwice++;
          if (dueAt === null) continue;
          counts.due++;
          if (!fired) {
            if (run.status !== 'failed') counts.lost++;
            continue;
          }
          counts.fired++;
          const late = fired.first - dueAt;
          if (late < 0) counts.early++;
          if (!run.warmup) recordLatencyMs(drift, late);
        }
      }
      return { ...counts, driftMs: summarizeHistogram(drift), driftHistogram: encodeLatencies(drift) };
    },
  };
}

/**
 * When a timer of this run should fire: its last dependency's first ok step-done (or the
 * run's intended submit, for a timer without dependencies) plus its delay; null while a
 * dependency never finished, when the timer was never set. With several versions' lists of
 * dependencies (a deploy), the latest moment of those whose dependencies all finished.
 */
function timerDueAt(
  run: RunState,
  dependencyLists: readonly (readonly string[])[],
  delayMs: number,
  runs: RunTable,
): number | null {
  let due: number | null = null;
  for (const dependsOn of dependencyLists) {
    let readyAt = dependsOn.length === 0 ? run.intendedAt : Number.NEGATIVE_INFINITY;
    for (const dep of dependsOn)
      readyAt = Math.max(readyAt, RunTable.read(run, runs.indexOf(dep), Slot.okAt));
    // NaN (a dependency that never finished) fails the comparison: that version's timer was never set.
    if (!Number.isNaN(readyAt)) due = Math.max(due ?? readyAt, readyAt);
  }
  return due === null ? null : due + delayMs;
}
