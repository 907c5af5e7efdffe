import { escapeHtml as esc } from './format.js';
import {
  type Band,
  chartOpen,
  faultBands,
  type LegendItem,
  label,
  legend,
  legendHeight,
  M,
  num,
  PW,
} from './svg-frame.js';

/**
 * Minimal inline SVG charts for report.html: a line chart with shaded bands and a
 * grouped bar chart. No library, no script: every data point is an SVG element
 * carrying data-* attributes and a <title> tooltip. Every string is escaped.
 */

export { type Band, seriesColor } from './svg-frame.js';

export interface LineSeries {
  name: string;
  color: string;
  points: { x: number; y: number }[];
}

export interface BarGroup {
  name: string;
  color: string;
  /** One value per category; null draws a "no data" mark instead of a bar. */
  values: (number | null)[];
  /** Fill opacity, to tell two metrics of one adapter apart. */
  opacity?: number;
}

const PH = 180;
/** Where the legend's first row starts, below the tick labels and the x axis label. */
const LEGEND_TOP = M.top + PH + 40;

/** A round number at or above `max`, so axis ticks fall on readable values. */
function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 2.5, 4, 5, 6, 8, 10].find((s) => s * magnitude >= max) ?? 10;
  return step * magnitude;
}

function open(kind: string, title: string, desc: string, legendItems: LegendItem[]): string {
  return chartOpen({ kind, title, desc, height: LEGEND_TOP + legendHeight(legendItems) + 4 });
}

function yAxis(yMax: number, yLabel: string): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = M.top + PH - f * PH;
    return (
      `<line class="grid" x1="${M.left}" x2="${M.left + PW}" y1="${num(y)}" y2="${num(y)}"/>` +
      `<text class="tick" x="${M.left - 6}" y="${num(y + 4)}" text-anchor="end">${esc(label(f * yMax))}</text>`
    );
  });
  return (
    ticks.join('') +
    `<text class="axis-label" transform="translate(14 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`
  );
}

export function lineChart(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  bands?: Band[];
}): string {
  const xs = opts.series.flatMap((s) => s.points.map((p) => p.x)).concat((opts.bands ?? []).map((b) => b.to));
  const ys = opts.series.flatMap((s) => s.points.map((p) => p.y));
  const xMax = niceMax(Math.max(1, ...xs));
  const yMax = niceMax(Math.max(1, ...ys));
  const sx = (x: number) => M.left + (x / xMax) * PW;
  const sy = (y: number) => M.top + PH - (y / yMax) * PH;
  const items = opts.series.map((s) => ({ name: s.name, color: s.color }));
  const parts = [
    open('line', opts.title, `${opts.yLabel} by ${opts.xLabel}`, items),
    yAxis(yMax, opts.yLabel),
    faultBands(opts.bands ?? [], sx, { top: M.top, height: PH, left: M.left, right: M.left + PW }),
  ];
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<text class="tick" x="${num(sx(f * xMax))}" y="${M.top + PH + 16}" text-anchor="middle">${esc(label(f * xMax))}</text>`,
    );
  }
  parts.push(
    `<text class="axis-label" x="${M.left + PW / 2}" y="${M.top + PH + 30}" text-anchor="middle">${esc(opts.xLabel)}</text>`,
  );
  opts.series.forEach((s) => {
    const coords = s.points.map((p) => `${num(sx(p.x))},${num(sy(p.y))}`).join(' ');
    parts.push(`<g class="series" data-series="${esc(s.name)}">`);
    parts.push(`<polyline fill="none" stroke="${esc(s.color)}" stroke-width="2" points="${coords}"/>`);
    for (const p of s.points) {
      parts.push(
        `<circle class="point" cx="${num(sx(p.x))}" cy="${num(sy(p.y))}" r="3" fill="${esc(s.color)}" ` +
          `data-x="${num(p.x)}" data-y="${num(p.y)}"><title>${esc(`${s.name}: ${label(p.y)} at ${label(p.x)}`)}</title></circle>`,
      );
    }
    parts.push('</g>');
  });
  parts.push(legend(items, LEGEND_TOP), '</svg>');
  return parts.join('');
}

export function barChart(opts: {
  title: string;
  yLabel: string;
  categories: string[];
  groups: BarGroup[];
}): string {
  const values = opts.groups.flatMap((g) => g.values.filter((v): v is number => v !== null));
  // Headroom above the tallest bar for its value label.
  const yMax = niceMax(Math.max(1, ...values) * 1.08);
  const sy = (y: number) => M.top + PH - (y / yMax) * PH;
  const slot = PW / Math.max(1, opts.categories.length);
  const barW = Math.max(4, (slot * 0.8) / Math.max(1, opts.groups.length));
  const parts = [
    open('bar', opts.title, `${opts.yLabel} per ${opts.categories.join(', ')}`, opts.groups),
    yAxis(yMax, opts.yLabel),
  ];
  opts.categories.forEach((category, ci) => {
    const x0 = M.left + ci * slot + slot * 0.1;
    parts.push(
      `<text class="tick" x="${num(M.left + ci * slot + slot / 2)}" y="${M.top + PH + 16}" text-anchor="middle">${esc(category)}</text>`,
    );
    opts.groups.forEach((group, gi) => {
      const value = group.values[ci] ?? null;
      const x = x0 + gi * barW;
      const attrs = `data-series="${esc(group.name)}" data-category="${esc(category)}"`;
      if (value === null) {
        parts.push(
          `<text class="no-data" x="${num(x + barW / 2)}" y="${M.top + PH - 4}" text-anchor="middle" ${attrs}>n/a<title>${esc(`${group.name}: no samples`)}</title></text>`,
        );
        return;
      }
      const y = sy(value);
      parts.push(
        `<rect class="bar" x="${num(x)}" y="${num(y)}" width="${num(barW - 1)}" height="${num(M.top + PH - y)}" ` +
          `fill="${esc(group.color)}" fill-opacity="${group.opacity ?? 1}" stroke="${esc(group.color)}" ${attrs} ` +
          `data-value="${num(value)}"><title>${esc(`${group.name} · ${category}: ${label(value)}`)}</title></rect>` +
          `<text class="bar-value" x="${num(x + barW / 2)}" y="${num(y - 3)}" text-anchor="middle">${esc(label(value))}</text>`,
      );
    });
  });
  parts.push(legend(opts.groups, LEGEND_TOP), '</svg>');
  return parts.join('');
}
