import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from '../../core/history/reader.js';
import type { Results } from '../../core/results.js';
import { collectRunRows, type RunRow } from '../../reports/csv.js';
import { renderHtml, writeReports } from '../../reports/index.js';
import { percentileLevels } from '../../reports/run-series.js';
import { FIXTURE_HISTORY, HTML_KNOB, loadResults, tempRunDir } from '../fixtures/results-small.js';

/**
 * Opens report.html in a real headless Chromium (Debian's `chromium`; install it
 * with `bash scripts/setup.sh --with-browser`) and drives it over the DevTools
 * protocol on a pipe (--remote-debugging-pipe: NUL-separated JSON on fds 3/4), so
 * no WebSocket and no npm package is needed. Checks that the page loads with no
 * console message, no exception, no log entry (a CSP violation or a blocked load
 * would be one) and no dialog; that the charts are laid out with their data
 * points; that the page loaded nothing (no resource entry, no src/href anywhere);
 * and that the injected scripts stayed text. A second page compares seven adapters,
 * to see every legend fit its chart once the browser has measured the text.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available)
  console.warn(`report-html: skipped, no Chromium at ${CHROMIUM} (bash scripts/setup.sh --with-browser)`);

/** Would mark the page if it ever ran. */
const DOM_PAYLOAD = `<script>document.documentElement.setAttribute('data-pwned','script')</script><img src=x onerror="document.documentElement.setAttribute('data-pwned','img')">`;

interface CdpEvent {
  method: string;
  params: Record<string, unknown>;
  sessionId?: string;
}

class Cdp {
  private nextId = 1;
  private buffer = '';
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly events: CdpEvent[] = [];
  private readonly waiters: { method: string; resolve: (e: CdpEvent) => void }[] = [];

  constructor(
    private readonly input: Writable,
    output: Readable,
  ) {
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end = this.buffer.indexOf('\0');
      while (end >= 0) {
        this.receive(JSON.parse(this.buffer.slice(0, end)));
        this.buffer = this.buffer.slice(end + 1);
        end = this.buffer.indexOf('\0');
      }
    });
  }

  private receive(
    message: { id?: number; result?: unknown; error?: { message: string } } & Partial<CdpEvent>,
  ): void {
    if (message.id !== undefined) {
      const call = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) call?.reject(new Error(message.error.message));
      else call?.resolve(message.result);
      return;
    }
    const event = message as CdpEvent;
    this.events.push(event);
    for (const waiter of this.waiters.filter((w) => w.method === event.method)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(event);
    }
  }

  send<T = Record<string, unknown>>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = this.nextId++;
    this.input.write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    return new Promise((resolve, reject) =>
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }),
    );
  }

  waitFor(method: string): Promise<CdpEvent> {
    return new Promise((resolve) => this.waiters.push({ method, resolve }));
  }
}

interface PageFacts {
  charts: number;
  laidOut: number;
  kinds: Record<string, number>;
  points: number;
  bars: number;
  nonZeroBars: number;
  windows: number;
  lines: number[];
  runPoints: number;
  pctPoints: number;
  runBars: number;
  unfinishedMarks: number;
  /** Data marks of the run-level charts not drawn inside their chart's box. */
  marksOutside: number;
  /** Legend texts whose measured box runs past their chart's right edge, or under another legend item. */
  legendOverflow: string[];
  legendOverlap: string[];
  /** Each adapter (a legend's first word) and the colours its swatches have across the page. */
  legendColours: Record<string, string[]>;
  resources: number;
  linked: number;
  scripts: number;
  pwned: string | null;
  knobValues: string[];
}

