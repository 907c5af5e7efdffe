import {
  latencyAtPercentile,
  latencyHistogram,
  latencyMaxMs,
  recordLatencyMs,
} from '../analysis/metrics/latency.js';
import type { RunRow } from './csv.js';

/**
 * What the run-level charts plot, computed from the run rows (one per run, folded
 * from history.jsonl as for runs.csv). Pure functions; each bounds what it returns
 * (sampling or a cap) so a cell of a million runs still makes a small SVG, and says
 * how much it left out.
 */

/** The rows of each cell, in the order runs first appear in the history. */
export function rowsByCell(rows: readonly RunRow[]): Map<string, RunRow[]> {
  const byCell = new Map<string, RunRow[]>();
  for (const row of rows) {
    const list = byCell.get(row.cell);
    if (list === undefined) byCell.set(row.cell, [row]);
    else list.push(row);
  }
  return byCell;
}

/**
 * The cell's time origin, as the analysis defines it: its first actual submit
 * (warm-up included). Fault windows in results.json are relative to it. Null when
 * nothing was submitted.
 */
export function originOf(rows: readonly RunRow[]): number | null {
  let first = Number.POSITIVE_INFINITY;
  for (const row of rows) if (row.submittedAt !== null) first = Math.min(first, row.submittedAt);
  return Number.isFinite(first) ? first : null;
}

type Submitted = RunRow & { intendedAt: number; submittedAt: number };

/** Submitted runs in intended-submit order (run id breaks ties, so the order is deterministic). */
function submittedInOrder(rows: readonly RunRow[]): Submitted[] {
  return rows
    .filter((r): r is Submitted => r.intendedAt !== null && r.submittedAt !== null)
    .sort((a, b) => a.intendedAt - b.intendedAt || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
}

interface LatencyPoint {
  runId: string;
  /** Intended submit, seconds since the cell's first submit. */
  x: number;
  latencyMs: number;
  status: 'completed' | 'failed';
}

interface UnfinishedMark {
  runId: string;
  x: number;
}

export interface LatencyOverTime {
  points: LatencyPoint[];
  unfinished: UnfinishedMark[];
  /** Finished (completed or failed) non-warm-up runs, all of them. */
  finished: number;
  /** Non-warm-up runs with no outcome, all of them. */
  unfinishedTotal: number;
  /** Warm-up runs, left out: they are no latency sample (as in results.json). */
  warmup: number;
  /** Every `every`-th run plotted (1 = all); the slowest finished run is always among the points. */
  every: number;
}

/** Points per series at most; more runs are sampled every k-th by intended submit. */
export const MAX_POINTS = 400;

/** Every k-th item (k the smallest that keeps at most `max`), in order. */
function everyKth<T>(items: readonly T[], max: number): { kept: T[]; every: number } {
  const every = Math.max(1, Math.ceil(items.length / max));
  return { kept: every === 1 ? [...items] : items.filter((_, i) => i % every === 0), every };
}

/**
 * Each non-warm-up run at (intended submit − origin in s, latency in ms) — latency as
 * DESIGN.md defines it, from the intended submit — failed runs at their time to failure;
 * runs that never finished apart (the chart puts them at its ceiling). Past MAX_POINTS
 * finished runs, every k-th (by intended submit) plus the slowest, so a spike stays visible.
 */
export function latencyOverTime(
  rows: readonly RunRow[],
  originAt: number,
  maxPoints = MAX_POINTS,
): LatencyOverTime {
  const runs = submittedInOrder(rows);
  const x = (r: Submitted) => (r.intendedAt - originAt) / 1000;
  const finished = runs.filter((r) => !r.warmup && r.status !== 'unfinished' && r.latencyMs !== null);
  const unfinished = runs.filter((r) => !r.warmup && r.status === 'unfinished');
  const sampled = everyKth(finished, maxPoints);
  const slowest = finished.reduce<Submitted | undefined>(
    (worst, r) => (worst === undefined || r.latencyMs! > worst.latencyMs! ? r : worst),
    undefined,
  );
  const kept = sampled.kept;
  if (slowest !== undefined && !kept.includes(slowest)) {
    kept.push(slowest);
    kept.sort((a, b) => a.intendedAt - b.intendedAt);
  }
  return {
    points: kept.map((r) => ({
      runId: r.runId,
      x: x(r),
      latencyMs: r.latencyMs!,
      status: r.status as 'completed' | 'failed',
    })),
    unfinished: everyKth(unfinished, maxPoints).kept.map((r) => ({ runId: r.runId, x: x(r) })),
    finished: finished.length,
    unfinishedTotal: unfinished.length,
    warmup: runs.filter((r) => r.warmup).length,
    every: Math.max(sampled.every, everyKth(unfinished, maxPoints).every),
  };
}

interface PercentilePoint {
  /** 1 / (1 − p): the x of a percentile plot (1 = 0th percentile, 10 = 90th, 100 = 99th). */
  d: number;
  /** 0..100 */
  percentile: number;
  latencyMs: number;
}

export interface PercentileDistribution {
  /** Latency samples: completed, non-warm-up runs (as results.json counts them). */
  count: number;
  maxMs: number | null;
  points: PercentilePoint[];
}

/**
 * The percentile levels a plot shows, as 1/(1 − p): 0, 50, 75, 90, 95, 99, 99.5, 99.9, …
 * Integers, so "the sample supports p" is an exact test: n ≥ 1/(1 − p).
 */
export function percentileLevels(n: number): number[] {
  const levels = [1, 2, 4];
  for (let decade = 10; decade <= n; decade *= 10) levels.push(decade, 2 * decade);
  return levels.filter((d) => d <= n);
}

/**
 * The latency percentile distribution of a cell (HdrHistogram, so the values agree
 * with results.json's p50/p90/p99), at the levels the sample supports: a p99 from 14
 * runs would only repeat the max.
 */
export function percentileDistribution(rows: readonly RunRow[]): PercentileDistribution {
  const histogram = latencyHistogram();
  for (const row of rows) {
    if (row.warmup || row.status !== 'completed' || row.latencyMs === null) continue;
    recordLatencyMs(histogram, row.latencyMs);
  }
  const count = histogram.totalCount;
  if (count === 0) return { count: 0, maxMs: null, points: [] };
  return {
    count,
    maxMs: latencyMaxMs(histogram),
    points: percentileLevels(count).map((d) => {
      const percentile = 100 * (1 - 1 / d);
      return { d, percentile, latencyMs: latencyAtPercentile(histogram, percentile) };
    }),
  };
}

export interface TimelineBar {
  runId: string;
  /** Intended submit, seconds since the cell's first submit. */
  from: number;
  /** Done, seconds since the first submit; null when the run never finished. */
  to: number | null;
  status: RunRow['status'];
  warmup: boolean;
}

export interface RunTimeline {
  bars: TimelineBar[];
  /** Submitted runs of the cell, all of them (the bars are the first `bars.length`). */
  total: number;
}

/** Runs a timeline draws at most: past this, bars get too thin to read. */
export const TIMELINE_CAP = 60;

/** The first `cap` runs by intended submit (warm-up included, marked), each from intended submit to done. */
export function runTimeline(rows: readonly RunRow[], originAt: number, cap = TIMELINE_CAP): RunTimeline {
  const runs = submittedInOrder(rows);
  return {
    total: runs.length,
    bars: runs.slice(0, cap).map((r) => ({
      runId: r.runId,
      from: (r.intendedAt - originAt) / 1000,
      to: r.doneAt === null ? null : (r.doneAt - originAt) / 1000,
      status: r.status,
      warmup: r.warmup,
    })),
  };
}
