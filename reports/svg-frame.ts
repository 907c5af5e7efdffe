import { escapeHtml as esc } from './format.js';

/**
 * What every chart of report.html shares: the frame (title, an optional note line,
 * <title>/<desc> for screen readers), number formatting, fault windows, and a legend
 * that wraps onto as many rows as its items need, so any number of adapters fits.
 * Pure string builders; every string that reaches the SVG is escaped here.
 */

export const W = 640;
/** Margins of the plot area; a chart with a note line starts its plot lower (NOTE_TOP). */
export const M = { top: 28, right: 16, bottom: 52, left: 56 };
export const NOTE_TOP = 42;
export const PW = W - M.left - M.right;

/** Chart colours; adapters past the palette get generated hues (see seriesColor). */
export const PALETTE = [
  '#1f6fb4',
  '#d1495b',
  '#2e9e5b',
  '#8e5bb8',
  '#e08a1e',
  '#6b4f3a',
  '#1a9aa0',
  '#c2549d',
  '#7a8a1f',
  '#4a5ad0',
];

/**
 * The colour of the i-th series (adapters in results order), stable across every
 * chart of a page. Past the palette, hues step by the golden angle so no two adapters
 * of a large comparison share a colour.
 */
export function seriesColor(index: number): string {
  const i = Math.max(0, index);
  if (i < PALETTE.length) return PALETTE[i]!;
  const hue = Math.round(((i - PALETTE.length) * 137.508 + 20) % 360);
  return `hsl(${hue} 55% 40%)`;
}

/** A coordinate with at most 2 decimals, as SVG attributes carry them. */
export function num(value: number): string {
  return String(Number(value.toFixed(2)));
}

/** A value as a tick or tooltip shows it: integers as they are, else 3 significant digits. */
export function label(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
}

export function chartOpen(opts: {
  kind: string;
  title: string;
  desc: string;
  height: number;
  /** A second line under the title: what was left out, sampled or capped. */
  note?: string;
  /** A colour square before the title (a chart about one adapter). */
  swatch?: string;
}): string {
  const titleX = opts.swatch === undefined ? M.left : M.left + 14;
  const swatch =
    opts.swatch === undefined
      ? ''
      : `<rect class="title-swatch" x="${M.left}" y="7" width="10" height="10" fill="${esc(opts.swatch)}"/>`;
  const note =
    opts.note === undefined || opts.note === ''
      ? ''
      : `<text class="chart-note" x="${M.left}" y="31">${esc(opts.note)}</text>`;
  return (
    `<svg class="chart chart-${esc(opts.kind)}" role="img" viewBox="0 0 ${W} ${num(opts.height)}" width="${W}" ` +
    `height="${num(opts.height)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(opts.title)}</title>` +
    `<desc>${esc(opts.desc)}</desc>${swatch}<text class="chart-title" x="${titleX}" y="16">${esc(opts.title)}</text>${note}`
  );
}

export interface LegendItem {
  name: string;
  color: string;
  opacity?: number;
}

const LEGEND_ROW = 16;
const SWATCH = 10;
const SWATCH_GAP = 4;
const ITEM_GAP = 18;
/**
 * A generous width per character of the 11px legend font (system-ui averages about
 * 6 px for Latin text): the layout must not overflow without measuring text, which
 * an SVG string cannot do. The Chromium test checks real text boxes against it.
 */
export const LEGEND_CHAR_W = 6.8;
/** A legend name longer than this is cut with an ellipsis (the full name stays in its tooltip). */
const LEGEND_MAX_CHARS = Math.floor((W - M.left - M.right - SWATCH - SWATCH_GAP) / LEGEND_CHAR_W) - 1;

export interface LegendSlot {
  item: LegendItem;
  text: string;
  x: number;
  row: number;
  /** Estimated width of swatch and text. */
  width: number;
}

