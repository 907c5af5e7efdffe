import type { AnomalyKind, Verdict } from '../../core/results.js';

/**
 * Anomalies that are harm: any one of them fails a cell. Duplicate attempts are
 * not among them — retries are how orchestrators recover; their cost shows as
 * retry amplification, and the harm they can do shows as duplicate effects.
 */
export const FAILING_KINDS: readonly AnomalyKind[] = [
  'lost-run',
  'duplicate-effect',
  'ordering',
  'unexpected-outcome',
  'compensation',
];

/**
 * pass / fail / unknown. A cell with no completed steady-state run has nothing to
 * judge by, so it is 'unknown' rather than a silent pass; any failing anomaly wins
 * over that, because an anomaly is evidence on its own.
 */
export function decideVerdict(
  anomalyCounts: Partial<Record<AnomalyKind, number>>,
  steadyStateCompletedRuns: number,
): Verdict {
  if (FAILING_KINDS.some((kind) => (anomalyCounts[kind] ?? 0) > 0)) return 'fail';
  if (steadyStateCompletedRuns === 0) return 'unknown';
  return 'pass';
}
