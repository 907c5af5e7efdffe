import { type HistoryEvent, RUN_LEVEL } from '../../core/history/events.js';
import type { Anomaly, AnomalyKind, CellResult, Interruption, Verdict } from '../../core/results.js';
import { type RunPlan, unionPlan } from '../../scenarios/plan.js';
import { AnomalyLog } from './anomalies.js';
import { checkEvent, emptyTally, type Tally } from './event-checks.js';
import { type CheckOptions, checkPlannedRuns, checkRunsAtEnd } from './final-checks.js';
import { isSubmitted, RunTable, Slot } from './runs.js';
import { decideVerdict } from './verdict.js';

export { MAX_EXAMPLES_PER_KIND } from './anomalies.js';
export type { CheckOptions } from './final-checks.js';

/**
 * The Jepsen-style checker of one cell: a fold over the cell's events, in the
 * order the history holds them (time order), then a verdict. Pure: the same
 * events give the same result; it does no I/O.
 */
export interface CheckResult {
  verdict: Verdict;
  /** Set when the history shows the harness stopped before the cell ended (see CellResult.interrupted). */
  interrupted?: Interruption;
  runs: CellResult['runs'];
  steps: CellResult['steps'];
  effects: CellResult['effects'];
  attempts: CellResult['attempts'];
  anomalyCounts: Partial<Record<AnomalyKind, number>>;
  anomalies: Anomaly[];
  /** Completed runs whose history has an attempt and an ok step-done for every planned step. */
  completeHistories: number;
}

export interface Checker {
  /** Folds one event of this cell in. */
  add(event: HistoryEvent): void;
  /** The per-run state, which the metrics read at the end. */
  readonly runs: RunTable;
  /** Ends the history: runs the end-of-history checks and decides. Call once. */
  result(): CheckResult;
}

export const DEFAULT_CHECK_OPTIONS: CheckOptions = { requireCompensationOnFailure: false };

export function createChecker(plan: RunPlan, options: CheckOptions = DEFAULT_CHECK_OPTIONS): Checker {
  // With a deploy, runs may follow either version: the table knows the steps of every one.
  const runs = new RunTable(options.versions?.length ? unionPlan(options.versions) : plan);
  const log = new AnomalyLog();
  const tally = emptyTally();
  const span = new CellSpan();
  return {
    runs,
    add(event) {
      span.add(event);
      if (event.cell === RUN_LEVEL) return;
      checkEvent(event, runs, log, tally);
      runs.apply(event);
    },
    result() {
      const interrupted = span.interruption();
      const runCounts = checkRunsAtEnd(runs, options, log, tally.refused, interrupted !== undefined);
      if (options.plannedRuns !== undefined && interrupted === undefined)
        checkPlannedRuns(runs, options.plannedRuns, tally.refusedRuns, log);
      const verdict = decideVerdict(log.counts, steadyStateCompleted(runs));
      return {
        // An interrupted cell never passes: what the drain would have decided is not known.
        verdict: interrupted !== undefined && verdict === 'pass' ? 'unknown' : verdict,
        ...(interrupted === undefined ? {} : { interrupted }),
        runs: runCounts,
        steps: { expectedPerRun: plan.instances.length, completed: tally.stepsCompleted },
        effects: effectCounts(plan, tally),
        attempts: attemptCounts(tally, runCounts.submitted * plan.instances.length),
        anomalyCounts: { ...log.counts },
        anomalies: [...log.examples],
        completeHistories: completeHistories(runs, options.versions),
      };
    },
  };
}

/**
 * Whether the cell ran to its end. In a history the harness wrote (it opens with
 * `history-start`), a cell with no `cell-end` never reached the end of its drain: the
 * harness died first (a SIGKILL leaves no word) or never got to it. `run-interrupted` (a
 * run-level event every cell sees) names the signal. Hand-written histories without
 * history-start or cell-start count as whole unless interrupted.
 */
class CellSpan {
  #started = false;
  #harnessWrote = false;
  #ended = false;
  #lastAt = Number.NEGATIVE_INFINITY;
  #interrupt: Interruption | undefined;

  add(event: HistoryEvent): void {
    if (event.type === 'run-interrupted') {
      if (!this.#ended && this.#interrupt === undefined)
        this.#interrupt = { signal: event.signal, at: event.t };
      return;
    }
    if (event.type === 'history-start') {
      this.#harnessWrote = true;
      this.#lastAt = Math.max(this.#lastAt, event.t);
    }
    if (event.cell === RUN_LEVEL) return;
    this.#lastAt = Math.max(this.#lastAt, event.t);
    if (event.type === 'cell-start') this.#started = true;
    if (event.type === 'cell-end') this.#ended = true;
  }

  interruption(): Interruption | undefined {
    if (this.#ended) return undefined;
    if (this.#interrupt !== undefined) return this.#interrupt;
    if (this.#started || this.#harnessWrote) return { signal: null, at: this.#lastAt };
    return undefined;
  }
}

/** Checks a whole in-memory history (tests, small tools); `analyzeHistory` streams instead. */
export function checkHistory(
  events: Iterable<HistoryEvent>,
  plan: RunPlan,
  options: CheckOptions = DEFAULT_CHECK_OPTIONS,
): CheckResult {
  const checker = createChecker(plan, options);
  for (const event of events) checker.add(event);
  return checker.result();
}

/** Completed non-warm-up runs: the samples a verdict and the statistics rest on. */
function steadyStateCompleted(runs: RunTable): number {
  let count = 0;
  for (const run of runs.runs.values()) {
    if (run.status === 'completed' && !run.warmup && isSubmitted(run)) count++;
  }
  return count;
}

/**
 * Completed runs with an audit trail that has no hole: every planned step attempted and
 * done ok (with versions: every step of some version).
 */
function completeHistories(runs: RunTable, versions?: readonly RunPlan[]): number {
  const alternatives = (versions?.length ? versions : [runs.plan]).map((v) =>
    v.instances.map((i) => runs.indexOf(i.id)),
  );
  let complete = 0;
  for (const run of runs.runs.values()) {
    if (run.status !== 'completed' || !isSubmitted(run)) continue;
    const whole = alternatives.some((steps) =>
      steps.every(
        (step) =>
          RunTable.read(run, step, Slot.attempts) > 0 && !Number.isNaN(RunTable.read(run, step, Slot.okAt)),
      ),
    );
    if (whole) complete++;
  }
  return complete;
}

function effectCounts(plan: RunPlan, tally: Tally): CellResult['effects'] {
  return {
    expectedPerRun: plan.effectSteps.length,
    applied: tally.effectsApplied,
    duplicates: tally.duplicateEffects,
    deduplicated: tally.effectsDeduplicated,
    compensated: tally.compensated,
  };
}

/** DESIGN.md's retry amplification: attempts over the step instances the submitted runs planned. */
function attemptCounts(tally: Tally, plannedInstances: number): CellResult['attempts'] {
  return {
    total: tally.attempts,
    duplicates: tally.duplicateAttempts,
    retryAmplification: plannedInstances === 0 ? null : tally.attempts / plannedInstances,
  };
}
