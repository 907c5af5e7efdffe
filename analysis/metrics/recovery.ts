import type { FaultStartEvent, HistoryEvent } from '../../core/history/events.js';
import type { FaultOccurrenceResult } from '../../core/results.js';
import type { RunPlan } from '../../scenarios/plan.js';
import type { RunTable } from '../checker/runs.js';
import { runLatencyMs, toThreeDigits } from './latency.js';

/**
 * Recovery time per fault occurrence (DESIGN.md). `fault-start` and `fault-end`
 * pair by `faultId`; a fault with no end (an instant kill) ends at its start.
 * A run is affected when it was in flight at the fault's start or was submitted
 * while the fault lasted. A worker kill (or failpoint) is sharper: it affects the
 * steps the killed workers had open, and recovery is the first of those steps
 * completing again, wherever it ran; runs elsewhere are not its to claim. An approval
 * wait is not among them: a human holds it, not the worker, so no recovery re-runs it
 * and its answer says nothing about the orchestrator (the nemesis's look agrees).
 */

/** The pre-fault rate is measured over at most this much time before the fault. */
const PRE_FAULT_WINDOW_MS = 5000;
const RECOVERY_WINDOW_MS = 1000;
const RECOVERED_FRACTION = 0.9;

interface FaultTracker {
  start: FaultStartEvent;
  endAt: number | undefined;
  inFlightAtStart: Set<string>;
  submittedDuring: Set<string>;
  /** First step-done ok of a run in flight at the start, after the start: the answer if the fault never ends. */
  progressAfterStart: number | null;
  /** First step-done ok of an affected run after the fault's end. */
  progressAfterEnd: number | null;
  /** Kills: the (run, step) attempts the killed workers had open; null for other faults. */
  killedSteps: Set<string> | null;
}

const stepKey = (runId: string, stepId: string) => `${runId}\u0000${stepId}`;

export interface RecoveryFold {
  add(event: HistoryEvent): void;
  /**
   * `originAt` is the cell's time origin (its first submit): startMs and endMs are
   * relative to it, like the throughput series, so faults can be drawn on it.
   */
  result(runs: RunTable, sortedCompletions: Float64Array, originAt: number): FaultOccurrenceResult[];
}

/** Folds a cell's events in time order; holds the runs in flight and a run-id set per fault. */
export function createRecoveryFold(plan: RunPlan): RecoveryFold {
  const isApproval = (stepId: string) => plan.byId.get(stepId)?.spec.kind === 'approval';
  const inFlight = new Set<string>();
  /** Worker → its open attempts (run, step) and the pid running each, to know what a kill interrupted. */
  const openAttempts = new Map<string, Map<string, number | undefined>>();
  const faults = new Map<string, FaultTracker>();
  /** Faults whose first progress after their end is not known yet. */
  let waiting: FaultTracker[] = [];
  const onProgress = (runId: string, stepId: string, t: number) => {
    let resolved = false;
    for (const fault of waiting) {
      if (fault.killedSteps !== null) {
        if (fault.progressAfterStart === null && fault.killedSteps.has(stepKey(runId, stepId))) {
          fault.progressAfterStart = t;
          resolved = true;
        }
      } else if (fault.endAt === undefined) {
        if (fault.progressAfterStart === null && fault.inFlightAtStart.has(runId))
          fault.progressAfterStart = t;
      } else if (fault.inFlightAtStart.has(runId) || fault.submittedDuring.has(runId)) {
        fault.progressAfterEnd = t;
        resolved = true;
      }
    }
    if (resolved) {
      waiting = waiting.filter(
        (f) => (f.killedSteps === null ? f.progressAfterEnd : f.progressAfterStart) === null,
      );
    }
  };
  return {
    add(event) {
      switch (event.type) {
        case 'submit':
          inFlight.add(event.runId);
          for (const fault of waiting) if (fault.endAt === undefined) fault.submittedDuring.add(event.runId);
          return;
        case 'run-done':
          inFlight.delete(event.runId);
          return;
        case 'attempt': {
          if (isApproval(event.stepId)) return;
          const open = openAttempts.get(event.worker) ?? new Map<string, number | undefined>();
          open.set(stepKey(event.runId, event.stepId), event.pid);
          openAttempts.set(event.worker, open);
          return;
        }
        case 'step-done':
          openAttempts.get(event.worker)?.delete(stepKey(event.runId, event.stepId));
          if (event.outcome === 'ok' && waiting.length > 0) onProgress(event.runId, event.stepId, event.t);
          return;
        case 'worker-exit':
          openAttempts.delete(event.worker);
          return;
        case 'fault-start': {
          if (faults.has(event.faultId)) return;
          // The history says which workers died mid-step (fault-start's `killed`), and when
          // only some of their pool children died, which ones (`pids`, matched to attempts' `pid`).
          const pids = event.pids?.length ? new Set(event.pids) : null;
          const killedSteps = event.killed?.length
            ? new Set(
                event.killed.flatMap((worker) =>
                  [...(openAttempts.get(worker) ?? [])]
                    .filter(([, pid]) => pids === null || (pid !== undefined && pids.has(pid)))
                    .map(([key]) => key),
                ),
              )
            : null;
          const fault: FaultTracker = {
            start: event,
            endAt: undefined,
            killedSteps,
            inFlightAtStart: killedSteps
              ? new Set([...killedSteps].map((key) => key.slice(0, key.indexOf('\u0000'))))
              : new Set(inFlight),
            submittedDuring: new Set(),
            progressAfterStart: null,
            progressAfterEnd: null,
          };
          faults.set(event.faultId, fault);
          waiting.push(fault);
          return;
        }
        case 'fault-end': {
          const fault = faults.get(event.faultId);
          if (fault !== undefined && fault.endAt === undefined) fault.endAt = event.t;
          return;
        }
        default:
          return;
      }
    },
    result(runs, sortedCompletions, originAt) {
      return [...faults.values()].map((fault) => occurrenceResult(fault, runs, sortedCompletions, originAt));
    },
  };
}

