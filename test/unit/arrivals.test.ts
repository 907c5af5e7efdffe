import { describe, expect, it } from 'vitest';
import { deriveSeed, seededRng } from '../../core/random.js';
import { poissonArrivals } from '../../harness/runner/arrivals.js';
import { sampleDuration } from '../../scenarios/sampling.js';

describe('Poisson arrivals', () => {
  const options = { runs: 5000, ratePerSec: 50, seed: 42, warmupRuns: 500 };

  it('are the same for the same seed and differ for another', () => {
    expect(poissonArrivals(options)).toEqual(poissonArrivals(options));
    expect(poissonArrivals({ ...options, seed: 43 })[1]!.offsetMs).not.toBe(
      poissonArrivals(options)[1]!.offsetMs,
    );
  });

  it('arrive at the requested mean rate, in order, warm-up first', () => {
    const arrivals = poissonArrivals(options);
    const span = arrivals.at(-1)!.offsetMs / 1000;
    // 5000 exponential gaps: the mean rate is within a few percent of the target.
    expect((options.runs - 1) / span).toBeGreaterThan(options.ratePerSec * 0.95);
    expect((options.runs - 1) / span).toBeLessThan(options.ratePerSec * 1.05);
    expect(arrivals.every((a, i) => i === 0 || a.offsetMs >= arrivals[i - 1]!.offsetMs)).toBe(true);
    expect(arrivals.filter((a) => a.warmup)).toHaveLength(options.warmupRuns);
    expect(arrivals[options.warmupRuns - 1]!.warmup).toBe(true);
    expect(arrivals[options.warmupRuns]!.warmup).toBe(false);
    expect(new Set(arrivals.map((a) => a.runId)).size).toBe(options.runs);
  });
});

describe('work-time distributions', () => {
  it('stay within their bounds and put the median where asked', () => {
    const rng = seededRng(7);
    const uniform = Array.from({ length: 1000 }, () =>
      sampleDuration({ dist: 'uniform', minMs: 5, maxMs: 15 }, rng),
    );
    expect(Math.min(...uniform)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...uniform)).toBeLessThanOrEqual(15);
    const lognormal = Array.from({ length: 20001 }, () =>
      sampleDuration({ dist: 'lognormal', medianMs: 100, p99Ms: 400 }, rng),
    ).sort((a, b) => a - b);
    expect(lognormal[10000]!).toBeGreaterThan(90);
    expect(lognormal[10000]!).toBeLessThan(110);
    expect(lognormal[19800]!).toBeGreaterThan(340);
    expect(lognormal[19800]!).toBeLessThan(470);
  });
});

describe('derived seeds', () => {
  it('give uncorrelated first draws for ids that differ in one character', () => {
    // The approver rejects when the first draw of (run, step) is below the reject rate.
    const firstDraws = Array.from({ length: 2000 }, (_, i) =>
      seededRng(deriveSeed('approval', `run-${String(i).padStart(4, '0')}`, 'approve'))(),
    );
    const rejected = firstDraws.filter((d) => d < 0.3).length;
    expect(rejected / firstDraws.length).toBeGreaterThan(0.26);
    expect(rejected / firstDraws.length).toBeLessThan(0.34);
    // Neighbouring runs are independent: the lag-1 correlation is near zero.
    const mean = firstDraws.reduce((a, b) => a + b, 0) / firstDraws.length;
    let cov = 0;
    let variance = 0;
    for (let i = 0; i < firstDraws.length; i++) {
      variance += (firstDraws[i]! - mean) ** 2;
      if (i > 0) cov += (firstDraws[i]! - mean) * (firstDraws[i - 1]! - mean);
    }
    expect(Math.abs(cov / variance)).toBeLessThan(0.1);
  });
});
