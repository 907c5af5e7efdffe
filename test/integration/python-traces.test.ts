/**
 * Traces from Python workers, made by each orchestrator's own instrumentation: Celery's
 * (opentelemetry-instrumentation-celery, in the submitter and in every process running
 * tasks) and Temporal's Python SDK (temporalio.contrib.opentelemetry.TracingInterceptor),
 * also behind a TypeScript workflow (temporal-polyglot). Real Redis, a real Temporal dev
 * server and real worker processes, no fault: every run that finished must have one trace,
 * rooted at the harness's run span, holding a span for each attempt the history records,
 * each a child of the orchestrator's span, every span's parent in the run folder's span
 * files. Expected counts come from the history, never from results.json, which must agree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/history/events.js';
import type { Results } from '../../core/results.js';
import { SPAN_ATTRIBUTES, SPAN_ROLES, type SpanRecord, TRACES_DIR } from '../../core/traces.js';
import { managedProcesses } from '../../harness/processes.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';
import { FAST_CELERY_KNOBS } from '../helpers/celery.js';
import { readRunHistory } from '../helpers/history.js';
import { runForTest } from '../helpers/run.js';

/** temporal's schema (both Temporal adapters share it), with short retries. */
const TEMPORAL = {
  startToCloseTimeout: 3000,
  heartbeatTimeout: 1000,
  retry: { initialInterval: 200, backoffCoefficient: 2, maximumInterval: 2000, maximumAttempts: 0 },
};
const RUNS = 6;
const LOAD = { runs: RUNS, ratePerSec: 6, workers: 2, warmupRuns: 0, drainTimeoutMs: 30_000 };

/** The span that the orchestrator's instrumentation wraps each attempt in, by adapter. */
const ORCHESTRATOR_SPAN: Record<string, RegExp> = {
  celery: /^run\/faultline\.(step|approval)$/,
  'temporal-python': /^RunActivity:(executeStep|requestApproval)$/,
  'temporal-polyglot': /^RunActivity:(executeStep|requestApproval)$/,
};

interface TracedRun {
  results: Results;
  events: HistoryEvent[];
  spans: SpanRecord[];
}

async function tracedRun(input: Parameters<typeof runForTest>[0]): Promise<TracedRun> {
  const { results, outDir } = await runForTest({ ...input, traces: true });
  const events = readRunHistory(outDir);
  const spans: SpanRecord[] = [];
  for (const file of readdirSync(join(outDir, TRACES_DIR)))
    for (const line of readFileSync(join(outDir, TRACES_DIR, file), 'utf8').split('\n'))
      if (line.trim()) spans.push(JSON.parse(line) as SpanRecord);
  return { results, events, spans };
}

const attr = (span: SpanRecord, key: keyof typeof SPAN_ATTRIBUTES) => span.attributes[SPAN_ATTRIBUTES[key]];

/**
 * Every finished run of every cell: one trace, its root the harness's run span; in it, a
 * span for each attempt the history records of the run (approvals' requests included),
 * each a child of the orchestrator's own span; every span of the trace reaches the root by
 * parents found in the span files. And results.json's trace completeness says the same.
 */
