import { describe, expect, it } from 'vitest';
import { evaluateGates } from '../../analysis/gates/index.js';
import { readEvents } from '../../core/history/reader.js';
import { collectRunRows } from '../../reports/csv.js';
import { escapeHtml } from '../../reports/format.js';
import { renderHtml } from '../../reports/html.js';
import { percentileLevels } from '../../reports/run-series.js';
import { FIXTURE_HISTORY, HTML_KNOB, killOf, loadResults } from '../fixtures/results-small.js';

/** The fixture's run rows, as writeReports folds them from the history. */
const runs = await collectRunRows(readEvents(FIXTURE_HISTORY));

/** Every `<svg class="chart …">…</svg>` in the page. */
function charts(html: string): string[] {
  return html.match(/<svg class="chart [^"]*"[\s\S]*?<\/svg>/g) ?? [];
}

describe('report.html (static checks; the Chromium test renders it)', () => {
  const results = loadResults();
  const html = renderHtml(results, { gates: evaluateGates(['lost == 0'], results), runs });
  const groups = new Set(results.cells.map((c) => `${c.scenario} × ${c.fault}`)).size;

  it('is self-contained: no script, no external resource, a CSP that forbids both', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\ssrc=/i);
    // Links only within the page: the glance table's evidence points at its own sections.
    const hrefs = html.match(/\shref="[^"]*"/gi) ?? [];
    expect(hrefs.length).toBeGreaterThan(0);
    for (const href of hrefs) {
      const target = href.slice(' href="#'.length, -1);
      expect(href.startsWith(' href="#'), href).toBe(true);
      expect(html, href).toContain(`id="${target}"`);
    }
    expect(html).not.toMatch(/@import|url\(/i);
    const urls = html.match(/https?:\/\/[^"\s<]+/g) ?? [];
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg'])); // a namespace, never fetched
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  it('escapes every user-provided string', () => {
    expect(html).toContain(`<td class="knob-value">${escapeHtml(HTML_KNOB)}</td>`);
    expect(escapeHtml(HTML_KNOB)).toBe(
      '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;single&#39;',
    );
    const hostile = loadResults();
    const name = '"><img src=x onerror=alert(1)>';
    for (const cell of hostile.cells) {
      cell.scenario = name;
      cell.id = `${name}/${cell.adapter}/${cell.fault}`;
      for (const f of cell.faults) f.target = name;
    }
    hostile.config.description = '<b>bold</b>';
    const hostileRuns = runs.map((r) => {
      const cell = results.cells.find((c) => c.id === r.cell)!;
      return { ...r, cell: `${name}/${cell.adapter}/${cell.fault}`, runId: `${name}${r.runId}` };
    });
    const page = renderHtml(hostile, { runs: hostileRuns });
    expect(charts(page).filter((c) => c.includes('chart-timeline'))).toHaveLength(results.cells.length);
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<b>bold');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
  });

  it('draws the charts: per scenario harm bars, per fault throughput, latency and recovery', () => {
    const all = charts(html);
    // 1 harm chart + 3 faults × (throughput + latency) + 2 fault groups × recovery, then the
    // run-level charts: per group latency over time and percentiles, per cell a timeline.
    expect(all).toHaveLength(9 + 2 * groups + results.cells.length);
    expect(charts(renderHtml(results))).toHaveLength(9); // without run rows: what results.json alone draws
    expect(all.filter((c) => c.includes('chart-line'))).toHaveLength(3);
    const harm = all.find((c) => c.includes('lost runs and duplicate effects per fault'))!;
    expect(harm).toContain('data-series="bullmq lost" data-category="worker-kill" data-value="1"');
    expect(harm).toContain('data-series="bullmq duplicates" data-category="worker-kill" data-value="1"');
    expect(harm).toContain('data-series="temporal lost" data-category="worker-kill" data-value="0"');
  });

  it('plots every throughput bucket and shades the fault windows', () => {
    const throughput = charts(html).find((c) => c.includes('worker-kill: throughput over time'))!;
    for (const adapter of ['bullmq', 'temporal']) {
      const cell = results.cells.find((c) => c.id === `rag-ingest/${adapter}/worker-kill`)!;
      const group = throughput.match(
        new RegExp(`<g class="series" data-series="${adapter}">[\\s\\S]*?</g>`),
      )![0];
      expect(group.match(/<circle class="point"/g)).toHaveLength(cell.throughputSeries.length);
      for (const p of cell.throughputSeries)
        expect(group).toContain(`data-x="${p.second + 0.5}" data-y="${p.completed}"`);
    }
    const windows = throughput.match(/<rect class="fault-window"[^>]*>/g) ?? [];
    expect(windows).toHaveLength(2); // one kill per adapter cell
    expect(windows[0]).toContain('data-from="2.15" data-to="2.15"');
    const restart = charts(html).find((c) => c.includes('backend-restart: throughput over time'))!;
    expect(restart).toContain('data-from="3" data-to="5"');
  });

  it('draws latency percentiles and recovery times per adapter', () => {
    const latency = charts(html).find((c) => c.includes('worker-kill: latency percentiles'))!;
    expect(latency).toContain('data-series="bullmq" data-category="p99" data-value="6300"');
    expect(latency).toContain('data-series="temporal" data-category="p99" data-value="3300"');
    const recovery = charts(html).find((c) => c.includes('worker-kill: recovery times'))!;
    const results = loadResults();
    const first = killOf(results, 'bullmq').timeToFirstProgressMs;
    const throughput = killOf(results, 'temporal').timeToThroughputRecoveryMs;
    expect(recovery).toContain(`data-series="bullmq" data-category="first progress" data-value="${first}"`);
    expect(recovery).toContain(
      `data-series="temporal" data-category="throughput at 90%" data-value="${throughput}"`,
    );
  });

  it('shows the tables, the narrative and the gates', () => {
    expect(html).toContain('<tr><th>lost runs</th><td>1</td><td>0</td></tr>');
    expect(html).toContain('<td class="verdict-FAIL">FAIL</td>');
    expect(html).toContain('recovery governed by lockDuration=5000.');
    expect(html).toContain('<td><code>lost == 0</code></td><td class="status-FAIL">FAIL</td>');
  });

  it('marks a missing value instead of drawing a zero bar', () => {
    const noLatency = loadResults();
    const cell = noLatency.cells.find((c) => c.id === 'rag-ingest/temporal/none')!;
    cell.latencyMs = { count: 0, p50: null, p90: null, p95: null, p99: null, max: null, mean: null };
    const latency = charts(renderHtml(noLatency)).find((c) => c.includes('none: latency percentiles'))!;
    expect(latency).toMatch(/<text class="no-data"[^>]*data-series="temporal" data-category="p99">n\/a/);
    expect(latency).not.toContain('data-series="temporal" data-category="p99" data-value');
  });

  it('plots the latency of each run over time: every latency sample, the lost run at the ceiling, the kill shaded', () => {
    for (const cell of results.cells) {
      const title = `${cell.scenario} × ${cell.fault}: latency of each run over time`;
      const chart = charts(html).find((c) => c.includes(title))!;
      const series = chart.match(
        new RegExp(`<g class="run-series" data-series="${cell.adapter}">[\\s\\S]*?</g>`),
      )![0];
      // No run of the fixture failed: the points are the latency samples results.json counts.
      expect(series.match(/<circle class="run-point/g) ?? [], cell.id).toHaveLength(cell.latencyMs.count);
      const latencies = [...series.matchAll(/data-y="([\d.]+)"/g)].map((m) => Number(m[1]));
      // results.json keeps 3 significant digits of the largest.
      expect(Number(Math.max(...latencies).toPrecision(3)), cell.id).toBe(cell.latencyMs.max);
      expect(series.match(/class="unfinished-mark"/g) ?? [], cell.id).toHaveLength(
        cell.runs.lostBy.noOutcome,
      );
      expect(chart).toContain(`${cell.adapter} (${cell.latencyMs.count} finished`);
    }
    const kill = charts(html).find((c) => c.includes('worker-kill: latency of each run over time'))!;
    const at = Number((killOf(results, 'bullmq').startMs / 1000).toFixed(2)); // data-* carry 2 decimals
    expect(kill).toContain(`data-from="${at}" data-to="${at}"`);
    expect(kill).toContain('unfinished ✕');
  });

  it('plots latency by percentile only as far as the sample of each cell supports, matching results.json', () => {
    for (const cell of results.cells) {
      const chart = charts(html).find((c) =>
        c.includes(`${cell.scenario} × ${cell.fault}: latency by percentile`),
      )!;
      const series = chart.match(
        new RegExp(`<g class="percentile-series" data-series="${cell.adapter}"[\\s\\S]*?</g>`),
      )![0];
      const points = series.match(/<circle class="pct-point"[^>]*>/g)!;
      expect(points, cell.id).toHaveLength(percentileLevels(cell.latencyMs.count).length);
      const at = (p: number) => points.find((pt) => pt.includes(`data-percentile="${p}"`));
      expect(at(50), cell.id).toContain(`data-y="${cell.latencyMs.p50}"`);
      expect(at(90), cell.id).toContain(`data-y="${cell.latencyMs.p90}"`);
      expect(at(99), cell.id).toBeUndefined(); // 14 samples cannot tell a p99 from the max
      expect(chart).toContain(`${cell.adapter} (n = ${cell.latencyMs.count}, max `);
    }
  });

  it('draws a timeline per cell: a bar per run, coloured by outcome, the fault shaded', () => {
    for (const cell of results.cells) {
      const chart = charts(html).find((c) =>
        c.includes(`${cell.scenario} × ${cell.fault}: ${cell.adapter}, run by run`),
      )!;
      const bars = chart.match(/<rect class="run-bar[^>]*>/g)!;
      expect(bars, cell.id).toHaveLength(cell.runs.submitted);
      expect(
        bars.filter((b) => b.includes('run-completed')),
        cell.id,
      ).toHaveLength(cell.runs.completed);
      expect(
        bars.filter((b) => b.includes('run-unfinished')),
        cell.id,
      ).toHaveLength(cell.runs.lostBy.noOutcome);
      expect(
        bars.filter((b) => b.includes('data-warmup="true"')),
        cell.id,
      ).toHaveLength(cell.runs.warmup);
      expect(chart.match(/<rect class="fault-window"/g) ?? [], cell.id).toHaveLength(cell.faults.length);
      expect(chart).toContain(`all ${cell.runs.submitted} runs, by intended submit`);
    }
  });

  it('gives every adapter one colour across the page', () => {
    for (const adapter of ['bullmq', 'temporal']) {
      const colours = new Set(
        [
          ...html.matchAll(new RegExp(`data-series="${adapter}"[^>]*?(?:fill|stroke)="(#[0-9a-f]{6})"`, 'g')),
        ].map((m) => m[1]),
      );
      const swatches = [
        ...html.matchAll(
          new RegExp(
            `<rect class="title-swatch"[^>]*fill="(#[0-9a-f]{6})"/><text[^>]*>[^<]*: ${adapter}, run by run`,
            'g',
          ),
        ),
      ].map((m) => m[1]);
      expect(swatches).toHaveLength(3);
      expect(new Set([...colours, ...swatches]).size, adapter).toBe(1);
    }
  });
});
