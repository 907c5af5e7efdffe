import type { CellResult, LatencySummary } from '../../core/results.js';
import { FAILING_KINDS } from '../checker/verdict.js';
import {
  type OccurrenceField,
  occurrenceStat,
  PERCENTILE_STATS,
  type PercentileStat,
} from './occurrence-stats.js';

/**
 * The metric catalog: every per-cell figure Faultline judges or reports, declared
 * once. Gates validate names against it and read values through it, `faultline
 * compare` compares the metrics it marks compared in their worse direction,
 * summary.csv has a column per metric with a CSV name (in catalog order), report
 * tables and the printed summary format a metric by its unit, `faultline list`
 * prints it. Adding a metric is adding one declaration here; the CellResult
 * fields it reads stay the results schema (core/results.ts).
 */

/** ms takes a time unit in a gate (ms, s, m); the others are plain numbers. */
export type MetricUnit = 'count' | 'ms' | 'ratio' | 'runs/s' | 'MB';
/** Which way is better; `neither` for figures that describe the load or the sample, never compared. */
type Better = 'lower' | 'higher' | 'neither';
/**
 * `faulted`: only cells that had (or were meant to have) a fault. A fault-free cell
 * has nothing to recover from, so gates leave it out rather than count it UNKNOWN.
 */
type MetricScope = 'all' | 'faulted';

export interface MetricDefinition<N extends string = string> {
  /** The gate name, e.g. `lost`, `latency.p99`, `recovery.p95`. */
  name: N;
  unit: MetricUnit;
  better: Better;
  /** One line: what it counts or measures, and from what. */
  description: string;
  /** How report tables label it. */
  label: string;
  scope: MetricScope;
  /** Its summary.csv column; null when summary.csv has no column for it (the comment says why). */
  csv: string | null;
  /** Whether `faultline compare` judges it against a baseline (needs a better direction). */
  compared: boolean;
  /** For a stat over the cell's fault occurrences: the occurrence field (a faults.csv column). */
  occurrenceField?: OccurrenceField;
  /** Its value in a cell; null when the cell has no samples to judge by. */
  read: (cell: CellResult) => number | null;
}

export interface MetricCatalog {
  /** In declaration order: the order of summary.csv, compare and `faultline list`. */
  readonly metrics: readonly MetricDefinition[];
  readonly names: readonly string[];
  find(name: string): MetricDefinition | undefined;
  /** A metric the code names itself; an unknown name is a bug, so it throws (user input goes through find). */
  get(name: string): MetricDefinition;
}

/** A catalog from declarations; throws on a repeated name or CSV column, or a compared metric without direction. */
export function createCatalog(metrics: readonly MetricDefinition[]): MetricCatalog {
  const byName = new Map<string, MetricDefinition>();
  const columns = new Set<string>();
  for (const metric of metrics) {
    if (byName.has(metric.name)) throw new Error(`metric catalog: "${metric.name}" is declared twice`);
    if (metric.csv !== null) {
      if (columns.has(metric.csv))
        throw new Error(`metric catalog: CSV column "${metric.csv}" is used twice`);
      columns.add(metric.csv);
    }
    if (metric.compared && metric.better === 'neither') {
      throw new Error(`metric catalog: "${metric.name}" is compared but has no better direction`);
    }
    byName.set(metric.name, metric);
  }
  return {
    metrics,
    names: metrics.map((m) => m.name),
    find: (name) => byName.get(name),
    get(name) {
      const metric = byName.get(name);
      if (metric === undefined) throw new Error(`metric catalog: no metric "${name}"`);
      return metric;
    },
  };
}

/** A cell that had (or was meant to have) a fault. */
export function isFaultCell(cell: CellResult): boolean {
  return cell.fault !== 'none' || cell.faults.length > 0;
}

export function metricAppliesTo(cell: CellResult, metric: MetricDefinition): boolean {
  return metric.scope === 'all' || isFaultCell(cell);
}

// --- the declarations ---------------------------------------------------------------

/** Keeps the literal name, so the code can name built-in metrics by a checked type. */
const define = <const N extends string>(metric: MetricDefinition<N>): MetricDefinition<N> => metric;

const ran = (c: CellResult) => c.runs.submitted > 0;
/** Bytes as megabytes (10^6), to 0.1. */
const megabytes = (bytes: number | undefined) =>
  bytes === undefined || bytes === 0 ? null : Math.round(bytes / 100_000) / 10;
