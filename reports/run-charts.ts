import { escapeHtml as esc, fmtMs } from './format.js';
import type { LatencyOverTime, PercentileDistribution, RunTimeline, TimelineBar } from './run-series.js';
import {
  type Band,
  chartOpen,
  faultBands,
  type LegendItem,
  label,
  legend,
  legendHeight,
  M,
  NOTE_TOP,
  num,
  PW,
} from './svg-frame.js';
import { latencyScale, linearScale, type Scale, scaleUnit } from './svg-scale.js';

/**
 * The run-level charts of report.html, from what run-series.ts computed: latency of
 * every run over time (as Jepsen's latency plots, fault windows shaded), the latency
 * percentile distribution on a 1/(1 − p) log axis (as HdrHistogram and OMB plot it),
 * and a per-run timeline of one cell. Each data mark carries data-* attributes with
 * its values (the tests read them) and a <title> tooltip.
 */

const PH = 190;
/** Below the plot: tick labels and the x axis label, then the legend. */
const AXIS_SPACE = 40;
const PLOT = (top: number, height: number) => ({ top, height, left: M.left, right: M.left + PW });

export const OUTCOME_COLORS = {
  completed: '#4f9a6a',
  failed: '#e08a1e',
  unfinished: '#b3261e',
} as const;

function yAxis(scale: Scale, top: number, height: number, text: string, tick = label): string {
  const ticks = scale.ticks.map((t) => {
    const y = top + height - scale.at(t) * height;
    return (
      `<line class="grid" x1="${M.left}" x2="${M.left + PW}" y1="${num(y)}" y2="${num(y)}"/>` +
      `<text class="tick" x="${M.left - 6}" y="${num(y + 4)}" text-anchor="end">${esc(tick(t))}</text>`
    );
  });
  return (
    ticks.join('') +
    `<text class="axis-label" transform="translate(14 ${num(top + height / 2)}) rotate(-90)" text-anchor="middle">${esc(text)}</text>`
  );
}

function xAxis(
  positions: { at: number; text: string }[],
  plotBottom: number,
  text: string,
  grid?: { top: number },
): string {
  const ticks = positions.map(({ at, text: t }) => {
    const x = M.left + at * PW;
    const line =
      grid === undefined
        ? ''
        : `<line class="grid" x1="${num(x)}" x2="${num(x)}" y1="${num(grid.top)}" y2="${num(plotBottom)}"/>`;
    return `${line}<text class="tick" x="${num(x)}" y="${num(plotBottom + 16)}" text-anchor="middle">${esc(t)}</text>`;
  });
  return (
    ticks.join('') +
    `<text class="axis-label" x="${M.left + PW / 2}" y="${num(plotBottom + 32)}" text-anchor="middle">${esc(text)}</text>`
  );
}

function finish(parts: string[], items: LegendItem[], plotBottom: number): { svg: string; height: number } {
  const legendTop = plotBottom + AXIS_SPACE;
  const height = legendTop + legendHeight(items) + 6;
  parts.push(legend(items, legendTop), '</svg>');
  return { svg: parts.join(''), height };
}

/** Opens the chart once its height (which depends on the legend's rows) is known. */
function assemble(
  open: Omit<Parameters<typeof chartOpen>[0], 'height'>,
  build: () => { parts: string[]; items: LegendItem[]; plotBottom: number },
): string {
  const { parts, items, plotBottom } = build();
  const { svg, height } = finish(parts, items, plotBottom);
  return chartOpen({ ...open, height }) + svg;
}

const ordinal = (k: number) => {
  const tens = k % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][k % 10] ?? 'th');
  return `${k}${suffix}`;
};

export interface LatencySeries {
  name: string;
  color: string;
  data: LatencyOverTime;
}

/**
 * Latency of each run (y) by its intended submit (x, seconds since the cell's first
 * submit), one colour per adapter: completed runs filled, failed ones hollow, runs that
 * never finished as ✕ on a row above the plot labelled "unfinished". Warm-up runs are
 * left out (they are no latency sample). The y axis is log when the latencies spread
 * over 20× (see latencyScale), and its label says so.
 */
