import { describe, expect, it } from 'vitest';
import { barChart, lineChart } from '../../reports/svg.js';
import {
  faultBands,
  LEGEND_CHAR_W,
  layoutLegend,
  legend,
  legendHeight,
  M,
  PALETTE,
  PW,
  seriesColor,
  W,
} from '../../reports/svg-frame.js';
import { LOG_SPREAD, latencyScale, linearScale, logScale } from '../../reports/svg-scale.js';

/** Adapter names as a large comparison would have them, some long. */
const SIX = [
  'bullmq',
  'temporal',
  'celery-with-redis-broker',
  'temporal-python-sdk',
  'restate-self-hosted-cluster',
  'inngest',
];

function attr(element: string, name: string): number {
  const match = element.match(new RegExp(` ${name}="([^"]*)"`));
  if (match === null) throw new Error(`no ${name} in ${element.slice(0, 120)}`);
  return Number(match[1]);
}

describe('legend', () => {
  const items = SIX.map((name, i) => ({ name: `${name} (n = 1000, max 12.5 s)`, color: seriesColor(i) }));

  it('wraps six adapters onto several rows, every item inside the chart and none overlapping', () => {
    const slots = layoutLegend(items);
    expect(slots.map((s) => s.item.name)).toEqual(items.map((i) => i.name));
    const rows = new Set(slots.map((s) => s.row));
    // The items' estimated widths add up to more than one row holds, so there must be several.
    const total = slots.reduce((sum, s) => sum + s.width, 0);
    expect(total).toBeGreaterThan(PW);
    expect(rows.size).toBeGreaterThanOrEqual(Math.ceil(total / PW));
    for (const slot of slots) {
      expect(slot.x).toBeGreaterThanOrEqual(M.left);
      expect(slot.x + slot.width).toBeLessThanOrEqual(W - M.right);
      expect(slot.width).toBeCloseTo(14 + slot.text.length * LEGEND_CHAR_W, 6);
    }
    for (const row of rows) {
      const inRow = slots.filter((s) => s.row === row).sort((a, b) => a.x - b.x);
      for (let i = 1; i < inRow.length; i++)
        expect(inRow[i]!.x).toBeGreaterThan(inRow[i - 1]!.x + inRow[i - 1]!.width);
    }
    expect(legendHeight(items)).toBe(rows.size * 16);
  });

  it('draws each row 16 px below the last, and cuts a name wider than the chart (full name as tooltip)', () => {
    const long = 'x'.repeat(200);
    const svg = legend([...items, { name: long, color: '#000' }], 300);
    const groups = svg.match(/<g class="legend" data-row="\d+">[\s\S]*?<\/g>/g) ?? [];
    expect(groups).toHaveLength(items.length + 1);
    for (const g of groups) {
      const row = Number(g.match(/data-row="(\d+)"/)![1]);
      expect(attr(g.match(/<rect[^>]*>/)![0], 'y')).toBe(300 + row * 16);
    }
    const last = groups[groups.length - 1]!;
    expect(last).toContain(`<title>${long}</title>`);
    const shown = last.match(/<text[^>]*>([^<]*)/)![1]!;
    expect(shown.endsWith('…')).toBe(true);
    expect(14 + shown.length * LEGEND_CHAR_W).toBeLessThanOrEqual(W - M.left - M.right);
  });

  it('escapes names', () => {
    const svg = legend([{ name: '<script>alert(1)</script>', color: '#000' }], 0);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('makes a bar chart of six adapters taller by its extra legend rows, so nothing is cut', () => {
    const chart = (names: string[]) =>
      barChart({
        title: 't',
        yLabel: 'ms',
        categories: ['p50'],
        groups: names.map((name, i) => ({ name, color: seriesColor(i), values: [i + 1] })),
      });
    const height = (svg: string) => attr(svg.match(/<svg[^>]*>/)![0], 'height');
    const one = chart(['bullmq']);
    const six = chart(SIX);
    const rows = new Set(layoutLegend(SIX.map((name) => ({ name, color: '' }))).map((s) => s.row)).size;
    expect(height(six) - height(one)).toBe((rows - 1) * 16);
    // Every legend row lies inside the chart.
    for (const rect of six.match(/<g class="legend"[^>]*><rect[^>]*>/g)!)
      expect(attr(rect, 'y') + 10).toBeLessThanOrEqual(height(six));
    const line = lineChart({
      title: 't',
      xLabel: 's',
      yLabel: 'n',
      series: SIX.map((name, i) => ({ name, color: seriesColor(i), points: [{ x: 1, y: 1 }] })),
    });
    expect(line.match(/<g class="legend"/g)).toHaveLength(6);
  });
});

describe('series colours', () => {
  it('are the palette first, then distinct generated hues: no two of 30 adapters share one', () => {
    expect(PALETTE.map((_, i) => seriesColor(i))).toEqual(PALETTE);
    const colors = Array.from({ length: 30 }, (_, i) => seriesColor(i));
    expect(new Set(colors).size).toBe(30);
    expect(seriesColor(12)).toBe(seriesColor(12));
  });
});

describe('fault bands', () => {
  const sx = (x: number) => 100 + x * 10;
  const plot = { top: 40, height: 100, left: 56, right: 624 };

  it('shades each window from start to end and an instant kill as a 2 px band', () => {
    const svg = faultBands(
      [
        { from: 3, to: 5, color: '#111', kind: 'backend-restart', label: 'a' },
        { from: 20, to: 20, color: '#222', kind: 'kill', label: 'b' },
      ],
      sx,
      plot,
    );
    const rects = svg.match(/<rect class="fault-window"[^>]*>/g)!;
    expect(rects).toHaveLength(2);
    expect(attr(rects[0]!, 'x')).toBe(sx(3));
    expect(attr(rects[0]!, 'width')).toBe(sx(5) - sx(3));
    expect(attr(rects[1]!, 'x')).toBe(sx(20));
    expect(attr(rects[1]!, 'width')).toBe(2);
    expect(attr(rects[1]!, 'height')).toBe(plot.height);
    expect(svg).toContain('>backend-restart</text>');
    expect(svg).toContain('>kill</text>');
  });

  it('labels the same fault of several adapters once, but keeps every band and tooltip', () => {
    const svg = faultBands(
      ['bullmq', 'temporal', 'celery'].map((adapter, i) => ({
        from: 2.15 + i * 0.01,
        to: 2.15 + i * 0.01,
        color: seriesColor(i),
        kind: 'kill',
        label: `${adapter}: kill`,
      })),
      sx,
      plot,
    );
    expect(svg.match(/<rect class="fault-window"/g)).toHaveLength(3);
    expect(svg.match(/>kill<\/text>/g)).toHaveLength(1);
    for (const adapter of ['bullmq', 'temporal', 'celery'])
      expect(svg).toContain(`<title>${adapter}: kill</title>`);
  });
});

describe('scales', () => {
  it('chooses a log latency axis when values spread over LOG_SPREAD×, linear from 0 otherwise', () => {
    const narrow = latencyScale([100, 250, 100 * (LOG_SPREAD - 1)]);
    expect(narrow.kind).toBe('linear');
    expect(narrow.lo).toBe(0);
    expect(narrow.hi).toBeGreaterThanOrEqual(100 * (LOG_SPREAD - 1));
    const wide = latencyScale([4, 250, 4 * LOG_SPREAD * 10]);
    expect(wide.kind).toBe('log');
    expect(wide.lo).toBe(1);
    expect(wide.hi).toBe(1000);
    expect(wide.at(10)).toBeCloseTo(1 / 3, 9);
    expect(wide.at(100)).toBeCloseTo(2 / 3, 9);
    // A non-positive latency (clock skew) sits on the floor of a log axis.
    expect(latencyScale([0, 5, 5000]).at(0)).toBe(0);
  });

  it('puts linear ticks on round steps covering the data', () => {
    const s = linearScale(0, 6300);
    expect(s.ticks).toEqual([0, 2000, 4000, 6000, 8000]);
    expect(s.at(4000)).toBe(0.5);
    // A run intended a millisecond before the first submit does not move the axis off 0.
    expect(linearScale(-0.001, 8).lo).toBe(0);
    expect(linearScale(-2, 8).lo).toBe(-2);
  });

  it('puts log ticks on powers of ten, with 2 and 5 between them over few decades', () => {
    expect(logScale(30, 800).ticks).toEqual([10, 20, 50, 100, 200, 500, 1000]);
    expect(logScale(3, 80_000).ticks).toEqual([1, 10, 100, 1000, 10_000, 100_000]);
  });
});