/** Effects are judged only where the scenario promises effects (or some were applied). */
const hasEffects = (c: CellResult) => ran(c) && (c.effects.expectedPerRun > 0 || c.effects.applied > 0);
const whenRan = (value: (c: CellResult) => number) => (c: CellResult) => (ran(c) ? value(c) : null);
const withEffects = (value: (c: CellResult) => number) => (c: CellResult) =>
  hasEffects(c) ? value(c) : null;

export const LATENCY_STATS = ['p50', 'p90', 'p95', 'p99', 'max', 'mean'] as const;
export type LatencyStat = (typeof LATENCY_STATS)[number] & keyof LatencySummary;
/** Recovery gates take the percentile stats over a cell's fault occurrences. */
export const RECOVERY_STATS = PERCENTILE_STATS;
export type RecoveryStat = PercentileStat;

const LATENCY_CSV: Record<LatencyStat, string> = {
  p50: 'latencyP50Ms',
  p90: 'latencyP90Ms',
  p95: 'latencyP95Ms',
  p99: 'latencyP99Ms',
  max: 'latencyMaxMs',
  mean: 'latencyMeanMs',
};
const COMPARED_LATENCY: readonly LatencyStat[] = ['p50', 'p95', 'p99'];

/** A family of time stats over one occurrence field: `${prefix}.p50` … `${prefix}.max`. */
function occurrenceTimes<const P extends string>(family: {
  prefix: P;
  field: OccurrenceField;
  what: string;
  label: string;
  csv: Partial<Record<PercentileStat, string>>;
  compared: readonly PercentileStat[];
}) {
  return PERCENTILE_STATS.map((stat) =>
    define({
      name: `${family.prefix}.${stat}` as `${P}.${PercentileStat}`,
      unit: 'ms',
      better: 'lower',
      description: `${stat} over the cell's fault occurrences of ${family.what}`,
      label: `${family.label} (${stat})`,
      scope: 'faulted',
      csv: family.csv[stat] ?? null,
      compared: family.compared.includes(stat),
      occurrenceField: family.field,
      read: (c) => occurrenceStat(c, family.field, stat),
    }),
  );
}