const FACTS = `(() => {
  const charts = [...document.querySelectorAll('svg.chart')];
  const bars = [...document.querySelectorAll('svg.chart rect.bar')];
  const kinds = {};
  for (const svg of charts) {
    const kind = [...svg.classList].find((c) => c.startsWith('chart-'));
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  const inside = (el) => {
    const box = el.closest('svg.chart').getBoundingClientRect();
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom;
  };
  const marks = [...document.querySelectorAll('svg.chart .run-point, svg.chart .pct-point, svg.chart .run-bar, svg.chart .unfinished-mark')];
  const legendOverflow = [];
  const legendOverlap = [];
  const legendColours = {};
  for (const svg of charts) {
    const width = svg.viewBox.baseVal.width;
    const items = [...svg.querySelectorAll('g.legend')].map((g) => ({ g, box: g.getBBox(), text: g.querySelector('text').textContent }));
    for (const { box, text } of items) if (box.x + box.width > width || box.x < 0) legendOverflow.push(text);
    for (let i = 0; i < items.length; i++)
      for (let j = i + 1; j < items.length; j++) {
        const a = items[i].box, b = items[j].box;
        if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height)
          legendOverlap.push(items[i].text + ' / ' + items[j].text);
      }
    if (svg.classList.contains('chart-bar') && svg.querySelector('title').textContent.includes('lost runs')) continue;
    for (const { g, text } of items) {
      const adapter = text.split(' ')[0];
      const colour = g.querySelector('rect').getAttribute('fill');
      legendColours[adapter] = [...new Set([...(legendColours[adapter] ?? []), colour])];
    }
  }
  return {
    charts: charts.length,
    laidOut: charts.filter((svg) => { const r = svg.getBoundingClientRect(); return r.width > 300 && r.height > 100; }).length,
    kinds,
    points: document.querySelectorAll('svg.chart circle.point').length,
    bars: bars.length,
    nonZeroBars: bars.filter((b) => b.getBBox().height > 1).length,
    windows: document.querySelectorAll('svg.chart rect.fault-window').length,
    lines: [...document.querySelectorAll('svg.chart polyline')].map((p) => p.getTotalLength()),
    runPoints: document.querySelectorAll('svg.chart circle.run-point').length,
    pctPoints: document.querySelectorAll('svg.chart circle.pct-point').length,
    runBars: document.querySelectorAll('svg.chart rect.run-bar').length,
    unfinishedMarks: document.querySelectorAll('svg.chart path.unfinished-mark').length,
    marksOutside: marks.filter((m) => !inside(m)).length,
    legendOverflow,
    legendOverlap,
    legendColours,
    resources: performance.getEntriesByType('resource').length,
    // In-page anchors (the glance's links to its sections, href="#...") load nothing.
    linked: document.querySelectorAll(
      '[src], [href]:not([href^="#"]), [*|href]:not([href^="#"]), link, iframe, object, embed, image, use, foreignObject',
    ).length,
    scripts: document.scripts.length,
    pwned: document.documentElement.getAttribute('data-pwned'),
    knobValues: [...document.querySelectorAll('td.knob-value')].map((td) => td.textContent),
  };
})()`;

/** Adapter names for the many-adapters page, some long, as a real comparison would have. */
const MANY = [
  'bullmq',
  'temporal',
  'celery-with-redis-broker',
  'temporal-python-sdk',
  'restate-self-hosted',
  'inngest',
  'dbos-transact',
];

/** The fixture with each cell copied for seven adapters (alternating bullmq's and temporal's history). */
function manyAdapters(results: Results, rows: RunRow[]): { results: Results; rows: RunRow[] } {
  const cells = MANY.flatMap((name, i) =>
    results.cells
      .filter((c) => c.adapter === (i % 2 === 0 ? 'bullmq' : 'temporal'))
      .map((c) => ({
        ...structuredClone(c),
        adapter: name,
        id: `${c.scenario}/${name}/${c.fault}`,
        source: c.id,
      })),
  );
  return {
    results: { ...results, cells: cells.map(({ source: _, ...c }) => c) },
    rows: cells.flatMap((c) => rows.filter((r) => r.cell === c.source).map((r) => ({ ...r, cell: c.id }))),
  };
}