/** Packs legend items left to right into rows no wider than the plot's width. */
export function layoutLegend(items: readonly LegendItem[]): LegendSlot[] {
  const right = W - M.right;
  const slots: LegendSlot[] = [];
  let x = M.left;
  let row = 0;
  for (const item of items) {
    const text =
      item.name.length > LEGEND_MAX_CHARS ? `${item.name.slice(0, LEGEND_MAX_CHARS - 1)}…` : item.name;
    const width = SWATCH + SWATCH_GAP + text.length * LEGEND_CHAR_W;
    if (x > M.left && x + width > right) {
      row++;
      x = M.left;
    }
    slots.push({ item, text, x, row, width });
    x += width + ITEM_GAP;
  }
  return slots;
}

/** The height a legend of these items takes below the plot. */
export function legendHeight(items: readonly LegendItem[]): number {
  const slots = layoutLegend(items);
  return slots.length === 0 ? 0 : (slots[slots.length - 1]!.row + 1) * LEGEND_ROW;
}

/** The legend, its first row's baseline at `top + 9`. */
export function legend(items: readonly LegendItem[], top: number): string {
  return layoutLegend(items)
    .map(({ item, text, x, row }) => {
      const y = top + row * LEGEND_ROW;
      const tooltip = text === item.name ? '' : `<title>${esc(item.name)}</title>`;
      return (
        `<g class="legend" data-row="${row}"><rect x="${num(x)}" y="${y}" width="${SWATCH}" height="${SWATCH}" ` +
        `fill="${esc(item.color)}" fill-opacity="${item.opacity ?? 1}" stroke="${esc(item.color)}"/>` +
        `<text x="${num(x + SWATCH + SWATCH_GAP)}" y="${y + 9}">${esc(text)}${tooltip}</text></g>`
      );
    })
    .join('');
}

export interface Band {
  /** Same unit as the chart's x axis. */
  from: number;
  to: number;
  color: string;
  /** Short text drawn on the band (the fault kind). */
  kind: string;
  /** Tooltip. */
  label: string;
}

/** Labels of bands of the same kind closer than this (px) are drawn once: one per adapter would pile up. */
const SAME_SPOT = 30;

/**
 * Fault windows over a plot area: a shaded rect from start to end; an instant fault
 * (a kill: start = end) as a 2 px band. Every band keeps its tooltip; its kind is
 * written on it unless a band of the same kind was just labelled at nearly the same
 * spot, and labels of different kinds step down a line so they do not overlap.
 */
export function faultBands(
  bands: readonly Band[],
  sx: (x: number) => number,
  plot: { top: number; height: number; left: number; right: number },
  /** Where labels start; lower than the band's top where a chart keeps a row up there. */
  labelTop = plot.top,
): string {
  const labelled: { x: number; kind: string }[] = [];
  return bands
    .map((band) => {
      const from = Math.max(plot.left, Math.min(plot.right, sx(band.from)));
      const to = Math.max(plot.left, Math.min(plot.right, sx(band.to)));
      const x = Math.min(from, plot.right - 2);
      const width = Math.max(2, to - x);
      const near = labelled.filter((l) => Math.abs(l.x - x) < SAME_SPOT * 2);
      const rect =
        `<rect class="fault-window" x="${num(x)}" y="${num(plot.top)}" width="${num(width)}" height="${num(plot.height)}" ` +
        `fill="${esc(band.color)}" fill-opacity="0.18" data-from="${num(band.from)}" data-to="${num(band.to)}">` +
        `<title>${esc(band.label)}</title></rect>`;
      if (near.some((l) => l.kind === band.kind && Math.abs(l.x - x) < SAME_SPOT)) return rect;
      labelled.push({ x, kind: band.kind });
      const labelY = labelTop + 10 + (near.length % 3) * 11;
      return (
        rect +
        `<text class="band-label" x="${num(x + 3)}" y="${num(labelY)}" fill="${esc(band.color)}">${esc(band.kind)}</text>`
      );
    })
    .join('');
}
