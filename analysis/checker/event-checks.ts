import type { CompensateEvent, HistoryEvent, RunDoneEvent } from '../../core/history/events.js';
import type { AnomalyLog } from './anomalies.js';
import { type RunState, RunTable, Slot, type StepEvent } from './runs.js';

/**
 * The checks that depend on the order of events (a step before its dependency,
 * compensations in reverse order, a duplicate at the moment it happens). Each one
 * looks at a run's state just *before* the event is folded in, so they must run
 * before `RunTable.apply(event)`.
 */

/** Running totals over the whole cell, counted as events stream by. */
export interface Tally {
  attempts: number;
  duplicateAttempts: number;
  effectsApplied: number;
  duplicateEffects: number;
  effectsDeduplicated: number;
  compensated: number;
  /** Distinct (run, step) instances with a step-done ok. */
  stepsCompleted: number;
  /** Submissions the orchestrator refused (submit-refused). */
  refused: number;
  /** The runs refused, so a planned run that was refused is not also "never submitted". */
  refusedRuns: Set<string>;
}

export function emptyTally(): Tally {
  return {
    attempts: 0,
    duplicateAttempts: 0,
    effectsApplied: 0,
    duplicateEffects: 0,
    effectsDeduplicated: 0,
    compensated: 0,
    stepsCompleted: 0,
    refused: 0,
    refusedRuns: new Set(),
  };
}

export function checkEvent(event: HistoryEvent, table: RunTable, log: AnomalyLog, tally: Tally): void {
  switch (event.type) {
    case 'attempt':
    case 'effect':
    case 'compensate':
    case 'step-done':
      checkStepEvent(event, table, log, tally);
      return;
    case 'run-done':
      checkRunDone(event, table, log);
      return;
    case 'submit-refused':
      tally.refused++;
      tally.refusedRuns.add(event.runId);
      return;
    default:
      return;
  }
}

function checkStepEvent(event: StepEvent, table: RunTable, log: AnomalyLog, tally: Tally): void {
  const step = table.indexOf(event.stepId);
  if (step < 0) {
    log.report('unexpected-outcome', event.runId, event.stepId, () => {
      return `${event.type} for step "${event.stepId}", which the ${table.plan.scenario} plan does not have.`;
    });
    return;
  }
  const run = table.getOrCreate(event.runId);
  // (No local helper closure here: this runs once per event, and a named closure per event is measurable.)
  switch (event.type) {
    case 'attempt':
      tally.attempts++;
      if (RunTable.read(run, step, Slot.attempts) > 0) {
        tally.duplicateAttempts++;
        log.report('duplicate-attempt', event.runId, event.stepId, () => {
          return `Step ${event.stepId} of run ${event.runId} started again (attempt event #${RunTable.read(run, step, Slot.attempts) + 1}).`;
        });
      }
      checkDependenciesDone(run, step, event.stepId, event.t, table, log);
      return;
    case 'effect':
      if (event.deduplicated) {
        tally.effectsDeduplicated++;
        return;
      }
      tally.effectsApplied++;
      // A completed run does no more work: an effect after its completion is work the
      // orchestrator ran after it said it was done (a stale delivery, a zombie worker).
      if (run.status === 'completed' && event.t > run.doneAt) {
        log.report('ordering', event.runId, event.stepId, () => {
          return `The effect of step ${event.stepId} of run ${event.runId} was applied after the run was reported completed.`;
        });
      }
      if (RunTable.read(run, step, Slot.applied) > 0) {
        tally.duplicateEffects++;
        log.report('duplicate-effect', event.runId, event.stepId, () => {
          return `The effect of step ${event.stepId} of run ${event.runId} was applied ${RunTable.read(run, step, Slot.applied) + 1} times.`;
        });
      }
      return;
    case 'compensate':
      if (!event.deduplicated) checkCompensation(event, run, step, log, tally);
      return;
    case 'step-done':
      if (event.outcome === 'ok' && Number.isNaN(RunTable.read(run, step, Slot.okAt))) tally.stepsCompleted++;
      return;
  }
}

/** "A step before its dependency": every dependency instance must have finished ok before this attempt began. */
function checkDependenciesDone(
  run: RunState,
  step: number,
  stepId: string,
  t: number,
  table: RunTable,
  log: AnomalyLog,
): void {
  for (const dep of table.plan.instances[step]!.dependsOn) {
    const okAt = RunTable.read(run, table.indexOf(dep), Slot.okAt);
    if (Number.isNaN(okAt) || okAt > t) {
      log.report('ordering', run.runId, stepId, () => {
        return `Step ${stepId} of run ${run.runId} started before its dependency ${dep} had finished ok.`;
      });
      return; // one anomaly per offending attempt, naming the first unmet dependency
    }
  }
}

function checkCompensation(
  event: CompensateEvent,
  run: RunState,
  step: number,
  log: AnomalyLog,
  tally: Tally,
): void {
  tally.compensated++;
  const applied = RunTable.read(run, step, Slot.applied);
  const compensated = RunTable.read(run, step, Slot.compensated);
  if (compensated >= applied) {
    log.report('compensation', event.runId, event.stepId, () =>
      applied === 0
        ? `Run ${event.runId} compensated step ${event.stepId}, whose effect was never applied.`
        : `Run ${event.runId} compensated step ${event.stepId} ${compensated + 1} times for ${applied} applied effect(s).`,
    );
    return;
  }
  // A saga undoes its effects last-applied first: compensating an effect applied
  // after the one compensated before it breaks that order.
  const effectAt = RunTable.read(run, step, Slot.effectAt);
  if (effectAt > run.lastCompensatedEffectAt) {
    log.report('compensation', event.runId, event.stepId, () => {
      return `Run ${event.runId} compensated step ${event.stepId} after an effect applied before it (not in reverse order).`;
    });
  }
}

function checkRunDone(event: RunDoneEvent, table: RunTable, log: AnomalyLog): void {
  const run = table.get(event.runId);
  if (run?.status !== undefined && run.status !== event.status) {
    log.report('unexpected-outcome', event.runId, undefined, () => {
      return `Run ${event.runId} finished ${run.status} and then again ${event.status}.`;
    });
  }
}
