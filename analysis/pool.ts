import type {
  AnomalyKind,
  CellResult,
  DeployOutcome,
  DeployResults,
  FootprintResults,
  TimerResults,
  UsageTotals,
} from '../core/results.js';
import { MAX_EXAMPLES } from './metrics/deploy.js';
import { encodeLatencies, poolLatencies, summarizeHistogram } from './metrics/latency.js';

/**
 * Pools the repeats of one scenario × adapter × fault (from `--repeat`, or from several
 * run folders by `faultline aggregate`) into one cell with the same shape, so every
 * writer and interval reads pooled and single cells alike. Counts add up; the latency
 * distributions merge (their encoded histograms add); throughput is completions over the
 * summed windows; fault occurrences are kept side by side. Pure: from results alone.
 */
export interface PooledCell extends CellResult {
  /** The cells pooled, one per repeat. */
  cellIds: string[];
}

/** `scenario/adapter/fault`, the identity repeats share; a capacity step's load is part of it. */
export const groupKey = (cell: Pick<CellResult, 'scenario' | 'adapter' | 'fault' | 'load'>) =>
  `${cell.scenario}/${cell.adapter}/${cell.fault}${cell.load ? `@${loadTag(cell.load)}` : ''}`;

/** `w2-r400`: a capacity step's workers and rate, as its cell id ends. */
export const loadTag = (load: { workers: number; ratePerSec: number }) =>
  `w${load.workers}-r${load.ratePerSec}`;

/** Every group of repeats in results order, pooled. */
export function poolRepeats(cells: readonly CellResult[]): PooledCell[] {
  const groups = new Map<string, CellResult[]>();
  for (const cell of cells) {
    const key = groupKey(cell);
    const group = groups.get(key) ?? [];
    group.push(cell);
    groups.set(key, group);
  }
  return [...groups.values()].map(poolCells);
}

export function poolCells(cells: readonly CellResult[]): PooledCell {
  const [first] = cells;
  if (!first) throw new Error('poolCells needs at least one cell');
  if (cells.length === 1) return { ...first, id: groupKey(first), cellIds: [first.id] };
  const sum = (read: (c: CellResult) => number) => cells.reduce((total, c) => total + read(c), 0);
  const runs = {
    submitted: sum((c) => c.runs.submitted),
    completed: sum((c) => c.runs.completed),
    failed: sum((c) => c.runs.failed),
    lost: sum((c) => c.runs.lost),
    warmup: sum((c) => c.runs.warmup),
    refused: sum((c) => c.runs.refused),
    interrupted: sum((c) => c.runs.interrupted),
    lostBy: {
      noOutcome: sum((c) => c.runs.lostBy.noOutcome),
      missingEffects: sum((c) => c.runs.lostBy.missingEffects),
      gaveUp: sum((c) => c.runs.lostBy.gaveUp),
    },
  };
  const attempts = sum((c) => c.attempts.total);
  const planned = runs.submitted * first.steps.expectedPerRun;
  const pooledHistogram = poolLatencies(cells.map((c) => c.latencyHistogram));
  const windows = cells.flatMap((c) => (c.throughputWindow ? [c.throughputWindow] : []));
  const window =
    windows.length === 0
      ? null
      : {
          completed: windows.reduce((t, w) => t + w.completed, 0),
          spanMs: windows.reduce((t, w) => t + w.spanMs, 0),
        };
  const anomalyCounts: Partial<Record<AnomalyKind, number>> = {};
  for (const cell of cells)
    for (const [kind, n] of Object.entries(cell.anomalyCounts) as [AnomalyKind, number][])
      anomalyCounts[kind] = (anomalyCounts[kind] ?? 0) + n;
  const verdicts = cells.map((c) => c.verdict);
  const redone = cells.filter((c) => c.redoneWorkMs != null);
  return {
    ...first,
    id: groupKey(first),
    cellIds: cells.map((c) => c.id),
    startedAt: Math.min(...cells.map((c) => c.startedAt)),
    endedAt: Math.max(...cells.map((c) => c.endedAt)),
    runs,
    steps: { expectedPerRun: first.steps.expectedPerRun, completed: sum((c) => c.steps.completed) },
    effects: {
      expectedPerRun: first.effects.expectedPerRun,
      applied: sum((c) => c.effects.applied),
      duplicates: sum((c) => c.effects.duplicates),
      deduplicated: sum((c) => c.effects.deduplicated),
      compensated: sum((c) => c.effects.compensated),
    },
    attempts: {
      total: attempts,
      duplicates: sum((c) => c.attempts.duplicates),
      retryAmplification: planned === 0 ? null : attempts / planned,
    },
    latencyMs: summarizeHistogram(pooledHistogram),
    latencyHistogram: encodeLatencies(pooledHistogram),
    throughputPerSec: window ? window.completed / (window.spanMs / 1000) : null,
    throughputWindow: window,
    throughputSeries: first.throughputSeries,
    verdict: verdicts.includes('fail') ? 'fail' : verdicts.every((v) => v === 'unknown') ? 'unknown' : 'pass',
    anomalyCounts,
    anomalies: cells.flatMap((c) => c.anomalies).slice(0, 10),
    faults: cells.flatMap((c) => c.faults),
    redoneWorkMs:
      redone.length === 0 ? (first.redoneWorkMs ?? null) : redone.reduce((t, c) => t + c.redoneWorkMs!, 0),
    ...(redone.length === 0
      ? {}
      : { redoneWorkPerStepMs: redone.flatMap((c) => c.redoneWorkPerStepMs ?? []) }),
    observability: {
      effects: sum((c) => c.observability.effects),
      correlated: sum((c) => c.observability.correlated),
      missing: sum((c) => c.observability.missing),
      mismatched: sum((c) => c.observability.mismatched),
      examples: cells.flatMap((c) => c.observability.examples).slice(0, 3),
      completedRuns: sum((c) => c.observability.completedRuns),
      completeHistories: sum((c) => c.observability.completeHistories),
    },
    drainTimeoutMs: Math.max(...cells.map((c) => c.drainTimeoutMs ?? 0)),
    ...poolTimers(cells),
    ...poolDeploy(cells),
    ...poolFootprint(cells, runs.completed),
  };
}