export function latencyOverTimeChart(opts: {
  title: string;
  series: LatencySeries[];
  bands: Band[];
}): string {
  const anyUnfinished = opts.series.some((s) => s.data.unfinished.length > 0);
  const anyFailed = opts.series.some((s) => s.data.points.some((p) => p.status === 'failed'));
  const anyWarmup = opts.series.some((s) => s.data.warmup > 0);
  const note = [
    anyFailed ? '○ failed (time to failure)' : '',
    anyUnfinished ? '✕ never finished' : '',
    anyWarmup ? 'warm-up runs left out' : '',
  ]
    .filter((s) => s !== '')
    .join(' · ');
  const desc =
    `Latency (ms) of each run by its intended submit time, per adapter: ` +
    opts.series
      .map((s) => {
        const d = s.data;
        const sampled = d.every > 1 ? `, every ${ordinal(d.every)} run plotted plus the slowest` : '';
        return `${s.name}: ${d.finished} finished, ${d.unfinishedTotal} unfinished, ${d.warmup} warm-up left out${sampled}`;
      })
      .join('; ');
  return assemble({ kind: 'latency-time', title: opts.title, desc, note }, () => {
    const top = NOTE_TOP;
    // A row above the data for runs that never finished: they have no latency to plot.
    const ceiling = top + 12;
    const dataTop = anyUnfinished ? top + 20 : top;
    const dataH = PH - (dataTop - top);
    const bottom = top + PH;
    const latencies = opts.series.flatMap((s) => s.data.points.map((p) => p.latencyMs));
    const xs = opts.series.flatMap((s) => [...s.data.points, ...s.data.unfinished].map((p) => p.x));
    const y = latencyScale(latencies);
    const x = linearScale(Math.min(0, ...xs), Math.max(1, ...xs, ...opts.bands.map((b) => b.to)));
    const sx = (v: number) => M.left + x.at(v) * PW;
    const sy = (v: number) => dataTop + dataH - y.at(v) * dataH;
    const parts = [
      yAxis(y, dataTop, dataH, `latency (${scaleUnit('ms', y)})`),
      faultBands(opts.bands, sx, PLOT(top, PH), dataTop),
      xAxis(
        x.ticks.map((t) => ({ at: x.at(t), text: label(t) })),
        bottom,
        'intended submit (s since the first submit)',
      ),
    ];
    if (anyUnfinished) {
      // Labelled inside the plot, above its line: the margin is too narrow for the word.
      parts.push(
        `<line class="ceiling" x1="${M.left}" x2="${M.left + PW}" y1="${ceiling}" y2="${ceiling}" stroke="#b9c2cb" stroke-dasharray="3 3"/>` +
          `<text class="tick ceiling-label" x="${M.left + PW - 2}" y="${ceiling - 4}" text-anchor="end">unfinished ✕</text>`,
      );
    }
    for (const s of opts.series) {
      parts.push(`<g class="run-series" data-series="${esc(s.name)}">`);
      for (const p of s.data.points) {
        const failed = p.status === 'failed';
        parts.push(
          `<circle class="run-point${failed ? ' failed' : ''}" cx="${num(sx(p.x))}" cy="${num(sy(p.latencyMs))}" r="2.5" ` +
            `fill="${failed ? '#fff' : esc(s.color)}" stroke="${esc(s.color)}" data-run="${esc(p.runId)}" ` +
            `data-x="${num(p.x)}" data-y="${num(p.latencyMs)}" data-status="${p.status}">` +
            `<title>${esc(`${s.name} ${p.runId}: ${p.status} after ${fmtMs(p.latencyMs)}, intended at ${label(p.x)} s`)}</title></circle>`,
        );
      }
      for (const u of s.data.unfinished) {
        const cx = sx(u.x);
        const cy = ceiling;
        parts.push(
          `<path class="unfinished-mark" d="M${num(cx - 3)} ${num(cy - 3)}L${num(cx + 3)} ${num(cy + 3)}M${num(cx - 3)} ${num(cy + 3)}L${num(cx + 3)} ${num(cy - 3)}" ` +
            `stroke="${esc(s.color)}" stroke-width="1.6" fill="none" data-run="${esc(u.runId)}" data-x="${num(u.x)}">` +
            `<title>${esc(`${s.name} ${u.runId}: never finished, intended at ${label(u.x)} s`)}</title></path>`,
        );
      }
      parts.push('</g>');
    }
    const items = opts.series.map((s) => {
      const d = s.data;
      const counts = [
        `${d.finished} finished`,
        d.unfinishedTotal > 0 ? `${d.unfinishedTotal} unfinished` : '',
        d.every > 1 ? `every ${ordinal(d.every)} shown` : '',
      ].filter((t) => t !== '');
      return { name: `${s.name} (${counts.join(', ')})`, color: s.color };
    });
    return { parts, items, plotBottom: bottom };
  });
}

