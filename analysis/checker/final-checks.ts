import { type CellResult, plannedRunId } from '../../core/results.js';
import type { RunPlan } from '../../scenarios/plan.js';
import type { AnomalyLog } from './anomalies.js';
import { isSubmitted, type RunState, RunTable, Slot } from './runs.js';

/**
 * The checks that can only be made once the history has ended (which is after the
 * drain timeout, with every fault healed): a run with no outcome by then is lost,
 * and a completed run must by then have every effect it promised.
 */

export interface CheckOptions {
  /**
   * Runs the arrival plan promised the cell (config.json's load.runs): each must be in the
   * history, submitted or refused, unless the cell was interrupted. Unknown: not checked.
   */
  plannedRuns?: number;
  /**
   * Judge failed runs by the saga rule: every applied effect of a step with a
   * compensation must be compensated exactly once. Off for scenarios that do not
   * roll back on failure (rag-ingest).
   */
  requireCompensationOnFailure: boolean;
  /**
   * Cells with a deploy: the plan of every scenario version. A completed run must have
   * the effects of the version it followed, whichever that was (the table's plan is their
   * union, unionPlan).
   */
  versions?: readonly RunPlan[];
}

export type RunCounts = CellResult['runs'];

/**
 * Sorts every submitted run into exactly one of completed, failed (as the scenario
 * allows) and lost (DESIGN.md: not "completed (or failed as the scenario allows)", or
 * completed without all its effects), so the three add up to the submitted runs.
 */
export function checkRunsAtEnd(
  table: RunTable,
  options: CheckOptions,
  log: AnomalyLog,
  refused: number,
  interrupted: boolean,
): RunCounts {
  const lostBy = { noOutcome: 0, missingEffects: 0, gaveUp: 0 };
  const counts: RunCounts = {
    ...{ submitted: 0, completed: 0, failed: 0, lost: 0, warmup: 0, refused, lostBy },
    interrupted: 0,
  };
  for (const run of table.runs.values()) {
    if (!isSubmitted(run)) {
      // Cut by the interrupt between the orchestrator's ack and the harness's submit line.
      if (!interrupted) reportUnsubmitted(run, log);
      continue;
    }
    counts.submitted++;
    if (run.warmup) counts.warmup++;
    if (run.status === 'completed') checkStepsOfCompleted(run, table, log, options.versions);
    else checkAttemptsRecorded(run, table, log);
    if (run.status === undefined && interrupted) {
      // Cut by the interrupt, not lost: the drain that would have decided never came.
      counts.interrupted++;
    } else if (run.status === undefined) {
      counts.lost++;
      lostBy.noOutcome++;
      log.report('lost-run', run.runId, undefined, () => {
        return `Run ${run.runId} was submitted but had no outcome by the end of the history.`;
      });
    } else if (run.status === 'completed') {
      const missing = missingEffects(run, table, options.versions);
      if (missing.length === 0) counts.completed++;
      else {
        counts.lost++;
        lostBy.missingEffects++;
        log.report('lost-run', run.runId, missing[0], () => {
          return `Run ${run.runId} completed without an applied effect of ${missing.join(', ')}.`;
        });
      }
    } else {
      if (table.plan.canFail) counts.failed++;
      else {
        // DESIGN.md: lost unless "completed (or failed as the scenario allows)".
        counts.lost++;
        lostBy.gaveUp++;
        log.report('lost-run', run.runId, undefined, () => {
          return `Run ${run.runId} failed, though no step of ${table.plan.scenario} can fail: the orchestrator gave up on it.`;
        });
      }
      if (options.requireCompensationOnFailure) checkCompensatedOnFailure(run, table, log);
    }
  }
  return counts;
}

/**
 * A completed run executed every step of its plan: each has an attempt and a step-done ok.
 * An orchestrator that reports completion of a run with a step never run (or never
 * finished) lost that step's work, whether or not the step has an effect to miss. With
 * versions (a deploy), every step of some version: the one the run came closest to.
 */
