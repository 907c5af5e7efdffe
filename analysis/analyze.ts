import type { HistoryEvent } from '../core/history/events.js';
import { readEvents } from '../core/history/reader.js';
import type { CellLoad, CellResult, FaultOccurrenceResult } from '../core/results.js';
import type { KnobValue } from '../core/topology.js';
import type { RunPlan } from '../scenarios/plan.js';
import { type CheckOptions, createChecker, DEFAULT_CHECK_OPTIONS } from './checker/index.js';
import { createDeployFold, type PlanVersion } from './metrics/deploy.js';
import { createFootprintFold } from './metrics/footprint.js';
import { encodeLatencies, runLatencyHistogram, summarizeHistogram } from './metrics/latency.js';
import { createRecoveryFold } from './metrics/recovery.js';
import { createRedoneWorkFold } from './metrics/redone-work.js';
import {
  completionTimes,
  firstSubmitAt,
  steadyStateThroughputPerSec,
  steadyStateWindow,
  throughputSeries,
} from './metrics/throughput.js';
import { createTimerFold } from './metrics/timers.js';
import { createTraceabilityFold } from './metrics/traceability.js';

/**
 * The one streaming entry point from a history to results: every event is routed
 * by its `cell` to that cell's folds (checker, recovery), each of which keeps
 * per-run state only, so a history of any length is read once in bounded memory.
 * Everything here is a pure function of the events, except reading the file.
 */

/** What the history alone does not say about a cell: its names, knobs and run plan. */
export interface CellMeta {
  id: string;
  scenario: string;
  adapter: string;
  fault: string;
  /** Which repeat of the cell (1-based), when the experiment repeats cells. */
  repeat?: number;
  /** Capacity steps: the cell's own load. */
  load?: CellLoad;
  knobs: Record<string, unknown>;
  plan: RunPlan;
  /** The adapter's recovery facts: the knobs credited with recovery from a kill. */
  governedBy?: Readonly<Record<string, KnobValue>>;
  /** The adapter's own services (its topology): the backend its footprint is charged with. */
  services?: readonly string[];
  /** Cells with a deploy: every version of the scenario (the first is `plan`'s), with the change that made it. */
  versions?: readonly PlanVersion[];
  /**
   * Judge failed runs by the saga rule (see CheckOptions). When not given, the plan's
   * own rule decides (RunPlan.rollsBackOnFailure), or else the default passed to
   * analyzeHistory.
   */
  requireCompensationOnFailure?: boolean;
}

export interface CellAnalysis {
  add(event: HistoryEvent): void;
  /** Ends the cell's history and computes its result; call once. */
  result(): CellResult;
}

