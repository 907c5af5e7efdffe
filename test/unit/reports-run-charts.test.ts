import { describe, expect, it } from 'vitest';
import type { RunRow } from '../../reports/csv.js';
import {
  latencyOverTimeChart,
  OUTCOME_COLORS,
  percentileChart,
  percentileText,
  runTimelineChart,
} from '../../reports/run-charts.js';
import {
  latencyOverTime,
  MAX_POINTS,
  originOf,
  percentileDistribution,
  percentileLevels,
  rowsByCell,
  runTimeline,
  TIMELINE_CAP,
} from '../../reports/run-series.js';
import { M, PW, seriesColor } from '../../reports/svg-frame.js';

/**
 * The run-level charts from hand-made run rows: every expected number is derived
 * from the rows below, and every mark is checked against the chart's own axis ticks
 * (a point must sit where its axis says its value is).
 */

const T0 = 1_700_000_000_000;
const CELL = 's/a/f';

function row(i: number, over: Partial<RunRow> = {}): RunRow {
  const intendedAt = T0 + i * 1000;
  const latencyMs = 100 + ((i * 37) % 300);
  return {
    runId: `r${String(i).padStart(3, '0')}`,
    cell: CELL,
    warmup: false,
    intendedAt,
    submittedAt: intendedAt + 2,
    doneAt: intendedAt + latencyMs,
    status: 'completed',
    latencyMs,
    attempts: 1,
    effectsApplied: 1,
    ...over,
  };
}

/** Ten runs: two warm-up (no latency, as collectRunRows leaves them), one never finished, one failed. */
function tenRuns(): RunRow[] {
  return Array.from({ length: 10 }, (_, i) => {
    if (i < 2) return row(i, { warmup: true, latencyMs: null });
    if (i === 5) return row(i, { status: 'unfinished', doneAt: null, latencyMs: null });
    if (i === 7) return row(i, { status: 'failed' });
    return row(i);
  });
}

const ORIGIN = T0 + 2; // run 0's actual submit: the first

function attr(element: string, name: string): string {
  const match = element.match(new RegExp(` ${name}="([^"]*)"`));
  if (match === null) throw new Error(`no ${name} in ${element.slice(0, 160)}`);
  return match[1]!;
}
const n = (element: string, name: string) => Number(attr(element, name));

interface Tick {
  value: number;
  pos: number;
}

/** Y axis ticks: right-aligned labels left of the plot; the label's baseline is 4 px below its value. */
function yTicks(svg: string): Tick[] {
  return [...svg.matchAll(/<text class="tick" x="(\d+)" y="([\d.]+)" text-anchor="end">([^<]+)<\/text>/g)]
    .filter((m) => Number(m[1]) === M.left - 6)
    .map((m) => ({ value: Number(m[3]), pos: Number(m[2]) - 4 }));
}

/** X axis ticks: centred labels under the plot. */
function xTicks(svg: string, value: (text: string) => number = Number): Tick[] {
  return [
    ...svg.matchAll(/<text class="tick" x="([\d.]+)" y="[\d.]+" text-anchor="middle">([^<]+)<\/text>/g),
  ].map((m) => ({ value: value(m[2]!), pos: Number(m[1]) }));
}

/** Where `value` falls between the two ticks around it, linearly in `f(value)`. */
function between(ticks: Tick[], value: number, f: (v: number) => number = (v) => v): number {
  const sorted = [...ticks].sort((a, b) => a.value - b.value);
  const i = Math.max(
    1,
    sorted.findIndex((t) => t.value >= value),
  );
  const a = sorted[i - 1]!;
  const b = sorted[i]!;
  return a.pos + ((f(value) - f(a.value)) / (f(b.value) - f(a.value))) * (b.pos - a.pos);
}

