import { deriveSeed, type Rng, seededRng } from '../../core/random.js';
import { CONFIDENCE, type Interval } from './interval.js';

/**
 * The Poisson bootstrap (Hanley & MacGibbon 2006; how resampling is done at scale): each
 * observation is drawn a Poisson(1) number of times instead of multinomially, so a value
 * seen c times is drawn Poisson(c) times. On a histogram (values with counts) a replicate
 * costs one draw per distinct value, whatever the number of samples, and quantiles come
 * from a cumulative scan, not a sort. Seeded: the same data give the same interval, so a
 * rebuilt report is byte for byte the same.
 */
const REPLICATES = 1000;

/** Distinct values (ascending) and how often each was seen. */
export interface Weighted {
  values: Float64Array;
  counts: Float64Array;
}

export function weighted(pairs: readonly (readonly [number, number])[]): Weighted {
  const sorted = [...pairs].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
  return {
    values: Float64Array.from(sorted.map(([v]) => v)),
    counts: Float64Array.from(sorted.map(([, c]) => c)),
  };
}

/** A Poisson(mean) draw: inversion for small means, the normal approximation beyond (error < 1e-3 in coverage). */
function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean < 30) {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = rng();
    while (p > limit) {
      k++;
      p *= rng();
    }
    return k;
  }
  const u1 = 1 - rng();
  const u2 = rng();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
}

/** The nearest-rank p-quantile (0–100) of values weighted by counts; null with no weight. */
export function weightedQuantile(values: Float64Array, counts: Float64Array, p: number): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) return values[i]!;
  }
  return values[values.length - 1]!;
}

/** One statistic's value in each replicate (replicates that left no sample are skipped). */
function replicate(
  data: Weighted,
  statistic: (counts: Float64Array) => number | null,
  seedParts: (string | number)[],
  replicates = REPLICATES,
): number[] {
  const rng = seededRng(deriveSeed('bootstrap', ...seedParts));
  const counts = new Float64Array(data.counts.length);
  const out: number[] = [];
  for (let r = 0; r < replicates; r++) {
    for (let i = 0; i < counts.length; i++) counts[i] = poisson(rng, data.counts[i]!);
    const value = statistic(counts);
    if (value !== null) out.push(value);
  }
  return out;
}

/** The percentile interval of replicate values. */
function percentileInterval(
  values: number[],
  level = CONFIDENCE,
  method = 'Poisson bootstrap',
): Interval | null {
  if (values.length < 2) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * (sorted.length - 1))))]!;
  const tail = (1 - level) / 2;
  return { low: at(tail), high: at(1 - tail), level, method };
}

/** Interval for the p-quantile (0–100) of a weighted sample. */
export function quantileInterval(data: Weighted, p: number, seedParts: (string | number)[]): Interval | null {
  const reps = replicate(data, (counts) => weightedQuantile(data.values, counts, p), [...seedParts, 'q', p]);
  return percentileInterval(reps);
}

/**
 * Interval for the difference of the p-quantiles of two samples (a − b), each resampled
 * on its own: a difference is significant when the interval excludes 0.
 */
export function quantileDifferenceInterval(
  a: Weighted,
  b: Weighted,
  p: number,
  seedParts: (string | number)[],
): Interval | null {
  const ra = replicate(a, (counts) => weightedQuantile(a.values, counts, p), [...seedParts, 'a', p]);
  const rb = replicate(b, (counts) => weightedQuantile(b.values, counts, p), [...seedParts, 'b', p]);
  const n = Math.min(ra.length, rb.length);
  return percentileInterval(Array.from({ length: n }, (_, i) => ra[i]! - rb[i]!));
}

/**
 * Interval for a throughput: `completed` runs in a window of `spanMs`. Each completed run is
 * drawn a Poisson(1) number of times, so the replicate count is Poisson(completed).
 */
export function rateInterval(
  completed: number,
  spanMs: number,
  seedParts: (string | number)[],
): Interval | null {
  if (!(spanMs > 0) || completed < 2) return null;
  const single = weighted([[1, completed]]);
  const reps = replicate(single, (counts) => counts[0]! / (spanMs / 1000), [...seedParts, 'rate']);
  return percentileInterval(reps);
}

/** Interval for the mean of a weighted sample (e.g. redone work per interrupted step). */
export function meanInterval(data: Weighted, seedParts: (string | number)[]): Interval | null {
  if (data.counts.reduce((t, c) => t + c, 0) < 2) return null;
  const reps = replicate(
    data,
    (counts) => {
      let n = 0;
      let sum = 0;
      for (let i = 0; i < counts.length; i++) {
        n += counts[i]!;
        sum += counts[i]! * data.values[i]!;
      }
      return n === 0 ? null : sum / n;
    },
    [...seedParts, 'mean'],
  );
  return percentileInterval(reps);
}

/** Interval for a count over a fixed denominator (e.g. attempts per planned step): the count is Poisson-resampled. */
export function ratioInterval(
  count: number,
  denominator: number,
  seedParts: (string | number)[],
): Interval | null {
  if (!(denominator > 0) || count < 1) return null;
  const reps = replicate(weighted([[1, count]]), (counts) => counts[0]! / denominator, [
    ...seedParts,
    'ratio',
  ]);
  return percentileInterval(reps);
}
