import { describe, expect, it } from 'vitest';
import { analyzeHistory } from '../../analysis/analyze.js';
import { stepTimings, summarizeLatencies } from '../../analysis/metrics/latency.js';
import { throughputSeries } from '../../analysis/metrics/throughput.js';
import type { HistoryEvent } from '../../core/history/events.js';
import { HistoryBuilder } from './history-builder.js';

const analyze = async (h: HistoryBuilder) => {
  const [cell] = await analyzeHistory(h.events, [h.cellMeta()]);
  return cell!;
};

/** What the history says: each run's run-done time minus its submit's intended time. */
function latenciesFrom(events: HistoryEvent[]): Map<string, number> {
  const intended = new Map<string, number>();
  const latencies = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'submit' && !e.warmup) intended.set(e.runId, e.intendedAt);
    if (e.type === 'run-done' && e.status === 'completed' && intended.has(e.runId)) {
      latencies.set(e.runId, e.t - intended.get(e.runId)!);
    }
  }
  return latencies;
}

describe('run latency', () => {
  it('is measured from the intended submit time, not the actual one', async () => {
    const h = new HistoryBuilder();
    h.run('late', { at: 100, intendedAt: 40 }); // the harness submitted 60 ms behind schedule
    h.run('on-time', { at: 200 });
    h.run('bit-late', { at: 300, intendedAt: 250 });
    const latencies = [...latenciesFrom(h.events).values()].sort((a, b) => a - b);
    const submitDelay = 100 - 40; // what measuring from submit.t would hide
    expect(latencies[2]! - submitDelay).toBe(latencies[0]); // 'late' took as long as 'on-time' after its submit

    const { latencyMs } = await analyze(h);
    const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
    // Nearest-rank quantiles of 3 samples: p50 is the 2nd, p90 and up the 3rd.
    expect(latencyMs).toEqual({
      count: 3,
      p50: latencies[1],
      p90: latencies[2],
      p95: latencies[2],
      p99: latencies[2],
      max: latencies[2],
      mean: Number(mean.toPrecision(3)),
    });
  });

  it('keeps full quantiles to 3 significant digits', async () => {
    const h = new HistoryBuilder();
    const runDuration = 21; // submit, 20 step events 1 ms apart, run-done (see HistoryBuilder.run)
    // Run i is intended i ms before its run would have finished on time: latency i ms.
    for (let i = 1; i <= 100; i++) h.run(`r${i}`, { at: i * 1000, intendedAt: i * 1000 + runDuration - i });
    expect([...latenciesFrom(h.events).values()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    expect((await analyze(h)).latencyMs).toEqual({
      count: 100,
      p50: 50,
      p90: 90,
      p95: 95,
      p99: 99,
      max: 100,
      mean: 50.5,
    });
  });

  it('leaves warm-up runs out of latency but counts them as runs', async () => {
    const h = new HistoryBuilder();
    h.run('warm', { at: 0, intendedAt: -5000, warmup: true }); // 5 s late: would dominate the max
    h.run('r1', { at: 100 });
    const cell = await analyze(h);
    expect(cell.runs).toMatchObject({ submitted: 2, completed: 2, warmup: 1 });
    expect(cell.latencyMs.count).toBe(1);
    expect(cell.latencyMs.max).toBe(latenciesFrom(h.events).get('r1'));
  });

  it('has null quantiles without samples', async () => {
    const { latencyMs } = await analyze(new HistoryBuilder().submit('lost', { at: 0 }));
    expect(latencyMs).toEqual({
      count: 0,
      p50: null,
      p90: null,
      p95: null,
      p99: null,
      max: null,
      mean: null,
    });
  });

  it('rounds to 3 significant digits, sub-millisecond included', () => {
    expect(summarizeLatencies([0.5])).toMatchObject({ p50: 0.5, max: 0.5 });
    expect(summarizeLatencies([12_345.6])).toMatchObject({ p50: 12_300, max: 12_300 });
  });
});

describe('per-step latency and queue wait', () => {
  it('measures attempt to step-done, and readiness to first attempt', () => {
    const h = new HistoryBuilder().submit('r1', { at: 0 });
    h.attempt('r1', 'ingest', { at: 10 }).stepDone('r1', 'ingest', { at: 15 }); // waited 10, ran 5
    h.attempt('r1', 'chunk', { at: 40 }).stepDone('r1', 'chunk', { at: 42, outcome: 'transient-error' });
    h.attempt('r1', 'chunk', { at: 50, attempt: 2 }).stepDone('r1', 'chunk', { at: 53 });
    for (let i = 0; i < 4; i++) {
      // Each embed item becomes ready when chunk is done (53) and starts 1..4 ms later.
      h.attempt('r1', `embed#${i}`, { at: 54 + i }).stepDone('r1', `embed#${i}`, { at: 64 + i });
    }
    h.submit('warm', { at: 1, warmup: true }).attempt('warm', 'ingest', { at: 1000 }); // not a sample

    const { stepLatencyMs, queueWaitMs } = stepTimings(h.events, h.plan);
    expect(stepLatencyMs.ingest).toMatchObject({ count: 1, max: 15 - 10 });
    // Both chunk attempts count: 42-40 and 53-50.
    expect(stepLatencyMs.chunk).toMatchObject({ count: 2, p50: 2, max: 3 });
    expect(stepLatencyMs.embed).toMatchObject({ count: 4, p50: 10, max: 10 });
    expect(queueWaitMs.ingest).toMatchObject({ count: 1, max: 10 - 0 });
    // Only the first attempt waits in the queue: 40 - 15, the retry is not queue wait.
    expect(queueWaitMs.chunk).toMatchObject({ count: 1, max: 40 - 15 });
    expect(queueWaitMs.embed).toMatchObject({ count: 4, p50: 2, max: 4 });
  });
});

describe('throughput', () => {
  it('is completed steady-state runs over the span from the first intended submit to the last completion', async () => {
    const h = new HistoryBuilder().run('warm', { at: 0, warmup: true });
    for (const at of [1000, 1500, 2000, 2500]) h.run(`r${at}`, { at });
    h.submit('lost', { at: 2600 });
    const events = h.events;
    const steadyDone = events.filter((e) => e.type === 'run-done' && e.runId !== 'warm').map((e) => e.t);
    const expected = steadyDone.length / ((Math.max(...steadyDone) - 1000) / 1000);
    expect((await analyze(h)).throughputPerSec).toBeCloseTo(expected, 10);
  });

  it('is null with fewer than two samples', async () => {
    const h = new HistoryBuilder().run('warm', { at: 0, warmup: true }).run('r1', { at: 1000 });
    expect((await analyze(h)).throughputPerSec).toBeNull();
  });

  it('has a per-second series of all completions since the first submit, gaps as zeros', async () => {
    const h = new HistoryBuilder().run('warm', { at: 500, warmup: true }); // first submit: the origin
    for (const at of [1000, 1400, 2000, 2100, 5000]) h.run(`r${at}`, { at });
    const origin = 500;
    const done = h.events.filter((e) => e.type === 'run-done').map((e) => e.t - origin);
    expect(done).toEqual([21, 521, 921, 1521, 1621, 4521]); // each run finishes 21 ms after its submit
    expect((await analyze(h)).throughputSeries).toEqual([
      { second: 0, completed: 3 },
      { second: 1, completed: 2 },
      { second: 2, completed: 0 },
      { second: 3, completed: 0 },
      { second: 4, completed: 1 },
    ]);
  });

  it('is an empty series without completions', () => {
    expect(throughputSeries(new Float64Array(), 0)).toEqual([]);
    expect(throughputSeries(Float64Array.of(5), null)).toEqual([]);
  });
});