function occurrenceResult(
  fault: FaultTracker,
  runs: RunTable,
  completions: Float64Array,
  originAt: number,
): FaultOccurrenceResult {
  const { start } = fault;
  const ended = fault.endAt !== undefined;
  const endAt = fault.endAt ?? start.t;
  const killed = fault.killedSteps !== null;
  const affected =
    ended && !killed ? new Set([...fault.inFlightAtStart, ...fault.submittedDuring]) : fault.inFlightAtStart;
  const progressAt = ended && !killed ? fault.progressAfterEnd : fault.progressAfterStart;
  const preRate = preFaultRatePerSec(completions, start.t);
  const result: FaultOccurrenceResult = {
    id: start.faultId,
    kind: start.fault,
    target: start.target,
    startMs: toMicros(start.t - originAt),
    endMs: toMicros(endAt - originAt),
    timeToFirstProgressMs: progressAt === null ? null : toThreeDigits(progressAt - endAt),
    timeToThroughputRecoveryMs: nullable(
      toThreeDigits,
      timeToThroughputRecoveryMs(completions, endAt, preRate),
    ),
    affectedRuns: affected.size,
    affectedRunsMaxDelayMs: nullable(toThreeDigits, maxExtraDelayMs(runs, affected)),
  };
  if (start.params !== undefined) result.params = start.params;
  if (start.killed?.length) {
    result.killed = start.killed;
    result.stepsInFlight = fault.killedSteps?.size ?? 0;
  }
  return result;
}

/**
 * Completions per second over the window before the fault: up to 5 s, and never
 * before the first completion (before it the pipeline was still filling, which
 * would understate the rate). Null when nothing completed before the fault.
 */
export function preFaultRatePerSec(sortedCompletions: Float64Array, faultStartAt: number): number | null {
  if (sortedCompletions.length === 0) return null;
  const windowMs = Math.min(PRE_FAULT_WINDOW_MS, faultStartAt - sortedCompletions[0]!);
  if (!(windowMs > 0)) return null;
  const count =
    lowerBound(sortedCompletions, faultStartAt) - lowerBound(sortedCompletions, faultStartAt - windowMs);
  return count === 0 ? null : count / (windowMs / 1000);
}

/**
 * From the fault's end until the trailing 1 s window of completions holds 90% of
 * what the pre-fault rate puts in one second; only completions after the end
 * count, so runs finished before the fault never make it look recovered. Null
 * without a pre-fault rate or if the rate never came back.
 */
export function timeToThroughputRecoveryMs(
  sortedCompletions: Float64Array,
  faultEndAt: number,
  preFaultRatePerSec: number | null,
): number | null {
  if (preFaultRatePerSec === null) return null;
  const needed = RECOVERED_FRACTION * preFaultRatePerSec * (RECOVERY_WINDOW_MS / 1000);
  const first = lowerBound(sortedCompletions, faultEndAt);
  let from = first;
  for (let j = first; j < sortedCompletions.length; j++) {
    const at = sortedCompletions[j]!;
    while (sortedCompletions[from]! <= at - RECOVERY_WINDOW_MS) from++;
    if (j - from + 1 >= needed) return at - faultEndAt;
  }
  return null;
}

/**
 * The largest latency of an affected completed run over the median latency of
 * the unaffected ones (non-warm-up runs only, as for latency). Null when either
 * side has no sample.
 */
function maxExtraDelayMs(runs: RunTable, affected: ReadonlySet<string>): number | null {
  const unaffected: number[] = [];
  let maxAffected = Number.NEGATIVE_INFINITY;
  for (const run of runs.runs.values()) {
    const ms = runLatencyMs(run);
    if (ms === null) continue;
    if (affected.has(run.runId)) maxAffected = Math.max(maxAffected, ms);
    else unaffected.push(ms);
  }
  if (unaffected.length === 0 || maxAffected === Number.NEGATIVE_INFINITY) return null;
  return maxAffected - median(unaffected);
}

function median(values: number[]): number {
  const sorted = values.sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** First index whose value is >= x. */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function toMicros(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function nullable<T, R>(f: (value: T) => R, value: T | null): R | null {
  return value === null ? null : f(value);
}
