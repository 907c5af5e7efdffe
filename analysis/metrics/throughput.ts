import type { ThroughputPoint } from '../../core/results.js';
import { isSubmitted, type RunState } from '../checker/runs.js';

/**
 * Throughput (DESIGN.md): completed runs per second, as a steady-state number
 * after warm-up and as a time series.
 */

/**
 * Completed non-warm-up runs divided by the span from the first non-warm-up
 * submit's intended time to the last such completion. The window opens at the
 * intended time of the first steady-state submit, completed or not, so it covers
 * all the time the load was offered in; null with fewer than 2 samples (one
 * point has no rate).
 */
export function steadyStateThroughputPerSec(runs: Iterable<RunState>): number | null {
  const window = steadyStateWindow(runs);
  return window === null ? null : window.completed / (window.spanMs / 1000);
}

/**
 * The steady-state window throughput is measured over: completed non-warm-up runs, and the
 * span from the first such submit's intended time to the last such completion. Kept in
 * results so intervals (and pooled repeats) can be computed from results alone.
 */
export function steadyStateWindow(runs: Iterable<RunState>): { completed: number; spanMs: number } | null {
  let samples = 0;
  let firstIntendedAt = Number.POSITIVE_INFINITY;
  let lastCompletedAt = Number.NEGATIVE_INFINITY;
  for (const run of runs) {
    if (run.warmup || !isSubmitted(run)) continue;
    firstIntendedAt = Math.min(firstIntendedAt, run.intendedAt);
    if (run.status !== 'completed') continue;
    samples++;
    lastCompletedAt = Math.max(lastCompletedAt, run.doneAt);
  }
  const spanMs = lastCompletedAt - firstIntendedAt;
  if (samples < 2 || !(spanMs > 0)) return null;
  return { completed: samples, spanMs: Math.round(spanMs * 1000) / 1000 };
}

/** The origin of a cell's time axis: its first submit (actual time), or null without one. */
export function firstSubmitAt(runs: Iterable<RunState>): number | null {
  let first = Number.POSITIVE_INFINITY;
  for (const run of runs) if (isSubmitted(run)) first = Math.min(first, run.submittedAt);
  return Number.isFinite(first) ? first : null;
}

/** Completion times of every completed run (warm-up included: the series shows all), sorted. */
export function completionTimes(runs: Iterable<RunState>): Float64Array {
  const times: number[] = [];
  for (const run of runs) if (run.status === 'completed' && isSubmitted(run)) times.push(run.doneAt);
  return Float64Array.from(times).sort();
}

/**
 * Completions per 1-second bucket since `originAt`, every second from 0 to the
 * last completion present (zeros included, so a stall is visible as a gap).
 */
export function throughputSeries(
  sortedCompletions: Float64Array,
  originAt: number | null,
): ThroughputPoint[] {
  if (originAt === null || sortedCompletions.length === 0) return [];
  const last = Math.max(0, Math.floor((sortedCompletions[sortedCompletions.length - 1]! - originAt) / 1000));
  const points: ThroughputPoint[] = Array.from({ length: last + 1 }, (_, second) => ({
    second,
    completed: 0,
  }));
  for (const t of sortedCompletions) {
    const second = Math.max(0, Math.floor((t - originAt) / 1000));
    points[second]!.completed++;
  }
  return points;
}