export function createCellAnalysis(
  cell: CellMeta,
  defaults: CheckOptions = DEFAULT_CHECK_OPTIONS,
): CellAnalysis {
  const versionPlans = cell.versions?.map((v) => v.plan);
  const checker = createChecker(cell.plan, {
    requireCompensationOnFailure:
      cell.requireCompensationOnFailure ??
      (cell.plan.rollsBackOnFailure || defaults.requireCompensationOnFailure),
    ...(versionPlans ? { versions: versionPlans } : {}),
  });
  const recovery = createRecoveryFold();
  const redoneWork = createRedoneWorkFold(cell.plan);
  const traceability = createTraceabilityFold();
  const timers = createTimerFold(cell.plan, versionPlans);
  const deploy = createDeployFold(cell.versions ?? []);
  const footprint = createFootprintFold(cell.services);
  let startedAt = Number.POSITIVE_INFINITY;
  let endedAt = Number.NEGATIVE_INFINITY;
  let world: CellResult['world'];
  let drainTimeoutMs: number | null = null;
  return {
    add(event) {
      if (event.type === 'process-usage' || event.type === 'stack-start') {
        // Samples of the cell's processes: not part of what the system under test did.
        footprint.add(event);
        return;
      }
      if (event.type === 'world-stats') {
        world = { requests: event.requests, cpuUtilisation: event.cpuUtilisation };
        return;
      }
      if (event.type === 'cell-start') drainTimeoutMs = event.drainTimeoutMs;
      startedAt = Math.min(startedAt, event.t);
      endedAt = Math.max(endedAt, event.t);
      recovery.add(event);
      redoneWork.add(event);
      traceability.add(event);
      timers.add(event);
      footprint.add(event);
      deploy.add(event);
      checker.add(event);
    },
    result() {
      const check = checker.result();
      const runs = () => checker.runs.runs.values();
      const hasEvents = Number.isFinite(startedAt);
      const completions = completionTimes(runs());
      const latencies = runLatencyHistogram(runs());
      const redone = redoneWork.result();
      const timerResults = timers.result(checker.runs);
      const footprintResults = footprint.result(check.runs.completed);
      const deployResults = deploy.result(checker.runs);
      // The time axis starts at the first submit; a cell that submitted nothing falls back to its first event.
      const originAt = firstSubmitAt(runs()) ?? (hasEvents ? startedAt : 0);
      return {
        id: cell.id,
        scenario: cell.scenario,
        adapter: cell.adapter,
        fault: cell.fault,
        ...(cell.repeat === undefined ? {} : { repeat: cell.repeat }),
        ...(cell.load === undefined ? {} : { load: cell.load }),
        knobs: cell.knobs,
        // A cell with no events at all has no time span; 0 keeps results.json numeric (its verdict is 'unknown').
        startedAt: hasEvents ? startedAt : 0,
        endedAt: hasEvents ? endedAt : 0,
        runs: check.runs,
        steps: check.steps,
        effects: check.effects,
        attempts: check.attempts,
        latencyMs: summarizeHistogram(latencies),
        latencyHistogram: encodeLatencies(latencies),
        throughputPerSec: steadyStateThroughputPerSec(runs()),
        throughputWindow: steadyStateWindow(runs()),
        throughputSeries: throughputSeries(completions, originAt),
        verdict: check.verdict,
        anomalyCounts: check.anomalyCounts,
        anomalies: check.anomalies,
        faults: withGovernedBy(recovery.result(checker.runs, completions, originAt), cell.governedBy),
        redoneWorkMs: redone?.totalMs ?? null,
        ...(redone ? { redoneWorkPerStepMs: redone.perStepMs } : {}),
        observability: {
          ...traceability.result(),
          completedRuns: check.runs.completed,
          completeHistories: check.completeHistories,
        },
        ...(world ? { world } : {}),
        drainTimeoutMs,
        ...(timerResults ? { timers: timerResults } : {}),
        ...(footprintResults ? { footprint: footprintResults } : {}),
        ...(deployResults ? { deploy: deployResults } : {}),
      };
    },
  };
}

/** A kill's recovery is the orchestrator's to govern: credit the adapter's recovery knobs. */
function withGovernedBy(
  faults: FaultOccurrenceResult[],
  governedBy: Readonly<Record<string, KnobValue>> | undefined,
): FaultOccurrenceResult[] {
  if (governedBy === undefined) return faults;
  for (const fault of faults) if (fault.killed?.length) fault.governedBy = { ...governedBy };
  return faults;
}

/**
 * Checks and measures every cell of a history. Events of a cell not in `cells`
 * are ignored; results come back in the order of `cells`.
 */
export async function analyzeHistory(
  events: AsyncIterable<HistoryEvent> | Iterable<HistoryEvent>,
  cells: CellMeta[],
  options: Partial<CheckOptions> = {},
): Promise<CellResult[]> {
  const defaults: CheckOptions = { ...DEFAULT_CHECK_OPTIONS, ...options };
  const analyses = new Map(cells.map((cell) => [cell.id, createCellAnalysis(cell, defaults)]));
  // An in-memory history needs no await per event (a microtask each adds up over a million).
  if (Symbol.iterator in events) for (const event of events) analyses.get(event.cell)?.add(event);
  else for await (const event of events) analyses.get(event.cell)?.add(event);
  return [...analyses.values()].map((analysis) => analysis.result());
}

/** `analyzeHistory` over a history.jsonl file, streamed line by line. */
export function analyzeHistoryFile(
  path: string,
  cells: CellMeta[],
  options: Partial<CheckOptions> = {},
): Promise<CellResult[]> {
  return analyzeHistory(readEvents(path), cells, options);
}
