/**
 * What a team watching a run sees: /metrics scraped while it runs (the counters at the end
 * equal results.json's), and the traces exported over OTLP to a receiver this test runs
 * (one trace per run, holding a span per step attempt from Faultline and one from the
 * orchestrator's own instrumentation, the same spans as in the run folder's span files).
 */

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/history/events.js';
import { SPAN_ATTRIBUTES, SPAN_ROLES, TRACES_DIR } from '../../core/traces.js';
import { type ExperimentRun, runExperiment } from '../../harness/api.js';
import { freePort } from '../../harness/services/ports.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  attributes: Record<string, string | number>;
}

/** An OTLP/HTTP receiver (JSON, as the JavaScript exporter sends it) that keeps every span. */
function otlpReceiver(): { server: Server; spans: OtlpSpan[] } {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const data = JSON.parse(body) as {
          resourceSpans: {
            scopeSpans: {
              spans: {
                traceId: string;
                spanId: string;
                name: string;
                attributes: { key: string; value: { stringValue?: string; intValue?: number | string } }[];
              }[];
            }[];
          }[];
        };
        for (const resource of data.resourceSpans)
          for (const scope of resource.scopeSpans)
            for (const span of scope.spans)
              spans.push({
                traceId: span.traceId,
                spanId: span.spanId,
                name: span.name,
                attributes: Object.fromEntries(
                  span.attributes.map((a) => [a.key, a.value.stringValue ?? Number(a.value.intValue)]),
                ),
              });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return { server, spans };
}

/** `name{labels} value` lines of a Prometheus exposition, for one metric, by cell. */
function metricByCell(text: string, metric: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const match of text.matchAll(new RegExp(`^${metric}\\{cell="([^"]+)"[^}]*\\} (\\S+)$`, 'gm')))
    values.set(match[1]!, Number(match[2]));
  return values;
}

const receiver = otlpReceiver();
const savedEndpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
const scrapes: string[] = [];
let run: ExperimentRun;
const RUNS = 12;