export interface PercentileSeries {
  name: string;
  color: string;
  data: PercentileDistribution;
}

/** A tick label for 1/(1 − p): 1 → 0%, 2 → 50%, 10 → 90%, 1000 → 99.9%. */
export function percentileText(d: number): string {
  return `${Number((100 * (1 - 1 / d)).toPrecision(12))}%`;
}

/**
 * Latency (y) at each percentile (x on a log scale of 1/(1 − p), so 90, 99 and 99.9
 * are evenly spaced), one line per adapter, drawn only as far as its sample supports
 * (n ≥ 1/(1 − p)). The legend gives each adapter's sample count and max.
 */
export function percentileChart(opts: { title: string; series: PercentileSeries[] }): string {
  // The axis ends at the highest percentile drawn (at least 90%): no empty decades.
  const maxD = Math.max(10, ...opts.series.flatMap((s) => s.data.points.map((p) => p.d)));
  const decades = Math.log10(maxD);
  const desc =
    'Latency (ms) by percentile, x on a log scale of 1/(1 − p); each adapter drawn to the highest percentile its ' +
    `sample supports (n ≥ 1/(1 − p)): ${opts.series.map((s) => `${s.name} n = ${s.data.count}`).join(', ')}`;
  const note = 'each line stops at the highest percentile its runs support: n ≥ 1/(1 − p)';
  return assemble({ kind: 'percentiles', title: opts.title, desc, note }, () => {
    const top = NOTE_TOP;
    const bottom = top + PH;
    const y = latencyScale(opts.series.flatMap((s) => s.data.points.map((p) => p.latencyMs)));
    const at = (d: number) => Math.log10(d) / decades;
    const sx = (d: number) => M.left + at(d) * PW;
    const sy = (v: number) => bottom - y.at(v) * PH;
    const ticks = [1, 2, ...Array.from({ length: Math.floor(decades + 1e-9) }, (_, i) => 10 ** (i + 1))];
    const parts = [
      yAxis(y, top, PH, `latency (${scaleUnit('ms', y)})`),
      xAxis(
        ticks.map((d) => ({ at: at(d), text: percentileText(d) })),
        bottom,
        'percentile (log scale of 1/(1 − p))',
        { top },
      ),
    ];
    for (const s of opts.series) {
      const coords = s.data.points.map((p) => `${num(sx(p.d))},${num(sy(p.latencyMs))}`).join(' ');
      parts.push(
        `<g class="percentile-series" data-series="${esc(s.name)}" data-count="${s.data.count}">` +
          `<polyline class="percentile-line" fill="none" stroke="${esc(s.color)}" stroke-width="2" points="${coords}"/>`,
      );
      for (const p of s.data.points) {
        const text = percentileText(p.d);
        parts.push(
          `<circle class="pct-point" cx="${num(sx(p.d))}" cy="${num(sy(p.latencyMs))}" r="3" fill="${esc(s.color)}" ` +
            `data-percentile="${num(p.percentile)}" data-d="${p.d}" data-y="${num(p.latencyMs)}">` +
            `<title>${esc(`${s.name}: p${text.slice(0, -1)} = ${fmtMs(p.latencyMs)} (n = ${s.data.count})`)}</title></circle>`,
        );
      }
      parts.push('</g>');
    }
    const items = opts.series.map((s) => ({
      name:
        s.data.count === 0
          ? `${s.name} (no latency samples)`
          : `${s.name} (n = ${s.data.count}, max ${fmtMs(s.data.maxMs)})`,
      color: s.color,
    }));
    return { parts, items, plotBottom: bottom };
  });
}

const TIMELINE_H = 200;

/** The bar's colour and class; warm-up runs are drawn faded. */
function barStyle(bar: TimelineBar): { color: string; opacity: number } {
  return { color: OUTCOME_COLORS[bar.status], opacity: bar.warmup ? 0.35 : 0.85 };
}

/**
 * One cell's runs as horizontal bars, top to bottom in intended-submit order, each
 * from its intended submit to its outcome, coloured by outcome; a run that never
 * finished runs off the right edge, ending in an arrow (the axis spans the finished
 * runs shown, so one lost run does not squeeze the rest into a corner). At most
 * TIMELINE_CAP runs: past that, the first ones and a note "first N of M runs".
 */
