import type { HistoryEvent } from '../../core/history/events.js';

type Of<T extends HistoryEvent['type']> = Extract<HistoryEvent, { type: T }>;

/** A step, as `runId stepId`. */
const stepKey = (e: { runId: string; stepId: string }) => `${e.runId} ${e.stepId}`;

/**
 * The attempts, after a kill, of the steps the killed workers held at the kill as the
 * orchestrator saw them: started by them before the kill and not failed by then. That covers
 * a step still running (the fault's stepsInFlight counts those) and one that had just
 * finished but whose completion never reached the orchestrator. The nemesis aims a kill at a
 * worker it sees busy by reading the worker's history file, and a step of a few ms can finish
 * between that read and the signal: stepsInFlight may then be 0 although the kill cost the
 * orchestrator work, and a step it does not count may run (and apply its effect) again.
 */
export function rerunAfterKill(events: readonly HistoryEvent[], kill: Of<'fault-start'>): Of<'attempt'>[] {
  const killed = new Set(kill.killed ?? []);
  const inCell = <T extends HistoryEvent['type']>(type: T) =>
    events.filter((e): e is Of<T> => e.type === type && e.cell === kill.cell);
  const failedBefore = new Set(
    inCell('step-done')
      .filter((e) => e.t < kill.t && e.outcome !== 'ok')
      .map((e) => `${stepKey(e)} ${e.attempt}`),
  );
  const held = new Set(
    inCell('attempt')
      .filter((e) => e.t < kill.t && killed.has(e.worker) && !failedBefore.has(`${stepKey(e)} ${e.attempt}`))
      .map(stepKey),
  );
  return inCell('attempt').filter((e) => e.t > kill.t && held.has(stepKey(e)));
}

/** The distinct steps among attempts, as `runId stepId`. */
export const stepsOf = (attempts: readonly { runId: string; stepId: string }[]): Set<string> =>
  new Set(attempts.map(stepKey));