beforeAll(async () => {
  const otlpPort = await freePort();
  await new Promise<void>((resolve) => receiver.server.listen(otlpPort, '127.0.0.1', resolve));
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${otlpPort}`;
  const metricsPort = await freePort();
  let scraping = true;
  const scraper = (async () => {
    while (scraping) {
      try {
        const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        scrapes.push(await res.text());
      } catch {
        // not up yet, or already down
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  })();
  try {
    run = await runExperiment(
      {
        scenarios: ['rag-ingest'],
        adapters: [{ name: 'bullmq' }, { name: 'temporal' }],
        load: { runs: RUNS, ratePerSec: 6, workers: 2 },
        seed: 11,
      },
      { metricsPort },
    );
  } finally {
    scraping = false;
    await scraper;
  }
}, 240_000);

afterAll(async () => {
  if (savedEndpoint === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = savedEndpoint;
  await new Promise((resolve) => receiver.server.close(resolve));
});

const history = () =>
  readFileSync(join(run.outDir, 'history.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as HistoryEvent);

describe('Prometheus /metrics during a run', () => {
  it('was scraped mid-run, and never went backwards', () => {
    const submitted = scrapes.map((text) => metricByCell(text, 'faultline_runs_submitted_total'));
    const midRun = submitted.some((byCell) => [...byCell.values()].some((v) => v > 0 && v < RUNS));
    expect(midRun).toBe(true);
    for (let i = 1; i < submitted.length; i++)
      for (const [cell, value] of submitted[i - 1]!)
        expect(submitted[i]!.get(cell) ?? value).toBeGreaterThanOrEqual(value);
  });

  it('ends with the counts of results.json', () => {
    // metrics.prom is the exposition as the run ended (the server stops with the run).
    const final = readFileSync(join(run.outDir, 'metrics.prom'), 'utf8');
    const last = scrapes.at(-1)!;
    for (const cell of run.results.cells) {
      const expected: [string, number][] = [
        ['faultline_runs_submitted_total', cell.runs.submitted],
        // run-done completed: complete runs and those that turned out to miss an effect.
        ['faultline_runs_completed_total', cell.runs.completed + cell.runs.lostBy.missingEffects],
        ['faultline_runs_lost', cell.runs.lostBy.noOutcome],
        ['faultline_effects_applied_total', cell.effects.applied],
        ['faultline_effects_duplicate_total', cell.effects.duplicates],
        ['faultline_step_attempts_total', cell.attempts.total],
        [
          'faultline_run_latency_seconds_count',
          cell.runs.completed + cell.runs.failed + cell.runs.lostBy.missingEffects,
        ],
      ];
      for (const [metric, value] of expected) {
        expect(metricByCell(final, metric).get(cell.id), `${metric} of ${cell.id}`).toBe(value);
        // What a scraper saw last is at most that.
        expect(metricByCell(last, metric).get(cell.id) ?? 0).toBeLessThanOrEqual(value);
      }
    }
  });
});

describe('OpenTelemetry over OTLP', () => {
  it('one trace per run, with a span per attempt from Faultline and from the orchestrator', () => {
    const spans = receiver.spans;
    const attemptsByRun = new Map<string, number>();
    for (const event of history())
      if (event.type === 'attempt') {
        const key = `${event.cell}|${event.runId}`;
        attemptsByRun.set(key, (attemptsByRun.get(key) ?? 0) + 1);
      }
    const roots = spans.filter((s) => s.attributes[SPAN_ATTRIBUTES.role] === SPAN_ROLES.run);
    expect(roots).toHaveLength(RUNS * run.results.cells.length);
    expect(new Set(roots.map((s) => s.traceId)).size).toBe(roots.length);
    for (const root of roots) {
      const key = `${root.attributes[SPAN_ATTRIBUTES.cell]}|${root.attributes[SPAN_ATTRIBUTES.runId]}`;
      const trace = spans.filter((s) => s.traceId === root.traceId);
      const attempts = trace.filter((s) => s.attributes[SPAN_ATTRIBUTES.role] === SPAN_ROLES.attempt);
      expect(attempts.length, key).toBe(attemptsByRun.get(key));
      // Every Faultline span of the trace belongs to this run: the run id is the correlation id.
      for (const span of trace)
        if (SPAN_ATTRIBUTES.runId in span.attributes)
          expect(span.attributes[SPAN_ATTRIBUTES.runId]).toBe(root.attributes[SPAN_ATTRIBUTES.runId]);
      // The orchestrator's own instrumentation: a job processed (BullMQ), an activity run (Temporal).
      const library = String(root.attributes[SPAN_ATTRIBUTES.cell]).includes('/bullmq/')
        ? trace.filter((s) => s.name.startsWith('process '))
        : trace.filter((s) => s.name === 'RunActivity:executeStep');
      expect(library.length, key).toBe(attemptsByRun.get(key));
    }
  });

  it('exports the same spans to OTLP and to the run folder, and every trace is complete', () => {
    const fileSpanIds = new Set<string>();
    for (const file of ['harness.jsonl', 'worker-bullmq-w1.jsonl', 'worker-temporal-w1.jsonl'])
      for (const line of readFileSync(join(run.outDir, TRACES_DIR, file), 'utf8')
        .trim()
        .split('\n'))
        fileSpanIds.add((JSON.parse(line) as { spanId: string }).spanId);
    const otlpIds = new Set(receiver.spans.map((s) => s.spanId));
    for (const id of fileSpanIds) expect(otlpIds.has(id)).toBe(true);
    for (const cell of run.results.cells)
      expect(cell.traces).toEqual({
        runs: RUNS,
        completeRuns: RUNS,
        completeness: 1,
        splitRuns: 0,
        attemptSpans: {
          expected: cell.attempts.total,
          exported: cell.attempts.total,
          lostInFlight: 0,
          lostBuffered: 0,
        },
      });
  });
});
