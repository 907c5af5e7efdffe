import { describe, expect, it } from 'vitest';
import {
  binomialCdf,
  binomialInterval,
  logGamma,
  rateDifferenceInterval,
} from '../../analysis/stats/binomial.js';
import {
  quantileDifferenceInterval,
  quantileInterval,
  rateInterval,
  type Weighted,
  weighted,
  weightedQuantile,
} from '../../analysis/stats/bootstrap.js';
import { supportsPercentile } from '../../analysis/stats/interval.js';
import { seededRng } from '../../core/random.js';
import { sampleDuration } from '../../scenarios/sampling.js';

/** Binomial tail probabilities the direct way (product of factors), independent of the code under test. */
function directCdf(k: number, n: number, p: number): number {
  let term = (1 - p) ** n; // P(X = 0)
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term *= ((n - i + 1) / i) * (p / (1 - p));
    sum += term;
  }
  return sum;
}

const sampleOf = (values: number[]): Weighted => {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return weighted([...counts]);
};

describe('exact binomial intervals', () => {
  it('has the closed forms at 0 of n and n of n', () => {
    const none = binomialInterval(0, 20)!;
    expect(none.low).toBe(0);
    expect(none.high).toBeCloseTo(1 - 0.025 ** (1 / 20), 9);
    const all = binomialInterval(20, 20)!;
    expect(all.low).toBeCloseTo(0.025 ** (1 / 20), 9);
    expect(all.high).toBe(1);
  });

  it('puts each bound where the tail it cuts off holds exactly 2.5%', () => {
    for (const [k, n] of [
      [5, 20],
      [1, 60],
      [37, 100],
    ] as const) {
      const { low, high } = binomialInterval(k, n)!;
      expect(1 - directCdf(k - 1, n, low)).toBeCloseTo(0.025, 6);
      expect(directCdf(k, n, high)).toBeCloseTo(0.025, 6);
      expect(low).toBeLessThan(k / n);
      expect(high).toBeGreaterThan(k / n);
    }
    expect(binomialCdf(3, 10, 0.3)).toBeCloseTo(directCdf(3, 10, 0.3), 12);
    expect(logGamma(10)).toBeCloseTo(Math.log(362_880), 10); // ln 9!
  });

  it('covers a known p at least 95% of the time (it is conservative)', () => {
    const rng = seededRng(11);
    const [p, n, trials] = [0.3, 50, 2000];
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      let k = 0;
      for (let i = 0; i < n; i++) if (rng() < p) k++;
      const { low, high } = binomialInterval(k, n)!;
      if (low <= p && p <= high) covered++;
    }
    // Clopper–Pearson's coverage is ≥ 95% by construction; 2000 trials estimate it within ±1%.
    expect(covered / trials).toBeGreaterThanOrEqual(0.94);
  });

  it('marks a difference of rates significant only when the interval excludes 0', () => {
    expect(rateDifferenceInterval(10, 20, 0, 20)!.low).toBeGreaterThan(0);
    const same = rateDifferenceInterval(2, 20, 3, 20)!;
    expect(same.low).toBeLessThan(0);
    expect(same.high).toBeGreaterThan(0);
    expect(binomialInterval(1, 0)).toBeNull();
  });
});

describe('percentiles need the sample to support them', () => {
  it('p50 needs 2 samples, p90 10, p95 20, p99 100', () => {
    expect([1, 2].map((n) => supportsPercentile(n, 50))).toEqual([false, true]);
    expect([9, 10].map((n) => supportsPercentile(n, 90))).toEqual([false, true]);
    expect([19, 20].map((n) => supportsPercentile(n, 95))).toEqual([false, true]);
    expect([99, 100].map((n) => supportsPercentile(n, 99))).toEqual([false, true]);
  });
});

describe('Poisson bootstrap', () => {
  // A lognormal with median 100 ms and p99 400 ms: its p50 is exactly 100, its p90 100·4^(1.2816/2.3263).
  const lognormal = { dist: 'lognormal', medianMs: 100, p99Ms: 400 } as const;
  const trueP90 = 100 * 4 ** (1.2815515655446004 / 2.3263478740408408);
  const draw = (seed: number, n: number) => {
    const rng = seededRng(seed);
    return Array.from({ length: n }, () => Math.round(sampleDuration(lognormal, rng)));
  };

  it('takes the nearest-rank quantile of weighted values', () => {
    const data = sampleOf([1, 2, 2, 3, 10]);
    expect(weightedQuantile(data.values, data.counts, 50)).toBe(2);
    expect(weightedQuantile(data.values, data.counts, 100)).toBe(10);
  });

  it('covers the true median and p90 of a lognormal about 95% of the time', () => {
    let medianCovered = 0;
    let p90Covered = 0;
    const trials = 60;
    for (let seed = 1; seed <= trials; seed++) {
      const data = sampleOf(draw(seed, 400));
      const m = quantileInterval(data, 50, [seed])!;
      const q = quantileInterval(data, 90, [seed])!;
      if (m.low <= 100 && 100 <= m.high) medianCovered++;
      if (q.low <= trueP90 && trueP90 <= q.high) p90Covered++;
    }
    // Nominal 95%; 60 trials put 85% well inside what a correct interval yields.
    expect(medianCovered / trials).toBeGreaterThanOrEqual(0.85);
    expect(p90Covered / trials).toBeGreaterThanOrEqual(0.85);
  });

  it('narrows as the sample grows, by about √n', () => {
    const width = (n: number) => {
      const i = quantileInterval(sampleOf(draw(5, n)), 50, [n])!;
      return i.high - i.low;
    };
    const ratio = width(100) / width(1600);
    expect(ratio).toBeGreaterThan(2.5); // √16 = 4, with sampling noise
    expect(ratio).toBeLessThan(7);
  });

  it('is seeded: the same data give the same interval', () => {
    const data = sampleOf(draw(3, 200));
    expect(quantileInterval(data, 90, ['x'])).toEqual(quantileInterval(data, 90, ['x']));
  });

  it('tells a real difference of medians from none', () => {
    const a = sampleOf(draw(21, 400));
    const b = sampleOf(draw(22, 400));
    const same = quantileDifferenceInterval(a, b, 50, ['same'])!;
    expect(same.low).toBeLessThan(0);
    expect(same.high).toBeGreaterThan(0);
    const slower = sampleOf(draw(22, 400).map((v) => v * 1.5));
    expect(quantileDifferenceInterval(slower, a, 50, ['shifted'])!.low).toBeGreaterThan(0);
  });

  it('gives a throughput interval close to the exact Poisson one', () => {
    // 100 completions in 10 s: the exact 95% Poisson interval of the count is [81.37, 121.63].
    const i = rateInterval(100, 10_000, ['t'])!;
    expect(i.low).toBeGreaterThan(8.137 * 0.95);
    expect(i.low).toBeLessThan(8.137 * 1.05);
    expect(i.high).toBeGreaterThan(12.163 * 0.95);
    expect(i.high).toBeLessThan(12.163 * 1.05);
    expect(rateInterval(1, 1000, ['t'])).toBeNull();
  });
});
