import { type HistoryEvent, RUN_LEVEL } from '../core/history/events.js';
import { readEvents } from '../core/history/reader.js';
import type { CellLoad, CellResult, FaultOccurrenceResult } from '../core/results.js';
import type { KnobValue } from '../core/topology.js';
import type { SpanRecord } from '../core/traces.js';
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
import { createWorkerUsageFold } from './metrics/worker-usage.js';
import { createTraceCompletenessFold } from './traces/completeness.js';

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
  /** Runs the arrival plan promised the cell (config.json's load.runs); the checker finds any never submitted. */
  plannedRuns?: number;
  /**
   * The cell's Faultline spans (from the span files) for trace completeness; null when the
   * run was not traced; undefined to leave trace completeness out of the result.
   */
  spans?: readonly SpanRecord[] | null;
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
    ...(cell.plannedRuns === undefined ? {} : { plannedRuns: cell.plannedRuns }),
  });
  const recovery = createRecoveryFold(cell.plan);
  const redoneWork = createRedoneWorkFold(cell.plan);
  const traceability = createTraceabilityFold();
  const timers = createTimerFold(cell.plan, versionPlans);
  const deploy = createDeployFold(cell.versions ?? []);
  const footprint = createFootprintFold(cell.services);
  const workerUsage = createWorkerUsageFold();
  /** Worker id → role, from cell-start. */
  let roles: Readonly<Record<string, string>> = {};
  const traces = cell.spans ? createTraceCompletenessFold() : null;
  let startedAt = Number.POSITIVE_INFINITY;
  let endedAt = Number.NEGATIVE_INFINITY;
  let world: CellResult['world'];
  let drainTimeoutMs: number | null = null;
  return {
    add(event) {
      // Events of the whole run (history-start, run-interrupted) tell the checker only.
      if (event.cell === RUN_LEVEL) {
        checker.add(event);
        return;
      }
      if (event.type === 'process-usage' || event.type === 'stack-start') {
        // Samples of the cell's processes: not part of what the system under test did.
        footprint.add(event);
        return;
      }
      if (event.type === 'world-stats') {
        world = { requests: event.requests, cpuUtilisation: event.cpuUtilisation };
        return;
      }
      if (event.type === 'worker-usage') {
        workerUsage.add(event);
        return;
      }
      if (event.type === 'cell-start') {
        drainTimeoutMs = event.drainTimeoutMs;
        roles = event.roles ?? {};
      }
      startedAt = Math.min(startedAt, event.t);
      endedAt = Math.max(endedAt, event.t);
      recovery.add(event);
      redoneWork.add(event);
      traceability.add(event);
      timers.add(event);
      footprint.add(event);
      deploy.add(event);
      traces?.add(event);
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
        faults: withRoles(
          withGovernedBy(recovery.result(checker.runs, completions, originAt), cell.governedBy),
          roles,
        ),
        redoneWorkMs: redone?.totalMs ?? null,
        ...(redone ? { redoneWorkPerStepMs: redone.perStepMs } : {}),
        observability: {
          ...traceability.result(),
          completedRuns: check.runs.completed,
          completeHistories: check.completeHistories,
        },
        workerUsage: workerUsage.result(),
        ...(world ? { world } : {}),
        drainTimeoutMs,
        ...(timerResults ? { timers: timerResults } : {}),
        ...(footprintResults ? { footprint: footprintResults } : {}),
        ...(deployResults ? { deploy: deployResults } : {}),
        ...(check.interrupted ? { interrupted: check.interrupted } : {}),
        ...(cell.spans === undefined ? {} : { traces: traces ? traces.result(cell.spans ?? []) : null }),
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
 * Faults aimed at workers name them in their target (one id, or ids joined by commas):
 * record the roles of those workers, so a report says which kind of worker was hit.
 */
function withRoles(
  faults: FaultOccurrenceResult[],
  roles: Readonly<Record<string, string>>,
): FaultOccurrenceResult[] {
  for (const fault of faults) {
    const hit = [...new Set(fault.target.split(',').flatMap((id) => (id in roles ? [roles[id]!] : [])))];
    if (hit.length > 0) fault.roles = hit;
  }
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
  const route = (event: HistoryEvent) => {
    if (event.cell === RUN_LEVEL) for (const analysis of analyses.values()) analysis.add(event);
    else analyses.get(event.cell)?.add(event);
  };
  if (Symbol.iterator in events) for (const event of events) route(event);
  else for await (const event of events) route(event);
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
