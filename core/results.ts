import type { KnobValue } from './topology.js';

/**
 * results.json: the versioned, machine-readable summary of a run (k6's summary,
 * OMB's result files). Every number in it is recomputable from history.jsonl plus
 * the recorded config; field names are a public contract.
 */
export const RESULTS_SCHEMA_VERSION = 2;

export type Verdict = 'pass' | 'fail' | 'unknown';

export type AnomalyKind =
  | 'lost-run'
  | 'duplicate-effect'
  | 'duplicate-attempt'
  | 'ordering'
  | 'unexpected-outcome'
  | 'compensation';

export interface Anomaly {
  kind: AnomalyKind;
  runId: string;
  stepId?: string;
  message: string;
}

export interface LatencySummary {
  /** Number of samples (completed, non-warm-up runs). */
  count: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

export interface ThroughputPoint {
  /** Seconds since the cell's first submit. */
  second: number;
  completed: number;
}

/** One fault occurrence and how the system recovered from it (DESIGN.md's recovery time). */
export interface FaultOccurrenceResult {
  id: string;
  kind: string;
  target: string;
  startMs: number;
  endMs: number;
  params?: Record<string, unknown>;
  /** Fault end (or the kill) to the first completed step of an affected run. */
  timeToFirstProgressMs: number | null;
  /** Fault end until windowed throughput is back to 90% of the pre-fault rate. */
  timeToThroughputRecoveryMs: number | null;
  affectedRuns: number;
  /** Largest extra delay of a run that was in flight, over the cell's median latency. */
  affectedRunsMaxDelayMs: number | null;
  /** Workers whose steps in flight died with this occurrence (kills and failpoints only). */
  killed?: string[];
  /** Kills: the steps the killed workers had in flight (approval waits aside); 0 when the kill hit an idle worker. */
  stepsInFlight?: number;
  /** Kills: the adapter knobs (and values) that governed recovery, e.g. { lockDuration: 30000 }. */
  governedBy?: Record<string, KnobValue>;
  /**
   * Faults aimed at workers (kills, failpoints): the roles of the workers it hit, from
   * cell-start (`worker`, or e.g. `workflow`, `activity`). Absent for other faults.
   */
  roles?: string[];
}

/** What a cell's worker processes used (worker-usage events; harness/supervisor/usage.ts). */
export interface WorkerUsageSummary {
  /** Process incarnations counted (restarts after kills included). */
  processes: number;
  /** CPU time, user + system, of all of them, in ms. */
  cpuMs: number;
  /** Of cpuMs, what they used before they announced readiness (interpreter, imports, connecting). */
  startupCpuMs: number;
  /** The largest peak resident set of one worker (with its pool), in KiB. */
  maxPeakRssKb: number;
}

/** A cell's own load (a capacity step). */
export interface CellLoad {
  ratePerSec: number;
  workers: number;
}

export interface CellResult {
  /** `${scenario}/${adapter}/${fault}`, the `cell` of every history event of this cell. */
  id: string;
  scenario: string;
  adapter: string;
  fault: string;
  /** Which repeat of scenario × adapter × fault (1-based), when the experiment repeats cells; reports pool them. */
  repeat?: number;
  /**
   * Capacity steps only: the load this cell ran at, its own rather than the experiment's.
   * Cells of different loads are never pooled as repeats.
   */
  load?: CellLoad;
  /** Every adapter knob's value as used. */
  knobs: Record<string, unknown>;
  startedAt: number;
  endedAt: number;
  /**
   * Every submitted run is exactly one of completed (with all its effects), failed (as
   * the scenario allows), lost, or, in a cell the harness was stopped in, still in flight at
   * the interrupt: completed + failed + lost + interrupted = submitted. `lostBy` says how
   * the lost ones were lost. Refused submissions were never the orchestrator's to lose.
   */
  runs: {
    submitted: number;
    completed: number;
    failed: number;
    lost: number;
    warmup: number;
    refused: number;
    lostBy: LostBy;
    /** In flight when the harness was stopped (the cell never reached its drain's end): not lost, cut. */
    interrupted: number;
  };
  steps: { expectedPerRun: number; completed: number };
  effects: {
    expectedPerRun: number;
    applied: number;
    duplicates: number;
    deduplicated: number;
    compensated: number;
  };
  /** retryAmplification = attempts / planned step instances of the submitted runs (DESIGN.md). */
  attempts: { total: number; duplicates: number; retryAmplification: number | null };
  latencyMs: LatencySummary;
  /**
   * The steady-state latencies themselves, as HdrHistogram's compressed base64 encoding of
   * microsecond values: what intervals, pooled repeats and aggregated runs are computed from.
   * Null without samples.
   */
  latencyHistogram: string | null;
  /** Completed runs per second between the first and last steady-state completion. */
  throughputPerSec: number | null;
  /** The window throughput was measured over: completed runs and its span; null without two completions. */
  throughputWindow: { completed: number; spanMs: number } | null;
  throughputSeries: ThroughputPoint[];
  verdict: Verdict;
  /** Counts per anomaly kind (all of them), and up to a few examples each. */
  anomalyCounts: Partial<Record<AnomalyKind, number>>;
  anomalies: Anomaly[];
  faults: FaultOccurrenceResult[];
  /**
   * Work of checkpointed steps done more than once (ms, summed over runs): what a dead
   * worker cost beyond the last checkpoint the strategy resumed from (see
   * harness/metrics/redone-work.ts). Null when the scenario has no checkpointed step.
   * Absent in results written before it existed.
   */
  redoneWorkMs?: number | null;
  /** Redone work (ms) of each interrupted checkpointed step (one per run and step that ran more than once). */
  redoneWorkPerStepMs?: number[];
  /** What the history lets an auditor follow: correlated effects, complete run histories. */
  observability: Observability;
  /**
   * What the cell's workers used (CPU, memory), from the supervisor's readings; absent in
   * results written before it existed, null when the history holds no reading.
   */
  workerUsage?: WorkerUsageSummary | null;
  /** How busy the world (simulated APIs) was: a cell bound by the harness says so here. */
  world?: { requests: number; cpuUtilisation: number | null };
  /** The drain the cell waited after its load (raised where faults kill mid-step); null when not recorded. */
  drainTimeoutMs: number | null;
  /** Scenarios with timer steps only: fire-time drift, timers lost or fired twice. */
  timers?: TimerResults;
  /** CPU and memory of the backend and the workers, and stack start time; absent when not sampled. */
  footprint?: FootprintResults;
  /** Cells with a deploy: what the runs in flight did. */
  deploy?: DeployResults;
  /**
   * Set when the harness was stopped before this cell ended (a signal: `run-interrupted`;
   * or killed outright: a `cell-start` with no `cell-end`). Its verdict is then UNKNOWN
   * unless an anomaly already failed it, and its runs still in flight are `runs.interrupted`.
   * Absent for a cell that ran to its end.
   */
  interrupted?: Interruption;
  /**
   * How whole the cell's OpenTelemetry traces are (analysis/traces): null when the run was
   * not traced; absent in results written before traces existed.
   */
  traces?: TraceCompleteness | null;
}

/** How a cell was cut short; `signal` is null when the harness died without saying (SIGKILL). */
export interface Interruption {
  signal: string | null;
  /** When the harness recorded the interrupt, or the cell's last event when it could not. */
  at: number;
}

/**
 * The seed's "observability and governance", measured: effects that carry their run's
 * correlation id, and completed runs whose history shows an attempt and an ok step-done
 * for every planned step (an audit trail with no hole).
 */
export interface Observability {
  effects: number;
  /** Effects whose correlationId equals their runId. */
  correlated: number;
  /** Effects sent without a correlation id. */
  missing: number;
  /** Effects whose correlation id names another run. */
  mismatched: number;
  /** A few of the uncorrelated effects, for evidence. */
  examples: string[];
  completedRuns: number;
  completeHistories: number;
}

/**
 * Timer steps (a wait the orchestrator keeps): how late they fired and whether faults lost
 * one or fired one twice. A timer is due once its dependencies finished ok (its run was
 * submitted, for a first step): its intended fire time is then plus its delay, from the
 * history alone, whatever the orchestrator believed.
 */
export interface TimerResults {
  /** Timer instances whose intended fire time came (of submitted runs, warm-up included). */
  due: number;
  /** Due timers that fired at least once. */
  fired: number;
  /** Due timers that never fired, of runs that did not end failed (a failed run may drop its timers). */
  lost: number;
  /** Timers that fired more than once (a redelivered countdown, a re-run delayed job). */
  firedTwice: number;
  /** Timers whose first firing came before the intended time (or process clocks that far apart). */
  early: number;
  /** First firing minus intended fire time, of non-warm-up runs (early ones count as 0). */
  driftMs: LatencySummary;
  /** The drift distribution, HdrHistogram's compressed base64 of µs values; null without samples. */
  driftHistogram: string | null;
}

/** What one run in flight at a deploy did (exclusive; the harm first). */
export type DeployOutcome = 'duplicate-effects' | 'stuck' | 'failed' | 'old-path' | 'new-path' | 'mixed';

/**
 * Version drift: what the runs in flight at a rolling deploy of changed code did. In flight:
 * submitted before the last worker ran the new version, not done before the first was
 * stopped. Each is one outcome, from the history alone: effects applied twice (a step's, or a
 * renamed step's under both names), stuck (no outcome by the end), failed, or completed on
 * the old version's path, the new one's, or a mix of both.
 */
export interface DeployResults {
  change: { change: string; step: string; newStep?: string };
  fromVersion: number;
  toVersion: number;
  /** From the first worker stopped to the last one ready with the new version, ms. */
  durationMs: number | null;
  inFlight: number;
  outcomes: Record<DeployOutcome, number>;
  /** Runs a worker said its code could not continue (Temporal: non-determinism errors). */
  versionConflicts: number;
  /** A few runs of each outcome but the paths, for evidence. */
  examples: Partial<Record<DeployOutcome, string[]>>;
}

/** CPU and memory of a group of processes over a cell. */
export interface UsageTotals {
  /** CPU time used during the cell (user + system, descendants included), ms. */
  cpuMs: number;
  /** The largest resident memory the group held at once (sum over its processes at one sample), bytes. */
  peakRssBytes: number;
  /** The process names in the group. */
  processes: string[];
}

/**
 * The seed's "operational footprint", measured: what the backend servers and the workers
 * cost while the cell ran (sampled from /proc about once a second), normalised by the work
 * done, and how long the stack took to come up. The world, the links and the harness are
 * listed per process too, never charged to the adapter.
 */
export interface FootprintResults {
  /** Samples taken and the span between the first and the last. */
  samples: number;
  spanMs: number;
  /** The adapter's own services (its topology's `services`). */
  backend: UsageTotals;
  workers: UsageTotals;
  /**
   * Every sampled process name (services, workers, world, harness, helpers) with its role.
   * Only `backend` and `workers` are the adapter's: the world, the links, the harness and the
   * helpers doing the harness's side of the work out of process are listed, never charged.
   */
  processes: Record<string, UsageTotals & { role: string }>;
  /** Backend plus workers CPU per 1,000 completed runs, ms; null without a completed run. */
  cpuMsPer1000Runs: number | null;
  /**
   * Services up (the slowest of the adapter's, from spawn to answering) plus the driver's
   * setup, the workers' start, and the first run's acceptance: ms until the stack took work.
   * Null when a part was not timed (services someone else started).
   */
  stackStartMs: number | null;
  /**
   * The machine's CPU busy share over the cell (all its cores, whatever ran on them), 0..1:
   * near 1, the cell measured a saturated machine. Null when not sampled.
   */
  machineBusy?: number | null;
  /**
   * The busiest harness-side process's CPU over the cell (the harness itself, or a helper
   * such as Celery's submitter), in cores (1 = a full core): near 1, the harness's side may be the limit.
   */
  harnessCores?: number | null;
}

/** Trace completeness of one cell, from the span files and the history. */
export interface TraceCompleteness {
  /** Runs with a final state (completed or failed). */
  runs: number;
  /** Of them, runs whose trace holds the root span and the span of every attempt that ended. */
  completeRuns: number;
  /** completeRuns / runs; null when no run finished. */
  completeness: number | null;
  /** Finished runs whose spans fell into more than one trace: the context did not travel. */
  splitRuns: number;
  attemptSpans: {
    /** Attempts the history records. */
    expected: number;
    /** Attempts whose span is in a span file. */
    exported: number;
    /** Attempts a dying worker cut short: their span never ended. */
    lostInFlight: number;
    /** Attempts that ended but whose span died in the worker's export buffer. */
    lostBuffered: number;
  };
}

/** How lost runs were lost; the three add up to `runs.lost`. */
interface LostBy {
  /** Submitted, and no outcome by the end of the drain. */
  noOutcome: number;
  /** Reported completed, but an effect the plan promised was never applied. */
  missingEffects: number;
  /** Reported failed, though no step of the scenario can fail: the orchestrator gave up on it. */
  gaveUp: number;
}

export interface Results {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  tool: { name: 'faultline'; version: string; node: string };
  createdAt: string;
  /** The resolved experiment: seed, load, every adapter knob, faults, thresholds. */
  config: Record<string, unknown>;
  cells: CellResult[];
  /** Set when the run was cut short: the cells it cut (every report says so). Absent for a whole run. */
  interrupted?: { signal: string | null; cells: string[] };
}

export function cellId(scenario: string, adapter: string, fault: string): string {
  return `${scenario}/${adapter}/${fault}`;
}

/**
 * The id of the `index`-th run (0-based) of a cell of `runs` runs: `run-007` of 200. The
 * arrival schedule names runs so, and the checker finds the runs a history never submitted by it.
 */
export function plannedRunId(index: number, runs: number): string {
  return `run-${String(index + 1).padStart(String(runs).length, '0')}`;
}
