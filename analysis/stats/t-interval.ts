import { CONFIDENCE, type Interval } from './interval.js';

/**
 * Student's t two-sided 95% critical values by degrees of freedom (1–30); beyond, the
 * normal's 1.96 is within 2%. From the t distribution's quantile at 0.975.
 */
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

function tCritical975(degreesOfFreedom: number): number {
  return T_975[degreesOfFreedom - 1] ?? 1.96;
}

/**
 * The mean of a few independent measurements (one per repeat) with its t interval: what
 * a figure measured once per repeat, such as CPU seconds per 1,000 runs, can claim. Null
 * with fewer than two.
 */
export function meanTInterval(values: readonly number[]): Interval | null {
  const n = values.length;
  if (n < 2) return null;
  const mean = values.reduce((t, v) => t + v, 0) / n;
  const variance = values.reduce((t, v) => t + (v - mean) ** 2, 0) / (n - 1);
  const half = tCritical975(n - 1) * Math.sqrt(variance / n);
  return { low: mean - half, high: mean + half, level: CONFIDENCE, method: `Student t over ${n} repeats` };
}
