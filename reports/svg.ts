import { escapeHtml as esc } from './format.js';

/**
 * Minimal inline SVG charts for report.html: a line chart with shaded bands and a
 * grouped bar chart. No library, no script: every data point is an SVG element
 * carrying data-* attributes and a <title> tooltip. Every string is escaped.
 */

export const PALETTE = ['#1f6fb4', '#d1495b', '#2e9e5b', '#8e5bb8', '#e08a1e', '#6b4f3a'];

export interface LineSeries {
  name: string;
  color: string;
  points: { x: number; y: number }[];
}

export interface Band {
  from: number;
  to: number;
  color: string;
  /** Short text drawn on the band (the fault kind). */
  kind: string;
  /** Tooltip. */
  label: string;
}

export interface BarGroup {
  name: string;
  color: string;
  /** One value per category; null draws a "no data" mark instead of a bar. */
  values: (number | null)[];
  /** Fill opacity, to tell two metrics of one adapter apart. */
  opacity?: number;
}

const W = 640;
const H = 260;
const M = { top: 28, right: 16, bottom: 52, left: 56 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

/** A round number at or above `max`, so axis ticks fall on readable values. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 2.5, 4, 5, 6, 8, 10].find((s) => s * magnitude >= max) ?? 10;
  return step * magnitude;
}

function num(value: number): string {
  return String(Number(value.toFixed(2)));
}

function label(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
}

function open(kind: string, title: string, desc: string): string {
  return (
    `<svg class="chart chart-${kind}" role="img" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" ` +
    `xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title><desc>${esc(desc)}</desc>` +
    `<text class="chart-title" x="${M.left}" y="16">${esc(title)}</text>`
  );
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
  const parts = [open('line', opts.title, `${opts.yLabel} by ${opts.xLabel}`), yAxis(yMax, opts.yLabel)];
  for (const band of opts.bands ?? []) {
    const x = sx(band.from);
    const width = Math.max(2, sx(band.to) - x);
    parts.push(
      `<rect class="fault-window" x="${num(x)}" y="${M.top}" width="${num(width)}" height="${PH}" ` +
        `fill="${esc(band.color)}" fill-opacity="0.18" data-from="${num(band.from)}" data-to="${num(band.to)}">` +
        `<title>${esc(band.label)}</title></rect>` +
        `<text class="band-label" x="${num(x + 3)}" y="${M.top + 10}" fill="${esc(band.color)}">${esc(band.kind)}</text>`,
    );
  }
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<text class="tick" x="${num(sx(f * xMax))}" y="${M.top + PH + 16}" text-anchor="middle">${esc(label(f * xMax))}</text>`,
    );
  }
  parts.push(
    `<text class="axis-label" x="${M.left + PW / 2}" y="${H - 22}" text-anchor="middle">${esc(opts.xLabel)}</text>`,
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
  parts.push(legend(opts.series.map((s) => ({ name: s.name, color: s.color }))), '</svg>');
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
    open('bar', opts.title, `${opts.yLabel} per ${opts.categories.join(', ')}`),
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
  parts.push(legend(opts.groups), '</svg>');
  return parts.join('');
}

function legend(items: { name: string; color: string; opacity?: number }[]): string {
  return items
    .map((item, i) => {
      const x = M.left + i * 150;
      return (
        `<g class="legend"><rect x="${x}" y="${H - 12}" width="10" height="10" fill="${esc(item.color)}" ` +
        `fill-opacity="${item.opacity ?? 1}" stroke="${esc(item.color)}"/>` +
        `<text x="${x + 14}" y="${H - 3}">${esc(item.name)}</text></g>`
      );
    })
    .join('');
}