/**
 * Footprints of repeats: CPU adds up (normalised again by all their completed runs), peaks
 * are the largest, the stack's start is their mean.
 */
function poolFootprint(cells: readonly CellResult[], completed: number): { footprint?: FootprintResults } {
  const measured = cells.flatMap((c) => (c.footprint ? [c.footprint] : []));
  if (measured.length === 0) return {};
  const totals = (parts: UsageTotals[]): UsageTotals => ({
    cpuMs: parts.reduce((t, p) => t + p.cpuMs, 0),
    peakRssBytes: Math.max(...parts.map((p) => p.peakRssBytes)),
    processes: [...new Set(parts.flatMap((p) => p.processes))].sort(),
  });
  const backend = totals(measured.map((f) => f.backend));
  const workers = totals(measured.map((f) => f.workers));
  const names = [...new Set(measured.flatMap((f) => Object.keys(f.processes)))].sort();
  const starts = measured.flatMap((f) => (f.stackStartMs === null ? [] : [f.stackStartMs]));
  return {
    footprint: {
      samples: measured.reduce((t, f) => t + f.samples, 0),
      spanMs: measured.reduce((t, f) => t + f.spanMs, 0),
      backend,
      workers,
      processes: Object.fromEntries(
        names.map((n) => {
          const parts = measured.flatMap((f) => (f.processes[n] ? [f.processes[n]!] : []));
          return [n, { ...totals(parts), role: parts[0]!.role }];
        }),
      ),
      cpuMsPer1000Runs: completed > 0 ? ((backend.cpuMs + workers.cpuMs) / completed) * 1000 : null,
      stackStartMs: starts.length === 0 ? null : starts.reduce((t, v) => t + v, 0) / starts.length,
    },
  };
}

/**
 * Deploys of repeats (the same change each time): runs in flight, their outcomes and the
 * conflicts add up; the deploy's duration is the longest; a few examples of each outcome.
 */
function poolDeploy(cells: readonly CellResult[]): { deploy?: DeployResults } {
  const measured = cells.flatMap((c) => (c.deploy ? [c.deploy] : []));
  const [first] = measured;
  if (first === undefined) return {};
  const outcomes = Object.fromEntries(
    Object.keys(first.outcomes).map((o) => [o, 0]),
  ) as DeployResults['outcomes'];
  const examples: DeployResults['examples'] = {};
  for (const deploy of measured) {
    for (const [outcome, n] of Object.entries(deploy.outcomes) as [DeployOutcome, number][])
      outcomes[outcome] = (outcomes[outcome] ?? 0) + n;
    for (const [outcome, runs] of Object.entries(deploy.examples) as [DeployOutcome, string[]][])
      examples[outcome] = [...(examples[outcome] ?? []), ...runs].slice(0, MAX_EXAMPLES);
  }
  const durations = measured.flatMap((d) => (d.durationMs === null ? [] : [d.durationMs]));
  return {
    deploy: {
      ...first,
      durationMs: durations.length === 0 ? null : Math.max(...durations),
      inFlight: measured.reduce((t, d) => t + d.inFlight, 0),
      outcomes,
      versionConflicts: measured.reduce((t, d) => t + d.versionConflicts, 0),
      examples,
    },
  };
}

/** Timer counts add up and their drift distributions merge. */
function poolTimers(cells: readonly CellResult[]): { timers?: TimerResults } {
  const measured = cells.flatMap((c) => (c.timers ? [c.timers] : []));
  if (measured.length === 0) return {};
  const sum = (read: (t: TimerResults) => number) => measured.reduce((total, t) => total + read(t), 0);
  const drift = poolLatencies(measured.map((t) => t.driftHistogram));
  return {
    timers: {
      due: sum((t) => t.due),
      fired: sum((t) => t.fired),
      lost: sum((t) => t.lost),
      firedTwice: sum((t) => t.firedTwice),
      early: sum((t) => t.early),
      driftMs: summarizeHistogram(drift),
      driftHistogram: encodeLatencies(drift),
    },
  };
}
