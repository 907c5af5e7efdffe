import type { CellResult, FaultOccurrenceResult } from '../../core/results.js';

/**
 * Figures of a cell over its fault occurrences (recovery times, affected runs):
 * the one place a "max recovery" or "recovery p95" is computed, so gates, CSVs,
 * report tables, narratives and readiness can never disagree about it.
 */

/** Percentile stats over occurrences; `max` is the 100th percentile. */
export const PERCENTILE_STATS = ['p50', 'p90', 'p95', 'p99', 'max'] as const;
export type PercentileStat = (typeof PERCENTILE_STATS)[number];
/** Every stat over occurrences: the percentiles and the sum (affected runs add up across faults). */
export type OccurrenceStat = PercentileStat | 'sum';

/** The numeric fields of a fault occurrence a cell figure can be taken over. */
export type OccurrenceField =
  | 'timeToFirstProgressMs'
  | 'timeToThroughputRecoveryMs'
  | 'affectedRuns'
  | 'affectedRunsMaxDelayMs';

const STAT_PERCENTILE: Record<PercentileStat, number> = { p50: 50, p90: 90, p95: 95, p99: 99, max: 100 };

/** Nearest-rank percentile (p in 0..100) of the values; null without values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/**
 * A stat of one occurrence field over the cell's occurrences whose value is known
 * (a recovery that never came is null, and no sample). Null when none is known:
 * a cell without occurrences has nothing to say, not a zero.
 */
export function occurrenceStat(
  cell: CellResult,
  field: OccurrenceField,
  stat: OccurrenceStat,
): number | null {
  const values = cell.faults
    .map((f: FaultOccurrenceResult) => f[field])
    .filter((v): v is number => v !== null);
  if (stat === 'sum') return values.length === 0 ? null : values.reduce((sum, v) => sum + v, 0);
  return percentile(values, STAT_PERCENTILE[stat]);
}