const points = (svg: string) => svg.match(/<circle class="run-point[^>]*>/g) ?? [];

describe('latency over time', () => {
  const rows = tenRuns();

  it('takes the cell origin from the first actual submit and plots each non-warm-up run', () => {
    expect(originOf(rows)).toBe(ORIGIN);
    const data = latencyOverTime(rows, ORIGIN);
    const finished = rows.filter((r) => !r.warmup && r.status !== 'unfinished');
    expect(data.points.map((p) => p.runId)).toEqual(finished.map((r) => r.runId));
    for (const p of data.points) {
      const r = rows.find((x) => x.runId === p.runId)!;
      expect(p.x).toBeCloseTo((r.intendedAt! - ORIGIN) / 1000, 9);
      expect(p.latencyMs).toBe(r.latencyMs);
      expect(p.status).toBe(r.status);
    }
    expect(data.unfinished).toEqual([{ runId: 'r005', x: (rows[5]!.intendedAt! - ORIGIN) / 1000 }]);
    expect(data).toMatchObject({ finished: finished.length, unfinishedTotal: 1, warmup: 2, every: 1 });
  });

  const svg = latencyOverTimeChart({
    title: 'lot',
    series: [{ name: 'a', color: seriesColor(0), data: latencyOverTime(rows, ORIGIN) }],
    bands: [{ from: 4, to: 6, color: seriesColor(0), kind: 'backend-restart', label: 'a: restart' }],
  });

  it('puts every point where the axes say its intended time and latency are', () => {
    const marks = points(svg);
    expect(marks).toHaveLength(7);
    const ys = yTicks(svg);
    const xs = xTicks(svg);
    expect(svg).toContain('>latency (ms)</text>'); // 100–400 ms: a linear axis
    for (const mark of marks) {
      const r = rows.find((x) => x.runId === attr(mark, 'data-run'))!;
      const x = (r.intendedAt! - ORIGIN) / 1000;
      expect(n(mark, 'cx')).toBeCloseTo(between(xs, x), 1);
      expect(n(mark, 'cy')).toBeCloseTo(between(ys, r.latencyMs!), 1);
      expect(n(mark, 'data-y')).toBe(r.latencyMs);
    }
    // The failed run is hollow; completed ones are filled with the adapter's colour.
    const failed = marks.filter((m) => m.includes('data-status="failed"'));
    expect(failed.map((m) => attr(m, 'data-run'))).toEqual(['r007']);
    expect(attr(failed[0]!, 'fill')).toBe('#fff');
    expect(attr(marks[0]!, 'fill')).toBe(seriesColor(0));
  });

  it('draws the run that never finished as ✕ at the ceiling, above every point, labelled', () => {
    const marks = svg.match(/<path class="unfinished-mark"[^>]*>/g)!;
    expect(marks).toHaveLength(1);
    expect(attr(marks[0]!, 'data-run')).toBe('r005');
    const ceilingY = n(svg.match(/<line class="ceiling"[^>]*>/)![0], 'y1');
    const top = Math.min(...yTicks(svg).map((t) => t.pos));
    expect(ceilingY).toBeLessThan(top);
    expect(attr(marks[0]!, 'd')).toContain(` ${ceilingY - 3}L`);
    expect(svg).toContain('unfinished ✕</text>');
    expect(svg).toContain('a (7 finished, 1 unfinished)');
    expect(svg).toContain('warm-up runs left out');
  });

  it('shades the fault window where the x axis puts its start and end', () => {
    const band = svg.match(/<rect class="fault-window"[^>]*>/)![0];
    const xs = xTicks(svg);
    expect(n(band, 'x')).toBeCloseTo(between(xs, 4), 1);
    expect(n(band, 'x') + n(band, 'width')).toBeCloseTo(between(xs, 6), 1);
  });

  it('switches to a log axis, and says so, when latencies spread over 20×', () => {
    const spread = [5, 50, 500, 5000].map((latencyMs, i) => row(i, { latencyMs }));
    const chart = latencyOverTimeChart({
      title: 'log',
      series: [{ name: 'a', color: '#000', data: latencyOverTime(spread, ORIGIN) }],
      bands: [],
    });
    expect(chart).toContain('>latency (ms, log scale)</text>');
    const ys = yTicks(chart);
    for (const mark of points(chart))
      expect(n(mark, 'cy')).toBeCloseTo(between(ys, n(mark, 'data-y'), Math.log10), 1);
    // Equal ratios, equal steps.
    const cys = points(chart).map((m) => n(m, 'cy'));
    expect(cys[0]! - cys[1]!).toBeCloseTo(cys[2]! - cys[3]!, 1);
  });

  it('samples a big cell every k-th run by intended submit, keeps the slowest, and says so', () => {
    const many = Array.from({ length: 1000 }, (_, i) =>
      row(i, { latencyMs: i === 500 ? 99_000 : 100 + (i % 50) }),
    );
    const data = latencyOverTime(many, ORIGIN);
    const every = Math.ceil(1000 / MAX_POINTS);
    expect(data.every).toBe(every);
    const expected = many.filter((_, i) => i % every === 0 || i === 500).map((r) => r.runId);
    expect(data.points.map((p) => p.runId)).toEqual(expected);
    const chart = latencyOverTimeChart({
      title: 'big',
      series: [{ name: 'a', color: '#000', data }],
      bands: [],
    });
    expect(points(chart)).toHaveLength(expected.length);
    expect(every).toBe(3); // the legend's ordinal below
    expect(chart).toContain('a (1000 finished, every 3rd shown)');
    expect(chart).toContain('every 3rd run plotted plus the slowest');
  });
});

describe('percentile plot', () => {
  /** 200 latencies 5, 10, …, 1000 ms, recorded out of order. */
  const big = Array.from({ length: 200 }, (_, i) =>
    row(i, { cell: 'big', latencyMs: 5 * (((i * 73) % 200) + 1) }),
  );
  const sorted = big.map((r) => r.latencyMs!).sort((a, b) => a - b);
  /** Nearest rank: the smallest value with at least p of the sample at or below it. */
  const nearestRank = (d: number) => sorted[Math.max(1, Math.ceil(sorted.length - sorted.length / d)) - 1]!;
  const small = tenRuns(); // 6 completed non-warm-up runs: the failed, unfinished and warm-up ones are no sample

  it('keeps only the percentiles the sample supports: n ≥ 1/(1 − p)', () => {
    expect(percentileLevels(200)).toEqual([1, 2, 4, 10, 20, 100, 200]);
    expect(percentileLevels(14)).toEqual([1, 2, 4, 10]);
    expect(percentileLevels(6)).toEqual([1, 2, 4]);
    expect(percentileLevels(1000)).toEqual([1, 2, 4, 10, 20, 100, 200, 1000]);
    const d = percentileDistribution(small);
    expect(d.count).toBe(small.filter((r) => !r.warmup && r.status === 'completed').length);
    expect(d.points.map((p) => p.percentile)).toEqual([0, 50, 75]);
  });

  it('computes each percentile as the nearest rank of the latencies', () => {
    const d = percentileDistribution(big);
    expect(d.count).toBe(200);
    expect(d.maxMs).toBe(1000);
    expect(d.points.map((p) => p.latencyMs)).toEqual(percentileLevels(200).map(nearestRank));
    expect(d.points.map((p) => percentileText(p.d))).toEqual([
      '0%',
      '50%',
      '75%',
      '90%',
      '95%',
      '99%',
      '99.5%',
    ]);
  });

  const svg = percentileChart({
    title: 'pct',
    series: [
      { name: 'big', color: seriesColor(0), data: percentileDistribution(big) },
      { name: 'small', color: seriesColor(1), data: percentileDistribution(small) },
    ],
  });
  const series = (name: string) =>
    svg.match(new RegExp(`<g class="percentile-series" data-series="${name}"[\\s\\S]*?</g>`))![0];

  it('draws each series to its last supported percentile, on a 1/(1 − p) log axis', () => {
    expect(series('big').match(/<circle class="pct-point"/g)).toHaveLength(7);
    expect(series('small').match(/<circle class="pct-point"/g)).toHaveLength(3);
    const xs = xTicks(svg, (text) => 1 / (1 - Number(text.replace('%', '')) / 100));
    expect(xs.map((t) => Number(t.value.toPrecision(9)))).toEqual([1, 2, 10, 100]);
    // 90, 99 (and 99.9) are evenly spaced: the axis is log10 of 1/(1 − p).
    expect(xs[3]!.pos - xs[2]!.pos).toBeCloseTo(xs[2]!.pos - M.left, 1);
    const ys = yTicks(svg);
    const log = svg.includes('latency (ms, log scale)');
    for (const point of svg.match(/<circle class="pct-point"[^>]*>/g)!) {
      const d = n(point, 'data-d');
      expect(n(point, 'cx')).toBeCloseTo(between(xs, d, Math.log10), 1);
      expect(n(point, 'cy')).toBeCloseTo(between(ys, n(point, 'data-y'), log ? Math.log10 : undefined), 1);
    }
    // The axis ends at the last percentile drawn (99.5%, d = 200).
    const last = series('big')
      .match(/<circle class="pct-point"[^>]*>/g)!
      .at(-1)!;
    expect(n(last, 'cx')).toBeCloseTo(M.left + PW, 1);
  });

  it('labels each series with its sample count and max', () => {
    expect(svg).toContain('big (n = 200, max 1 s)');
    expect(svg).toContain(`small (n = ${percentileDistribution(small).count}, max `);
    const none = percentileChart({
      title: 'none',
      series: [{ name: 'z', color: '#000', data: percentileDistribution([]) }],
    });
    expect(none).toContain('z (no latency samples)');
    expect(none).not.toContain('pct-point');
  });
});

describe('per-run timeline', () => {
  const rows = tenRuns();
  const bands = [
    { from: 3.5, to: 3.5, color: '#555', kind: 'kill', label: 'kill at 3.5 s' },
    { from: 90, to: 95, color: '#555', kind: 'backend-restart', label: 'later' },
  ];
  const svg = runTimelineChart({
    title: 'tl',
    adapter: 'a',
    color: seriesColor(2),
    data: runTimeline(rows, ORIGIN),
    bands,
  });
  const bars = svg.match(/<rect class="run-bar[^>]*>/g)!;

  it('draws each run from intended submit to done, in intended order, coloured by outcome', () => {
    expect(bars.map((b) => attr(b, 'data-run'))).toEqual(rows.map((r) => r.runId));
    const xs = xTicks(svg);
    // Run 0 was intended 2 ms before the first submit: drawn at the axis start (0), not before it.
    const at = (s: number) => between(xs, Math.max(s, xs[0]!.value));
    bars.forEach((bar, i) => {
      const r = rows[i]!;
      expect(attr(bar, 'fill')).toBe(OUTCOME_COLORS[r.status]);
      expect(attr(bar, 'class')).toBe(`run-bar run-${r.status}`);
      expect(n(bar, 'x')).toBeCloseTo(at((r.intendedAt! - ORIGIN) / 1000), 1);
      if (r.doneAt !== null)
        expect(n(bar, 'x') + n(bar, 'width')).toBeCloseTo(at((r.doneAt - ORIGIN) / 1000), 1);
      expect(attr(bar, 'fill-opacity')).toBe(r.warmup ? '0.35' : '0.85');
      if (i > 0) expect(n(bar, 'y')).toBeGreaterThan(n(bars[i - 1]!, 'y'));
    });
    // The run that never finished runs off the right edge of the plot, with an arrow.
    const lost = bars.find((b) => attr(b, 'data-status') === 'unfinished')!;
    expect(n(lost, 'x') + n(lost, 'width')).toBeCloseTo(M.left + PW, 1);
    expect(attr(lost, 'data-to')).toBe('');
    expect(svg).toContain('class="unfinished-arrow"');
    expect(svg).toContain('all 10 runs, by intended submit; warm-up runs faded');
  });

  it('shades the faults among the runs shown and says how many later ones it left out', () => {
    const windows = svg.match(/<rect class="fault-window"[^>]*>/g)!;
    expect(windows).toHaveLength(1);
    expect(n(windows[0]!, 'x')).toBeCloseTo(between(xTicks(svg), 3.5), 1);
    expect(svg).toContain('1 later fault(s) not shown');
    expect(svg).toContain('>kill</text>');
  });

  it('caps a big cell at the first TIMELINE_CAP runs by intended submit and says "first N of M"', () => {
    const total = TIMELINE_CAP + 90;
    const many = Array.from({ length: total }, (_, i) => row(total - 1 - i)); // recorded in reverse
    const data = runTimeline(many, originOf(many)!);
    expect(data.total).toBe(total);
    expect(data.bars.map((b) => b.runId)).toEqual(
      Array.from({ length: TIMELINE_CAP }, (_, i) => `r${String(i).padStart(3, '0')}`),
    );
    const chart = runTimelineChart({ title: 'big', adapter: 'a', color: '#000', data, bands: [] });
    expect(chart.match(/<rect class="run-bar/g)).toHaveLength(TIMELINE_CAP);
    expect(chart).toContain(`first ${TIMELINE_CAP} of ${total} runs, by intended submit`);
  });
});

describe('run-level charts escape what they are given', () => {
  it('escapes adapter names and run ids', () => {
    const name = '<img src=x onerror=alert(1)>';
    const rows = tenRuns().map((r) => ({ ...r, runId: `"><script>${r.runId}` }));
    const charts = [
      latencyOverTimeChart({
        title: name,
        series: [{ name, color: '#000', data: latencyOverTime(rows, ORIGIN) }],
        bands: [{ from: 1, to: 2, color: '#000', kind: name, label: name }],
      }),
      percentileChart({ title: name, series: [{ name, color: '#000', data: percentileDistribution(rows) }] }),
      runTimelineChart({
        title: name,
        adapter: name,
        color: '#000',
        data: runTimeline(rows, ORIGIN),
        bands: [],
      }),
    ];
    for (const chart of charts) {
      expect(chart).not.toContain('<img');
      expect(chart).not.toContain('<script');
      expect(chart).toContain('&lt;img src=x onerror=alert(1)&gt;');
    }
    expect(charts[0]).toContain('data-run="&quot;&gt;&lt;script&gt;r002"');
  });

  it('groups rows by cell in first-seen order', () => {
    const rows = [row(0, { cell: 'x' }), row(1, { cell: 'y' }), row(2, { cell: 'x' })];
    const byCell = rowsByCell(rows);
    expect([...byCell.keys()]).toEqual(['x', 'y']);
    expect(byCell.get('x')!.map((r) => r.runId)).toEqual(['r000', 'r002']);
  });
});
