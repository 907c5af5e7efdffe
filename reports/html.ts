import type { GateResult } from '../analysis/gates/evaluate.js';
import { metric } from '../analysis/metrics/catalog.js';
import type { CellResult, Results } from '../core/results.js';
import { cellRowsFor } from './cell-rows.js';
import type { RunRow } from './csv.js';
import {
  adaptersOf,
  type CellGroup,
  DASH,
  escapeHtml as esc,
  groupCells,
  interruptionText,
  knobSets,
  knobText,
  unique,
} from './format.js';
import { buildGlance } from './glance.js';
import { renderGlanceHtml, sectionId } from './glance-render.js';
import { cellFaultBands, groupRunCharts } from './group-run-charts.js';
import { PARITY_ROWS, type ParityGroup, parityGroups, paritySentences } from './language-parity.js';
import { narrate } from './narrative.js';
import { traceHtml } from './observability.js';
import { rowsByCell } from './run-series.js';
import { barChart, lineChart, seriesColor } from './svg.js';

/**
 * report.html: one self-contained page (inline CSS and SVG, no script, no network).
 * A Content-Security-Policy of default-src 'none' makes the browser refuse any
 * script or remote load, so even an escaping bug could not run code — and it would
 * show up as a console error, which the Chromium test looks for.
 */

