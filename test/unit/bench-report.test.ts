import { describe, expect, it } from 'vitest';
import { pairOrder } from '../../harness/bench/overhead.js';
import {
  type AdapterBenchResult,
  type BenchMeasurement,
  type BenchReport,
  benchMarkdown,
  measurement,
  median,
  medianMeasurement,
  pairedRatio,
} from '../../harness/bench/report.js';

describe('faultline bench figures', () => {
  it('median: the middle value, the mean of the two middle ones for an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it('the median measurement is a real one (the lower middle for an even count)', () => {
    const samples = [measurement(100, 1), measurement(100, 4), measurement(100, 2), measurement(100, 3)];
    // runs/s 100, 25, 50, 33.3: sorted 25, 33.3, 50, 100; the lower middle is 33.3 (100 runs in 3 s).
    expect(medianMeasurement(samples)).toEqual(measurement(100, 3));
  });

  it("pairs Faultline's measurements with the bare script's of the same pair, not with the bare median", () => {
    // Load drifts: pair 2 is slow on both sides. Pair ratios 0.9, 0.96, 1.0.
    const bare = [measurement(1000, 1), measurement(500, 1), measurement(1000, 1)];
    const faultline = [measurement(900, 1), measurement(480, 1), measurement(1000, 1)];
    const paired = pairedRatio(faultline, bare);
    expect(paired.ratio).toBeCloseTo(0.96, 10);
    expect(paired.ratioRange).toEqual([0.9, 1]);
    // Against the bare median (1000 runs/s) the median Faultline figure (900) would say 0.90.
    expect(paired.runsPerSec).toBe(900);
  });

  it('has no ratio when a bare measurement counted nothing', () => {
    const paired = pairedRatio([measurement(10, 1)], [measurement(0, 0)]);
    expect(paired.ratio).toBeNull();
  });

  it('prints the median pair ratio, its range and the standing in the markdown table', () => {
    // CPU: 2, 3 and 4 s for 1000 runs: 2, 3 and 4 ms per run, median 3.
    const bare = [measurement(1000, 1, 2), measurement(1000, 1, 3), measurement(1000, 1, 4)];
    const faultline = [measurement(950, 1), measurement(970, 1), measurement(890, 1)];
    // A slow warm-up pair: in no figure of the table, only in its own footnote.
    const warmup = { bare: [measurement(1000, 1)], faultline: [measurement(500, 1)] };
    const table = benchMarkdown(reportOf(bullmqResult(bare, faultline, warmup)));
    // The bare row's CPU is the median of 2, 3 and 4 ms per run; Faultline's measurements had none.
    expect(table).toContain('| bullmq | bare library | 1000/1000 | 100 | 1000 |  |  | 3.00 |');
    expect(table).toContain(
      '| bullmq | Faultline, workers direct | 950/1000 | 100 | 950 | 0.95 (0.89–0.97) | meets target | – |',
    );
    expect(table).toContain('median of 3 pairs');
    expect(table).toContain('Warm-up pairs, measured first and not counted (vs bare): bullmq 0.50.');
  });

  it('says nothing of warm-up pairs when there were none', () => {
    const bare = [measurement(1000, 1)];
    const table = benchMarkdown(reportOf(bullmqResult(bare, bare, { bare: [], faultline: [] })));
    expect(table).not.toContain('Warm-up');
  });
});

/** BullMQ's result of 1000 runs at concurrency 100 from its pairs (pair i: bare[i], faultline[i]). */
function bullmqResult(
  bare: BenchMeasurement[],
  faultline: BenchMeasurement[],
  warmup: AdapterBenchResult['warmup'],
): AdapterBenchResult {
  return {
    adapter: 'bullmq',
    runs: 1000,
    concurrency: 100,
    knobs: {},
    repeats: bare.length,
    bare: medianMeasurement(bare),
    faultline: pairedRatio(faultline, bare),
    samples: { bare, faultline },
    warmup,
  };
}

/** A bench report of one adapter's result, on a made-up machine. */
function reportOf(result: AdapterBenchResult): BenchReport {
  return {
    schemaVersion: 3,
    tool: { name: 'faultline', version: 'test' },
    command: 'faultline bench --repeat 3',
    startedAt: '2026-01-01T00:00:00.000Z',
    machine: {
      cpus: 2,
      cpuModel: 'cpu',
      platform: 'linux x64',
      node: 'v20',
      loadBefore: [0.1, 0.2, 0.3],
      loadAfter: [0.4, 0.5, 0.6],
    },
    target: { ratio: 0.95, floor: 0.9 },
    adapters: [result],
  };
}

describe('pairOrder', () => {
  it('puts each side first in half of an even number of pairs, the bare script in the first pair', () => {
    const orders = [1, 2, 3, 4, 5, 6].map((pair) => pairOrder(pair));
    expect(orders[0]).toEqual(['bare', 'faultline']);
    for (const order of orders) expect([...order].sort()).toEqual(['bare', 'faultline']);
    const bareFirst = orders.filter((order) => order[0] === 'bare').length;
    expect(bareFirst).toBe(orders.length / 2);
    // Alternating, so neither side goes first twice running.
    for (let i = 1; i < orders.length; i++) expect(orders[i]![0]).not.toBe(orders[i - 1]![0]);
  });
});
