import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReports } from '../../reports/index.js';
import { HTML_KNOB, loadResults, tempRunDir } from '../fixtures/results-small.js';

/**
 * Opens report.html in a real headless Chromium (Debian's `chromium`; install it
 * with `bash scripts/setup.sh --with-browser`) and drives it over the DevTools
 * protocol on a pipe (--remote-debugging-pipe: NUL-separated JSON on fds 3/4), so
 * no WebSocket and no npm package is needed. Checks that the page loads with no
 * console message, no exception, no log entry (a CSP violation or a blocked load
 * would be one) and no dialog; that the charts are laid out with their data
 * points; and that the injected scripts stayed text.
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
  points: number;
  bars: number;
  nonZeroBars: number;
  windows: number;
  lines: number[];
  scripts: number;
  pwned: string | null;
  knobValues: string[];
}

const FACTS = `(() => {
  const charts = [...document.querySelectorAll('svg.chart')];
  const bars = [...document.querySelectorAll('svg.chart rect.bar')];
  return {
    charts: charts.length,
    laidOut: charts.filter((svg) => { const r = svg.getBoundingClientRect(); return r.width > 300 && r.height > 100; }).length,
    points: document.querySelectorAll('svg.chart circle.point').length,
    bars: bars.length,
    nonZeroBars: bars.filter((b) => b.getBBox().height > 1).length,
    windows: document.querySelectorAll('svg.chart rect.fault-window').length,
    lines: [...document.querySelectorAll('svg.chart polyline')].map((p) => p.getTotalLength()),
    scripts: document.scripts.length,
    pwned: document.documentElement.getAttribute('data-pwned'),
    knobValues: [...document.querySelectorAll('td.knob-value')].map((td) => td.textContent),
  };
})()`;

describe.skipIf(!available)('report.html in headless Chromium', () => {
  let chromium: ChildProcess;
  let cdp: Cdp;
  let facts: PageFacts;
  let screenshot: string;
  const profile = mkdtempSync(join(tmpdir(), 'faultline-chromium-'));
  const results = loadResults();

  beforeAll(async () => {
    for (const cell of results.cells) if (cell.adapter === 'bullmq') cell.knobs.payload = DOM_PAYLOAD;
    const runDir = tempRunDir();
    const { files } = await writeReports(runDir, results);
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
    const loaded = cdp.waitFor('Page.loadEventFired');
    await cdp.send('Page.navigate', { url: pathToFileURL(files['report.html']!).href }, sessionId);
    await loaded;
    const evaluated = await cdp.send<{ result: { value: PageFacts } }>(
      'Runtime.evaluate',
      { expression: FACTS, returnByValue: true },
      sessionId,
    );
    facts = evaluated.result.value;
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
    expect(facts.charts).toBe(9);
    expect(facts.laidOut).toBe(9);
    const buckets = results.cells.reduce((sum, c) => sum + c.throughputSeries.length, 0);
    expect(facts.points).toBe(buckets);
    expect(facts.lines).toHaveLength(6);
    for (const length of facts.lines) expect(length).toBeGreaterThan(50);
    expect(facts.windows).toBe(4);
    expect(facts.bars).toBeGreaterThan(20);
    expect(facts.nonZeroBars).toBeGreaterThan(20);
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