export interface HtmlOptions {
  gates?: readonly GateResult[];
  /**
   * One row per run (collectRunRows, as for runs.csv): the run-level charts (latency
   * over time, percentiles, per-run timelines) are drawn from them; without them the
   * page has the charts results.json alone can draw.
   */
  runs?: readonly RunRow[];
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1320px;padding:0 16px;color:#1d232a}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #d6dde4}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #d6dde4;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f1f4f7}.verdict-PASS,.status-PASS{color:#1d7a3e;font-weight:600}
.verdict-FAIL,.status-FAIL{color:#b3261e;font-weight:600}.verdict-UNKNOWN,.status-UNKNOWN{color:#8a6d00;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #e3e8ee;background:#fff;max-width:100%;height:auto}
.chart-title{font-weight:600;font-size:13px}.tick,.legend text,.no-data,.bar-value,.band-label,.chart-note{font-size:11px;fill:#4a5560}.axis-label{font-size:11px;fill:#4a5560}
.grid{stroke:#e9edf1}.meta{color:#4a5560}code{background:#f1f4f7;padding:0 3px}
.glance td{min-width:160px}.glance .mark{font-weight:700}.glance-pass .mark{color:#1d7a3e}.glance-fail .mark{color:#b3261e}
.glance-not-measured{color:#6b7580}.evidence{font-size:12px;color:#4a5560}
`;

export function renderHtml(results: Results, options: HtmlOptions = {}): string {
  const adapters = adaptersOf(results);
  // One colour per adapter for the whole page, in results order.
  const color = (adapter: string) => seriesColor(adapters.indexOf(adapter));
  const byCell = options.runs === undefined ? undefined : rowsByCell(options.runs);
  const rowsOf = byCell === undefined ? undefined : (cellId: string) => byCell.get(cellId) ?? [];
  const body: string[] = [
    `<h1>Faultline report</h1>`,
    header(results),
    renderGlanceHtml(buildGlance(results)),
  ];
  if (options.gates !== undefined) body.push(gatesTable(options.gates));
  for (const scenario of unique(results.cells.map((c) => c.scenario))) {
    const groups = groupCells(results).filter((g) => g.scenario === scenario);
    body.push(
      `<h2>Scenario ${esc(scenario)}</h2>`,
      `<div class="charts">${harmChart(scenario, groups, adapters, color)}</div>`,
    );
    for (const group of groups) body.push(groupSection(group, color, rowsOf));
  }
  body.push(paritySection(parityGroups(results)));
  body.push(traceHtml(results));
  body.push(knobsSection(results));
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Faultline report ${esc(results.createdAt)}</title>`,
    `<style>${CSS}</style></head><body>`,
    ...body,
    '</body></html>',
    '',
  ].join('\n');
}

function header(results: Results): string {
  const c = results.config;
  const load = (c.load ?? {}) as Record<string, unknown>;
  const description = typeof c.description === 'string' ? `<p>${esc(c.description)}</p>` : '';
  return (
    `${description}<p class="meta">Created ${esc(results.createdAt)} by faultline ${esc(results.tool.version)} on Node ` +
    `${esc(results.tool.node)}. Seed ${esc(knobText(c.seed ?? DASH))}; ${esc(knobText(load.runs ?? DASH))} runs per cell at ` +
    `${esc(knobText(load.ratePerSec ?? DASH))} runs/s, ${esc(knobText(load.warmupRuns ?? DASH))} warm-up.</p>` +
    interruptedHtml(results)
  );
}

function interruptedHtml(results: Results): string {
  const text = interruptionText(results);
  return text === null ? '' : `<p class="interrupted"><strong>${esc(text)}</strong></p>`;
}

/** Lost runs and duplicate effects per fault, each adapter's two bars side by side. */
function harmChart(
  scenario: string,
  groups: CellGroup[],
  adapters: string[],
  color: (a: string) => string,
): string {
  const faults = groups.map((g) => g.fault);
  const cellOf = (adapter: string, fault: string) =>
    groups.find((g) => g.fault === fault)?.cells.find((c) => c.adapter === adapter);
  const valuesOf = (name: 'lost' | 'duplicates', adapter: string) =>
    faults.map((f) => {
      const cell = cellOf(adapter, f);
      return cell === undefined ? null : metric(name).read(cell);
    });
  const bars = adapters.flatMap((adapter) => [
    { name: `${adapter} lost`, color: color(adapter), values: valuesOf('lost', adapter) },
    {
      name: `${adapter} duplicates`,
      color: color(adapter),
      opacity: 0.35,
      values: valuesOf('duplicates', adapter),
    },
  ]);
  return barChart({
    title: `${scenario}: lost runs and duplicate effects per fault`,
    yLabel: 'count',
    categories: faults,
    groups: bars,
  });
}

function groupSection(
  group: CellGroup,
  color: (a: string) => string,
  rowsOf: ((cellId: string) => readonly RunRow[]) | undefined,
): string {
  const title = `${group.scenario} × ${group.fault}`;
  const throughput = lineChart({
    title: `${title}: throughput over time`,
    xLabel: 'seconds since first submit',
    yLabel: 'completed runs / s',
    series: group.cells.map((c) => ({
      name: c.adapter,
      color: color(c.adapter),
      // A bucket holds the completions of [second, second + 1): plot it at its middle.
      points: c.throughputSeries.map((p) => ({ x: p.second + 0.5, y: p.completed })),
    })),
    bands: group.cells.flatMap((c) => cellFaultBands(c, color(c.adapter))),
  });
  const stats = ['p50', 'p90', 'p95', 'p99', 'max'] as const;
  const latency = barChart({
    title: `${title}: latency percentiles`,
    yLabel: 'ms',
    categories: [...stats],
    groups: group.cells.map((c) => ({
      name: c.adapter,
      color: color(c.adapter),
      values: stats.map((s) => c.latencyMs[s]),
    })),
  });
  const charts = [throughput, latency];
  if (group.cells.some((c) => c.faults.length > 0)) charts.push(recoveryChart(title, group.cells, color));
  const runCharts = rowsOf === undefined ? undefined : groupRunCharts(group, rowsOf, color);
  if (runCharts !== undefined) charts.push(...runCharts.compare);
  const timelines =
    runCharts === undefined || runCharts.timelines.length === 0
      ? ''
      : `<div class="charts timelines">${runCharts.timelines.join('')}</div>`;
  const narrative = group.cells
    .map((c) => `<li><strong>${esc(c.adapter)}</strong>: ${esc(narrate(c).join(' '))}</li>`)
    .join('');
  return (
    `<h3 id="${esc(sectionId(title))}">${esc(title)}</h3>${summaryTable(group.cells)}` +
    `<ul class="narrative">${narrative}</ul><div class="charts">${charts.join('')}</div>${timelines}`
  );
}

function recoveryChart(title: string, cells: CellResult[], color: (a: string) => string): string {
  return barChart({
    title: `${title}: recovery times (max over occurrences)`,
    yLabel: 'ms',
    categories: ['first progress', 'throughput at 90%'],
    groups: cells.map((c) => ({
      name: c.adapter,
      color: color(c.adapter),
      values: [metric('recovery.max').read(c), metric('throughputRecovery.max').read(c)],
    })),
  });
}

function summaryTable(cells: CellResult[]): string {
  const head = `<tr><th></th>${cells.map((c) => `<th>${esc(c.adapter)}</th>`).join('')}</tr>`;
  const rows = cellRowsFor(cells).map(([label, value]) => {
    const tds = cells.map((c) => {
      const text = value(c);
      return label === 'verdict'
        ? `<td class="verdict-${esc(text)}">${esc(text)}</td>`
        : `<td>${esc(text)}</td>`;
    });
    return `<tr><th>${esc(label)}</th>${tds.join('')}</tr>`;
  });
  return `<table class="summary">${head}${rows.join('')}</table>`;
}

/** Adapters of one orchestrator family in different languages, side by side (language-parity.ts). */
function paritySection(groups: ParityGroup[]): string {
  if (groups.length === 0) return '';
  const out = [
    '<h2 id="language-parity">Language parity</h2>',
    '<p>The same scenario and fault on one orchestrator driven from workers in different languages: the guarantees should agree, the costs may not.</p>',
  ];
  for (const group of groups) {
    const head = `<tr><th></th>${group.cells.map((c) => `<th>${esc(c.cell.adapter)}</th>`).join('')}</tr>`;
    const rows = PARITY_ROWS.map(([label, value]) => {
      const tds = group.cells.map((c) => {
        const text = value(c);
        return label === 'verdict'
          ? `<td class="verdict-${esc(text)}">${esc(text)}</td>`
          : `<td>${esc(text)}</td>`;
      });
      return `<tr><th>${esc(label)}</th>${tds.join('')}</tr>`;
    });
    const sentences = paritySentences(group)
      .map((s) => `<li>${esc(s)}</li>`)
      .join('');
    out.push(
      `<h3>${esc(`${group.scenario} × ${group.fault} (${group.family} family)`)}</h3>`,
      `<table class="parity">${head}${rows.join('')}</table><ul class="parity-verdicts">${sentences}</ul>`,
    );
  }
  return out.join('');
}

function gatesTable(gates: readonly GateResult[]): string {
  if (gates.length === 0) return '<h2>Gates</h2><p>No gates declared.</p>';
  const rows = gates.map(
    (g) =>
      `<tr><td><code>${esc(g.gate.expression)}</code></td><td class="status-${g.status}">${g.status}</td><td>${esc(g.message)}</td></tr>`,
  );
  return `<h2>Gates</h2><table class="gates"><tr><th>gate</th><th>status</th><th>evidence</th></tr>${rows.join('')}</table>`;
}

function knobsSection(results: Results): string {
  const out = ['<h2>Knobs used</h2>'];
  for (const set of knobSets(results)) {
    const rows = Object.entries(set.knobs).map(
      ([k, v]) => `<tr><td>${esc(k)}</td><td class="knob-value">${esc(knobText(v))}</td></tr>`,
    );
    const title = set.variant ? `${set.adapter} (${set.cell})` : set.adapter;
    out.push(
      `<h3>${esc(title)}</h3><table class="knobs"><tr><th>knob</th><th>value</th></tr>${rows.join('')}</table>`,
    );
  }
  return out.join('');
}
