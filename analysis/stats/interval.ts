/** A two-sided interval for a figure, at `level` confidence (0.95 unless said otherwise). */
export interface Interval {
  low: number;
  high: number;
  level: number;
  /** How it was computed, for the reader: `exact binomial`, `Poisson bootstrap` … */
  method: string;
}

export const CONFIDENCE = 0.95;

/**
 * Whether a sample of n values supports a percentile p (0–100): only when at least one
 * value lies beyond it on average, n ≥ 1/(1 − p/100): p50 needs 2, p90 10, p95 20, p99 100.
 * Below that the "p99" is just the maximum, and a report says "n too small" instead.
 */
export function supportsPercentile(n: number, p: number): boolean {
  if (p >= 100) return n > 0;
  return n >= Math.ceil(1 / (1 - p / 100) - 1e-9);
}