export function runTimelineChart(opts: {
  title: string;
  adapter: string;
  color: string;
  data: RunTimeline;
  bands: Band[];
}): string {
  const { bars, total } = opts.data;
  const capped = bars.length < total;
  const anyWarmup = bars.some((b) => b.warmup);
  const shown = capped ? `first ${bars.length} of ${total} runs` : `all ${total} runs`;
  const note = `${shown}, by intended submit${anyWarmup ? '; warm-up runs faded' : ''}`;
  const desc = `Each run of ${opts.adapter} from its intended submit to its outcome (${shown}), coloured by outcome, fault windows shaded`;
  return assemble({ kind: 'timeline', title: opts.title, desc, note, swatch: opts.color }, () => {
    const top = NOTE_TOP;
    const rowH = bars.length === 0 ? 12 : Math.max(3, Math.min(12, TIMELINE_H / bars.length));
    const plotH = Math.max(24, rowH * bars.length);
    const bottom = top + plotH;
    const lastShown = Math.max(0, ...bars.flatMap((b) => [b.from, b.to ?? 0]));
    // Faults after the last run shown would only stretch the axis: they are left out, and said so.
    const bands = opts.bands.filter((b) => b.from <= lastShown);
    const x = linearScale(
      Math.min(0, ...bars.map((b) => b.from)),
      Math.max(1, lastShown, ...bands.map((b) => b.to)),
    );
    const sx = (v: number) => M.left + x.at(v) * PW;
    const parts = [
      faultBands(bands, sx, PLOT(top, plotH)),
      xAxis(
        x.ticks.map((t) => ({ at: x.at(t), text: label(t) })),
        bottom,
        'seconds since the first submit',
        { top },
      ),
      `<text class="axis-label" transform="translate(14 ${num(top + plotH / 2)}) rotate(-90)" text-anchor="middle">runs</text>`,
    ];
    if (bars.length > 0) {
      parts.push(
        `<text class="tick" x="${M.left - 6}" y="${num(top + rowH / 2 + 4)}" text-anchor="end">1</text>`,
        `<text class="tick" x="${M.left - 6}" y="${num(bottom - rowH / 2 + 4)}" text-anchor="end">${bars.length}</text>`,
      );
    }
    bars.forEach((bar, i) => {
      const { color, opacity } = barStyle(bar);
      const x0 = sx(bar.from);
      const end = bar.to ?? x.hi;
      const width = Math.max(1.5, sx(end) - x0);
      const y0 = top + i * rowH + (rowH > 4 ? 1 : 0);
      const h = rowH > 4 ? rowH - 2 : rowH - 0.5;
      const outcome =
        bar.to === null
          ? `never finished (intended at ${label(bar.from)} s)`
          : `${bar.status} after ${fmtMs((bar.to - bar.from) * 1000)} (${label(bar.from)} s → ${label(bar.to)} s)`;
      parts.push(
        `<rect class="run-bar run-${bar.status}" x="${num(x0)}" y="${num(y0)}" width="${num(width)}" height="${num(h)}" ` +
          `fill="${color}" fill-opacity="${opacity}" data-run="${esc(bar.runId)}" data-from="${num(bar.from)}" ` +
          `data-to="${bar.to === null ? '' : num(bar.to)}" data-status="${bar.status}" data-warmup="${bar.warmup}">` +
          `<title>${esc(`${bar.runId}${bar.warmup ? ' (warm-up)' : ''}: ${outcome}`)}</title></rect>`,
      );
      if (bar.to === null) {
        const tip = x0 + width;
        parts.push(
          `<path class="unfinished-arrow" d="M${num(tip - 4)} ${num(y0)}L${num(tip)} ${num(y0 + h / 2)}L${num(tip - 4)} ${num(y0 + h)}" ` +
            `fill="none" stroke="${OUTCOME_COLORS.unfinished}"/>`,
        );
      }
    });
    const items: LegendItem[] = (['completed', 'failed', 'unfinished'] as const)
      .filter((status) => bars.some((b) => b.status === status))
      .map((status) => ({
        name: status === 'unfinished' ? 'never finished' : status,
        color: OUTCOME_COLORS[status],
        opacity: 0.85,
      }));
    if (anyWarmup) items.push({ name: 'warm-up', color: OUTCOME_COLORS.completed, opacity: 0.35 });
    const hidden = opts.bands.length - bands.length;
    if (hidden > 0)
      items.push({ name: `${hidden} later fault(s) not shown`, color: '#8a949e', opacity: 0.18 });
    return { parts, items, plotBottom: bottom };
  });
}