/** The built-in metrics, in summary.csv's column order. */
export const BUILT_IN_METRICS = [
  define({
    name: 'submitted',
    unit: 'count',
    better: 'neither',
    description: 'runs handed to the orchestrator (warm-up runs included): the load, not a quality',
    label: 'runs submitted',
    scope: 'all',
    csv: 'runsSubmitted',
    compared: false,
    read: (c) => c.runs.submitted,
  }),
  define({
    name: 'completed',
    unit: 'count',
    better: 'higher',
    description: 'runs completed with all their effects',
    label: 'runs completed',
    scope: 'all',
    csv: 'runsCompleted',
    compared: false,
    read: whenRan((c) => c.runs.completed),
  }),
  define({
    name: 'failed',
    unit: 'count',
    better: 'lower',
    description: 'runs that failed as the scenario allows',
    label: 'runs failed',
    scope: 'all',
    csv: 'runsFailed',
    compared: true,
    read: whenRan((c) => c.runs.failed),
  }),
  define({
    name: 'lost',
    unit: 'count',
    better: 'lower',
    description:
      'runs submitted and acknowledged but neither completed with all effects nor failed as allowed',
    label: 'lost runs',
    scope: 'all',
    csv: 'runsLost',
    compared: true,
    read: whenRan((c) => c.runs.lost),
  }),
  define({
    name: 'warmup',
    unit: 'count',
    better: 'neither',
    description: 'runs submitted during warm-up, left out of latency and throughput',
    label: 'warm-up runs',
    scope: 'all',
    csv: 'runsWarmup',
    compared: false,
    read: (c) => c.runs.warmup,
  }),
  define({
    name: 'stepsCompleted',
    unit: 'count',
    better: 'neither',
    description: 'steps whose code finished',
    label: 'steps completed',
    scope: 'all',
    csv: 'stepsCompleted',
    compared: false,
    read: whenRan((c) => c.steps.completed),
  }),
  define({
    name: 'applied',
    unit: 'count',
    better: 'neither',
    description: 'effects the world applied (duplicates included, idempotency-blocked ones not)',
    label: 'effects applied',
    scope: 'all',
    csv: 'effectsApplied',
    compared: false,
    read: withEffects((c) => c.effects.applied),
  }),
  define({
    name: 'duplicates',
    unit: 'count',
    better: 'lower',
    description: 'effects applied more than once for the same run and step: the harm',
    label: 'duplicate effects',
    scope: 'all',
    csv: 'effectsDuplicates',
    compared: true,
    read: withEffects((c) => c.effects.duplicates),
  }),
  define({
    name: 'deduplicated',
    unit: 'count',
    better: 'neither',
    description: 'second applications of an effect that an idempotency key blocked',
    label: 'deduplicated by key',
    scope: 'all',
    csv: 'effectsDeduplicated',
    compared: false,
    read: withEffects((c) => c.effects.deduplicated),
  }),
  define({
    name: 'compensated',
    unit: 'count',
    better: 'neither',
    description: 'effects undone by a compensation (saga)',
    label: 'effects compensated',
    scope: 'all',
    csv: 'effectsCompensated',
    compared: false,
    read: withEffects((c) => c.effects.compensated),
  }),
  define({
    name: 'attempts',
    unit: 'count',
    better: 'lower',
    description: 'step executions begun, retries included',
    label: 'step attempts',
    scope: 'all',
    csv: 'attempts',
    compared: false,
    read: whenRan((c) => c.attempts.total),
  }),
  define({
    name: 'duplicateAttempts',
    unit: 'count',
    better: 'lower',
    description: 'steps started more than once (retries included)',
    label: 'duplicate attempts',
    scope: 'all',
    csv: 'duplicateAttempts',
    compared: false,
    read: whenRan((c) => c.attempts.duplicates),
  }),
  define({
    name: 'anomalies',
    unit: 'count',
    better: 'lower',
    description: `anomalies of the kinds that fail a verdict (${FAILING_KINDS.join(', ')})`,
    label: 'verdict-failing anomalies',
    scope: 'all',
    // summary.csv's `anomalies` column holds the count of every kind (JSON); this is their failing sum.
    csv: null,
    compared: true,
    read: whenRan((c) => FAILING_KINDS.reduce((sum, kind) => sum + (c.anomalyCounts[kind] ?? 0), 0)),
  }),
  define({
    name: 'retryAmplification',
    unit: 'ratio',
    better: 'lower',
    description: 'step attempts per planned step instance of the submitted runs',
    label: 'retry amplification',
    scope: 'all',
    csv: 'retryAmplification',
    compared: true,
    read: (c) => c.attempts.retryAmplification,
  }),
  define({
    name: 'redoneWork',
    unit: 'ms',
    better: 'lower',
    description: 'work of checkpointed steps done more than once (summed over runs)',
    label: 'work redone after checkpoints',
    scope: 'all',
    csv: 'redoneWorkMs',
    compared: false,
    read: (c) => c.redoneWorkMs ?? null,
  }),
  define({
    name: 'latency.count',
    unit: 'count',
    better: 'neither',
    description: 'latency samples: completed non-warm-up runs',
    label: 'latency samples',
    scope: 'all',
    csv: 'latencyCount',
    compared: false,
    read: (c) => c.latencyMs.count,
  }),
  ...LATENCY_STATS.map((stat) =>
    define({
      name: `latency.${stat}` as const,
      unit: 'ms',
      better: 'lower',
      description: `${stat} of run latency: completion minus the intended submit time (non-warm-up runs)`,
      label: `latency ${stat}`,
      scope: 'all',
      csv: LATENCY_CSV[stat],
      compared: COMPARED_LATENCY.includes(stat),
      read: (c) => c.latencyMs[stat],
    }),
  ),
  define({
    name: 'throughput',
    unit: 'runs/s',
    better: 'higher',
    description: 'completed runs per second in steady state (after warm-up)',
    label: 'throughput (runs/s)',
    scope: 'all',
    csv: 'throughputPerSec',
    compared: true,
    read: (c) => c.throughputPerSec,
  }),
  define({
    name: 'faultOccurrences',
    unit: 'count',
    better: 'neither',
    description: 'fault occurrences recorded in the cell',
    label: 'fault occurrences',
    scope: 'all',
    csv: 'faultOccurrences',
    compared: false,
    read: (c) => c.faults.length,
  }),
  ...occurrenceTimes({
    prefix: 'recovery',
    field: 'timeToFirstProgressMs',
    what: 'the time from the fault end (or the kill) to the first completed step of an affected run',
    label: 'recovery: first progress',
    csv: {
      p50: 'recoveryFirstProgressP50Ms',
      p95: 'recoveryFirstProgressP95Ms',
      max: 'recoveryFirstProgressMaxMs',
    },
    compared: ['p95'],
  }),
  ...occurrenceTimes({
    prefix: 'throughputRecovery',
    field: 'timeToThroughputRecoveryMs',
    what: 'the time from the fault end until windowed throughput is back to 90% of the pre-fault rate',
    label: 'recovery: throughput at 90%',
    csv: { p95: 'recoveryThroughputP95Ms', max: 'recoveryThroughputMaxMs' },
    compared: ['p95'],
  }),
  define({
    name: 'affectedRuns',
    unit: 'count',
    better: 'neither',
    description:
      "runs a fault reached (in flight at it or submitted during it; for a kill, the killed steps' runs), summed over occurrences",
    label: 'runs affected by faults',
    scope: 'faulted',
    csv: 'affectedRuns',
    compared: false,
    occurrenceField: 'affectedRuns',
    read: (c) => occurrenceStat(c, 'affectedRuns', 'sum'),
  }),
  ...occurrenceTimes({
    prefix: 'extraDelay',
    field: 'affectedRunsMaxDelayMs',
    what: "the largest extra latency of an affected run over the cell's median",
    label: 'extra delay of affected runs',
    csv: { max: 'affectedRunsMaxDelayMs' },
    compared: [],
  }),
  // Added after the first catalog: new columns go at the end of summary.csv's metric columns.
  define({
    name: 'timers.due',
    unit: 'count',
    better: 'neither',
    description: 'timer steps whose intended fire time came (their dependencies finished ok)',
    label: 'timers due',
    scope: 'all',
    csv: 'timersDue',
    compared: false,
    read: (c) => c.timers?.due ?? null,
  }),
  define({
    name: 'timers.lost',
    unit: 'count',
    better: 'lower',
    description: 'timers due that never fired, of runs that did not end failed',
    label: 'timers lost',
    scope: 'all',
    csv: 'timersLost',
    compared: true,
    read: (c) => c.timers?.lost ?? null,
  }),
  define({
    name: 'timers.firedTwice',
    unit: 'count',
    better: 'lower',
    description: 'timers that fired more than once (a redelivered countdown, a re-run delayed job)',
    label: 'timers fired twice',
    scope: 'all',
    csv: 'timersFiredTwice',
    compared: true,
    read: (c) => c.timers?.firedTwice ?? null,
  }),
  ...(['p50', 'p99', 'max'] as const).map((stat) =>
    define({
      name: `timers.drift.${stat}` as const,
      unit: 'ms',
      better: 'lower',
      description: `${stat} of timer fire-time drift: first firing minus the moment its dependencies finished plus its delay (non-warm-up runs)`,
      label: `timer drift ${stat}`,
      scope: 'all',
      csv: { p50: 'timerDriftP50Ms', p99: 'timerDriftP99Ms', max: 'timerDriftMaxMs' }[stat],
      compared: stat === 'p99',
      read: (c) => c.timers?.driftMs[stat] ?? null,
    }),
  ),
  define({
    name: 'footprint.cpuPer1000Runs',
    unit: 'ms',
    better: 'lower',
    description:
      'CPU time of the backend servers and the workers (pool children included) per 1,000 completed runs, sampled from /proc',
    label: 'CPU per 1,000 runs (backend + workers)',
    scope: 'all',
    csv: 'cpuMsPer1000Runs',
    compared: false,
    read: (c) => c.footprint?.cpuMsPer1000Runs ?? null,
  }),
  define({
    name: 'footprint.backendCpu',
    unit: 'ms',
    better: 'lower',
    description: "CPU time of the adapter's backend servers during the cell",
    label: 'backend CPU',
    scope: 'all',
    csv: 'backendCpuMs',
    compared: false,
    read: (c) => c.footprint?.backend.cpuMs ?? null,
  }),
  define({
    name: 'footprint.workersCpu',
    unit: 'ms',
    better: 'lower',
    description: 'CPU time of the worker processes and their pool children during the cell',
    label: 'workers CPU',
    scope: 'all',
    csv: 'workersCpuMs',
    compared: false,
    read: (c) => c.footprint?.workers.cpuMs ?? null,
  }),
  define({
    name: 'footprint.backendPeakRss',
    unit: 'MB',
    better: 'lower',
    description: "the largest resident memory the adapter's backend servers held at once",
    label: 'backend peak memory (MB)',
    scope: 'all',
    csv: 'backendPeakRssMB',
    compared: false,
    read: (c) => megabytes(c.footprint?.backend.peakRssBytes),
  }),
  define({
    name: 'footprint.workersPeakRss',
    unit: 'MB',
    better: 'lower',
    description: 'the largest resident memory the workers (pool children included) held at once',
    label: 'workers peak memory (MB)',
    scope: 'all',
    csv: 'workersPeakRssMB',
    compared: false,
    read: (c) => megabytes(c.footprint?.workers.peakRssBytes),
  }),
  define({
    name: 'stackStart',
    unit: 'ms',
    better: 'lower',
    description:
      "the stack's start: its slowest service from spawn to answering, the driver's setup, the workers' start and the first run's acceptance",
    label: 'stack start',
    scope: 'all',
    csv: 'stackStartMs',
    compared: false,
    read: (c) => c.footprint?.stackStartMs ?? null,
  }),
  define({
    name: 'deploy.inFlight',
    unit: 'count',
    better: 'neither',
    description:
      'runs in flight at a deploy: submitted before the last worker ran the new version, not done before the first was stopped',
    label: 'runs in flight at the deploy',
    scope: 'faulted',
    csv: 'deployInFlight',
    compared: false,
    read: (c) => c.deploy?.inFlight ?? null,
  }),
  define({
    name: 'deploy.oldPath',
    unit: 'count',
    better: 'neither',
    description: 'runs in flight at a deploy that completed on the old version’s path',
    label: 'deploy: completed on the old path',
    scope: 'faulted',
    csv: 'deployOldPath',
    compared: false,
    read: (c) => c.deploy?.outcomes['old-path'] ?? null,
  }),
  define({
    name: 'deploy.newPath',
    unit: 'count',
    better: 'neither',
    description: 'runs in flight at a deploy that completed on the new version’s path',
    label: 'deploy: completed on the new path',
    scope: 'faulted',
    csv: 'deployNewPath',
    compared: false,
    read: (c) => c.deploy?.outcomes['new-path'] ?? null,
  }),
  define({
    name: 'deploy.mixed',
    unit: 'count',
    better: 'lower',
    description: 'runs in flight at a deploy that completed on neither version’s path alone',
    label: 'deploy: completed on a mixed path',
    scope: 'faulted',
    csv: 'deployMixed',
    compared: false,
    read: (c) => c.deploy?.outcomes.mixed ?? null,
  }),
  define({
    name: 'deploy.failed',
    unit: 'count',
    better: 'lower',
    description: 'runs in flight at a deploy that failed',
    label: 'deploy: failed',
    scope: 'faulted',
    csv: 'deployFailed',
    compared: true,
    read: (c) => c.deploy?.outcomes.failed ?? null,
  }),
  define({
    name: 'deploy.stuck',
    unit: 'count',
    better: 'lower',
    description:
      'runs in flight at a deploy with no outcome by the end (e.g. waiting for code that can replay them)',
    label: 'deploy: stuck',
    scope: 'faulted',
    csv: 'deployStuck',
    compared: true,
    read: (c) => c.deploy?.outcomes.stuck ?? null,
  }),
  define({
    name: 'deploy.duplicates',
    unit: 'count',
    better: 'lower',
    description:
      'runs in flight at a deploy that applied an effect twice (a renamed step’s under both names too)',
    label: 'deploy: effects applied twice',
    scope: 'faulted',
    csv: 'deployDuplicateEffects',
    compared: true,
    read: (c) => c.deploy?.outcomes['duplicate-effects'] ?? null,
  }),
  define({
    name: 'deploy.versionConflicts',
    unit: 'count',
    better: 'neither',
    description:
      'runs in flight at a deploy whose worker said its code could not continue them (Temporal: non-determinism errors)',
    label: 'deploy: version conflicts',
    scope: 'faulted',
    csv: 'deployVersionConflicts',
    compared: false,
    read: (c) => c.deploy?.versionConflicts ?? null,
  }),
];

export type MetricName = (typeof BUILT_IN_METRICS)[number]['name'];

/** The built-in catalog every command uses. */
export const METRICS: MetricCatalog = createCatalog(BUILT_IN_METRICS);

/** A built-in metric the code names (the name is type-checked). */
export function metric(name: MetricName): MetricDefinition {
  return METRICS.get(name);
}