function expectCompleteTraces({ results, events, spans }: TracedRun): void {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const byTrace = new Map<string, SpanRecord[]>();
  for (const span of spans) byTrace.set(span.traceId, [...(byTrace.get(span.traceId) ?? []), span]);
  for (const cell of results.cells) {
    const ofCell = events.filter((e) => e.cell === cell.id);
    const finished = ofCell.filter((e) => e.type === 'run-done').map((e) => e.runId);
    const submitted = ofCell.filter((e) => e.type === 'submit').map((e) => e.runId);
    // A submission Temporal refused (a dev server busy starting) is a root span alone.
    const refused = ofCell.filter((e) => e.type === 'submit-refused').length;
    expect(finished.length, cell.id).toBe(submitted.length);
    expect(finished.length, cell.id).toBeGreaterThan(0);
    const faultline = spans.filter((s) => attr(s, 'cell') === cell.id);
    // One trace per run: as many traces as runs, each run's spans in exactly one.
    expect(new Set(faultline.map((s) => s.traceId)).size, cell.id).toBe(submitted.length + refused);
    for (const runId of finished) {
      const where = `${cell.id} ${runId}`;
      const ofRun = faultline.filter((s) => attr(s, 'runId') === runId);
      const roots = ofRun.filter((s) => attr(s, 'role') === SPAN_ROLES.run);
      expect(roots, where).toHaveLength(1);
      const root = roots[0]!;
      expect(root.parentSpanId, where).toBeNull();
      expect(new Set(ofRun.map((s) => s.traceId)), where).toEqual(new Set([root.traceId]));
      // A span per recorded attempt, by step and attempt number (a Celery approval's re-checks
      // are no attempts: the runtime records its request once).
      const attempts = ofCell
        .filter((e) => e.type === 'attempt' && e.runId === runId)
        .map((e) => (e.type === 'attempt' ? `${e.stepId}#${e.attempt}` : ''));
      const attemptSpans = ofRun.filter(
        (s) => attr(s, 'role') === SPAN_ROLES.attempt || attr(s, 'role') === SPAN_ROLES.approval,
      );
      expect(attemptSpans.map((s) => `${attr(s, 'stepId')}#${attr(s, 'attempt')}`).sort(), where).toEqual(
        attempts.sort(),
      );
      // Each a child of the span the orchestrator's instrumentation made, in the same process.
      for (const span of attemptSpans) {
        const parent = byId.get(span.parentSpanId ?? '');
        expect(parent?.name, `${where} ${span.name}`).toMatch(ORCHESTRATOR_SPAN[cell.adapter]!);
        expect(parent?.service, `${where} ${span.name}`).toBe(span.service);
      }
      // The tree is whole: every span of the trace (the libraries' too) reaches the root.
      for (const span of byTrace.get(root.traceId)!) {
        let at: SpanRecord | undefined = span;
        for (let hops = 0; at && at !== root && hops < 1000; hops++) at = byId.get(at.parentSpanId ?? '');
        expect(at, `${where}: ${span.name} (${span.service}) does not reach the root`).toBe(root);
      }
    }
    const attemptEvents = ofCell.filter((e) => e.type === 'attempt').length;
    expect(cell.traces, cell.id).toEqual({
      runs: finished.length,
      completeRuns: finished.length,
      completeness: 1,
      splitRuns: 0,
      attemptSpans: { expected: attemptEvents, exported: attemptEvents, lostInFlight: 0, lostBuffered: 0 },
    });
  }
}

afterAll(() => {
  expect(managedProcesses()).toEqual([]);
});

describe("traces from Python workers, by each orchestrator's own instrumentation", () => {
  it('Celery (prefork), Temporal-Python and the polyglot pipeline: every finished run is one complete trace', async () => {
    const run = await tracedRun({
      seed: 16,
      scenarios: ['rag-ingest', 'approval-decision'],
      adapters: [
        { name: 'celery', knobs: FAST_CELERY_KNOBS },
        { name: 'temporal-python', knobs: TEMPORAL },
        { name: 'temporal-polyglot', knobs: TEMPORAL },
      ],
      load: LOAD,
      approver: { delayMs: 100, rejectRate: 0.3 },
    });
    expectCompleteTraces(run);
    // The rejected runs were rolled back: a span per compensation the world recorded (in
    // the run's trace, which expectCompleteTraces checked for every Faultline span).
    const compensated = run.events.filter((e) => e.type === 'compensate');
    expect(compensated.length).toBeGreaterThan(0);
    for (const cell of run.results.cells) {
      // Seed 16's approver rejects runs in every approval-decision cell, whose saga rolls them
      // back; rag-ingest has no saga.
      const inCell = compensated.filter((e) => e.cell === cell.id).length;
      expect(inCell > 0, cell.id).toBe(planRun(loadScenario(cell.scenario)).rollsBackOnFailure);
      expect(
        run.spans.filter((s) => attr(s, 'role') === SPAN_ROLES.compensation && attr(s, 'cell') === cell.id),
        cell.id,
      ).toHaveLength(inCell);
    }
    // Celery's submitter published each run inside its root span: one publish span a run,
    // a child of the root, in a span file of the submitter's own.
    const roots = new Map(
      run.spans.filter((s) => attr(s, 'role') === SPAN_ROLES.run).map((s) => [s.spanId, s] as const),
    );
    for (const cell of run.results.cells.filter((c) => c.adapter === 'celery')) {
      const published = run.spans.filter(
        (s) => s.service === 'faultline-celery-submitter' && attr(s, 'cell') === undefined,
      );
      const ofCell = published.filter((s) => {
        const root = roots.get(s.parentSpanId ?? '');
        return root !== undefined && attr(root, 'cell') === cell.id;
      });
      expect(ofCell.map((s) => s.name).sort()).toEqual(
        Array.from({ length: cell.runs.submitted }, () => 'apply_async/faultline.step'),
      );
    }
  }, 300_000);

  it("Celery's thread pool: one process traces every task", async () => {
    expectCompleteTraces(
      await tracedRun({
        seed: 17,
        scenarios: ['rag-ingest'],
        adapters: [{ name: 'celery', knobs: { ...FAST_CELERY_KNOBS, pool: 'threads' } }],
        load: LOAD,
      }),
    );
  }, 300_000);
});