describe.skipIf(!available)('report.html in headless Chromium', () => {
  let chromium: ChildProcess;
  let cdp: Cdp;
  let facts: PageFacts;
  let many: PageFacts;
  let screenshot: string;
  let manyResults: Results;
  const profile = mkdtempSync(join(tmpdir(), 'faultline-chromium-'));
  const results = loadResults();
  const groups = new Set(results.cells.map((c) => `${c.scenario} × ${c.fault}`)).size;
  const sum = (f: (c: Results['cells'][number]) => number, cells = results.cells) =>
    cells.reduce((total, c) => total + f(c), 0);

  beforeAll(async () => {
    for (const cell of results.cells) if (cell.adapter === 'bullmq') cell.knobs.payload = DOM_PAYLOAD;
    const runDir = tempRunDir();
    const { files } = await writeReports(runDir, results);
    const copies = manyAdapters(loadResults(), await collectRunRows(readEvents(FIXTURE_HISTORY)));
    manyResults = copies.results;
    const manyPage = join(runDir, 'many-adapters.html');
    writeFileSync(manyPage, renderHtml(copies.results, { runs: copies.rows }));
    chromium = spawn(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        '--remote-debugging-pipe',
        '--window-size=1400,1000',
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
    );
    cdp = new Cdp(chromium.stdio[3] as Writable, chromium.stdio[4] as Readable);
    const { targetInfos } = await cdp.send<{ targetInfos: { targetId: string; type: string }[] }>(
      'Target.getTargets',
    );
    const page = targetInfos.find((t) => t.type === 'page')!;
    const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', {
      targetId: page.targetId,
      flatten: true,
    });
    for (const domain of ['Page', 'Runtime', 'Log']) await cdp.send(`${domain}.enable`, {}, sessionId);
    const open = async (file: string): Promise<PageFacts> => {
      const loaded = cdp.waitFor('Page.loadEventFired');
      await cdp.send('Page.navigate', { url: pathToFileURL(file).href }, sessionId);
      await loaded;
      const evaluated = await cdp.send<{ result: { value: PageFacts } }>(
        'Runtime.evaluate',
        { expression: FACTS, returnByValue: true },
        sessionId,
      );
      return evaluated.result.value;
    };
    many = await open(manyPage);
    facts = await open(files['report.html']!);
    const shot = await cdp.send<{ data: string }>(
      'Page.captureScreenshot',
      {
        format: 'png',
        captureBeyondViewport: true,
        clip: { x: 0, y: 0, width: 1400, height: 2600, scale: 1 },
      },
      sessionId,
    );
    screenshot = join(runDir, 'report.png');
    writeFileSync(screenshot, Buffer.from(shot.data, 'base64'));
    console.log(`report-html: screenshot at ${screenshot}`);
  });

  afterAll(async () => {
    if (chromium !== undefined && chromium.exitCode === null) {
      const exited = new Promise((resolve) => chromium.once('exit', resolve));
      await cdp.send('Browser.close').catch(() => undefined);
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (chromium.exitCode === null) chromium.kill('SIGKILL');
    }
    rmSync(profile, { recursive: true, force: true });
  });

  it('loads with no console message, exception, log entry or dialog', () => {
    const noisy = cdp.events.filter((e) =>
      [
        'Runtime.consoleAPICalled',
        'Runtime.exceptionThrown',
        'Log.entryAdded',
        'Page.javascriptDialogOpening',
      ].includes(e.method),
    );
    expect(noisy.map((e) => JSON.stringify(e.params).slice(0, 300))).toEqual([]);
  });

  it('lays out every chart with its data points', () => {
    // 1 harm chart + 3 faults × (throughput + latency) + 2 fault groups × recovery, then per
    // group latency over time and percentiles, per cell a timeline.
    const charts = 9 + 2 * groups + results.cells.length;
    expect(facts.charts).toBe(charts);
    expect(facts.laidOut).toBe(charts);
    expect(facts.kinds).toEqual({
      'chart-bar': 6,
      'chart-line': groups,
      'chart-latency-time': groups,
      'chart-percentiles': groups,
      'chart-timeline': results.cells.length,
    });
    expect(facts.points).toBe(sum((c) => c.throughputSeries.length));
    // A throughput line and a percentile line per cell.
    expect(facts.lines).toHaveLength(2 * results.cells.length);
    for (const length of facts.lines) expect(length).toBeGreaterThan(50);
    // Each fault occurrence shaded on its throughput chart, its latency chart and its cell's timeline.
    expect(facts.windows).toBe(3 * sum((c) => c.faults.length));
    expect(facts.bars).toBeGreaterThan(20);
    expect(facts.nonZeroBars).toBeGreaterThan(20);
  });

  it('lays out the run-level charts with a mark per run, inside their charts', () => {
    // No run of the fixture failed: a point per latency sample, a ✕ per run without an outcome.
    expect(facts.runPoints).toBe(sum((c) => c.latencyMs.count));
    expect(facts.unfinishedMarks).toBe(sum((c) => c.runs.lostBy.noOutcome));
    expect(facts.unfinishedMarks).toBeGreaterThan(0);
    expect(facts.pctPoints).toBe(sum((c) => percentileLevels(c.latencyMs.count).length));
    expect(facts.runBars).toBe(sum((c) => c.runs.submitted));
    expect(facts.marksOutside).toBe(0);
  });

  it('loaded nothing: no resource, no src or href, no linked or embedded element', () => {
    expect(facts.resources).toBe(0);
    expect(facts.linked).toBe(0);
    expect(many.resources).toBe(0);
    expect(many.linked).toBe(0);
  });

  it('fits every legend of seven adapters into its chart, one colour per adapter across the page', () => {
    expect(many.charts).toBe(9 + 2 * groups + manyResults.cells.length);
    expect(many.laidOut).toBe(many.charts);
    expect(many.legendOverflow).toEqual([]);
    expect(many.legendOverlap).toEqual([]);
    expect(many.marksOutside).toBe(0);
    expect(Object.keys(many.legendColours).sort()).toEqual(expect.arrayContaining([...MANY].sort()));
    for (const adapter of MANY) expect(many.legendColours[adapter], adapter).toHaveLength(1);
    const colours = MANY.map((a) => many.legendColours[a]![0]);
    expect(new Set(colours).size).toBe(MANY.length);
    expect(facts.legendOverflow).toEqual([]);
    expect(facts.legendOverlap).toEqual([]);
  });

  it('kept the injected strings as text: no script ran', () => {
    expect(facts.scripts).toBe(0);
    expect(facts.pwned).toBeNull();
    expect(facts.knobValues).toContain(HTML_KNOB);
    expect(facts.knobValues).toContain(DOM_PAYLOAD);
  });

  it('took a screenshot', () => {
    expect(existsSync(screenshot)).toBe(true);
  });
});