function checkStepsOfCompleted(
  run: RunState,
  table: RunTable,
  log: AnomalyLog,
  versions?: readonly RunPlan[],
): void {
  const holesOf = (plan: RunPlan) => {
    const neverStarted: string[] = [];
    const neverFinished: string[] = [];
    for (const instance of plan.instances) {
      const step = table.indexOf(instance.id);
      if (RunTable.read(run, step, Slot.attempts) === 0) neverStarted.push(instance.id);
      else if (Number.isNaN(RunTable.read(run, step, Slot.okAt))) neverFinished.push(instance.id);
    }
    return { neverStarted, neverFinished };
  };
  const candidates = (versions?.length ? versions : [table.plan]).map(holesOf);
  const size = (h: { neverStarted: string[]; neverFinished: string[] }) =>
    h.neverStarted.length + h.neverFinished.length;
  const { neverStarted, neverFinished } = candidates.sort((a, b) => size(a) - size(b))[0]!;
  if (neverStarted.length === 0 && neverFinished.length === 0) return;
  const stepId = neverStarted[0] ?? neverFinished[0];
  log.report('unexpected-outcome', run.runId, stepId, () => {
    const parts = [
      neverStarted.length > 0 ? `no attempt of ${neverStarted.join(', ')}` : '',
      neverFinished.length > 0 ? `no step-done ok of ${neverFinished.join(', ')}` : '',
    ].filter(Boolean);
    return `Run ${run.runId} was reported completed with ${parts.join(' and ')}.`;
  });
}

/** An effect or a finished step with no attempt recorded: the step ran without the runtime saying so. */
function checkAttemptsRecorded(run: RunState, table: RunTable, log: AnomalyLog): void {
  table.plan.instances.forEach((instance, step) => {
    if (RunTable.read(run, step, Slot.attempts) > 0) return;
    const applied = RunTable.read(run, step, Slot.applied) > 0;
    const finished = !Number.isNaN(RunTable.read(run, step, Slot.okAt));
    if (!applied && !finished) return;
    log.report('ordering', run.runId, instance.id, () => {
      return `Step ${instance.id} of run ${run.runId} ${applied ? 'applied its effect' : 'finished'} without an attempt.`;
    });
  });
}

/**
 * Every run the arrival plan promised is in the history, submitted or refused: a run the
 * harness never handed over is work lost before it started, and no count would show it.
 */
export function checkPlannedRuns(
  table: RunTable,
  plannedRuns: number,
  refusedRuns: ReadonlySet<string>,
  log: AnomalyLog,
): void {
  for (let i = 0; i < plannedRuns; i++) {
    const runId = plannedRunId(i, plannedRuns);
    const run = table.get(runId);
    if ((run !== undefined && isSubmitted(run)) || refusedRuns.has(runId)) continue;
    log.report('unexpected-outcome', runId, undefined, () => {
      return `Run ${runId} of the ${plannedRuns} the arrival plan promised was never submitted (nor refused).`;
    });
  }
}

/**
 * Effect steps of the plan that have no applied (deduplicated=false) effect in this run;
 * with versions, of the version the run came closest to (none missing for the one it followed).
 */
function missingEffects(run: RunState, table: RunTable, versions?: readonly RunPlan[]): string[] {
  const missingOf = (effectSteps: readonly string[]) =>
    effectSteps.filter((stepId) => RunTable.read(run, table.indexOf(stepId), Slot.applied) === 0);
  if (!versions || versions.length === 0) return missingOf(table.plan.effectSteps);
  return versions.map((v) => missingOf(v.effectSteps)).sort((a, b) => a.length - b.length)[0]!;
}

/** Over-compensation is caught as it happens; here only what a failed run left un-undone. */
function checkCompensatedOnFailure(run: RunState, table: RunTable, log: AnomalyLog): void {
  table.plan.instances.forEach((instance, step) => {
    if (instance.spec.compensation === undefined) return;
    const applied = RunTable.read(run, step, Slot.applied);
    const compensated = RunTable.read(run, step, Slot.compensated);
    if (compensated < applied) {
      log.report('compensation', run.runId, instance.id, () => {
        return `Run ${run.runId} failed but ${applied - compensated} applied effect(s) of step ${instance.id} were never compensated.`;
      });
    }
  });
}

/** A run the harness never handed over cannot have an outcome or do work: the history contradicts itself. */
function reportUnsubmitted(run: RunState, log: AnomalyLog): void {
  log.report('unexpected-outcome', run.runId, undefined, () =>
    run.status === undefined
      ? `Run ${run.runId} has step events but was never submitted.`
      : `Run ${run.runId} finished ${run.status} but was never submitted.`,
  );
}
