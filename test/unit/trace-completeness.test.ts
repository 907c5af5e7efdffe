/**
 * Trace completeness from hand-made histories and span files: what a worker kill does to
 * a run's trace (an attempt cut short, spans that died in the export buffer), a context
 * that did not travel (a split trace), and the span files read back from disk.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTraceCompletenessFold } from '../../analysis/traces/completeness.js';
import { readCellSpans } from '../../analysis/traces/span-files.js';
import type { HistoryEvent } from '../../core/history/events.js';
import { SPAN_ATTRIBUTES, SPAN_ROLES, type SpanRecord } from '../../core/traces.js';

const CELL = 'rag-ingest/bullmq/worker-kill';
let t = 0;
let ids = 0;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

const attempt = (runId: string, stepId: string, attemptNo = 1, worker = 'bullmq-w1'): HistoryEvent => ({
  type: 'attempt',
  cell: CELL,
  runId,
  stepId,
  worker,
  attempt: attemptNo,
  t: ++t,
});
const stepDone = (runId: string, stepId: string, attemptNo = 1, worker = 'bullmq-w1'): HistoryEvent => ({
  type: 'step-done',
  cell: CELL,
  runId,
  stepId,
  worker,
  attempt: attemptNo,
  outcome: 'ok',
  t: ++t,
});
const runDone = (runId: string): HistoryEvent => ({
  type: 'run-done',
  cell: CELL,
  runId,
  status: 'completed',
  t: ++t,
});

function span(traceId: string, role: string, attributes: Record<string, string | number>): SpanRecord {
  return {
    traceId,
    spanId: hex(++ids, 16),
    parentSpanId: null,
    name: role,
    kind: 'internal',
    startMs: t,
    endMs: t,
    status: 'ok',
    service: 'test',
    attributes: { [SPAN_ATTRIBUTES.role]: role, [SPAN_ATTRIBUTES.cell]: CELL, ...attributes },
  };
}
const rootSpan = (traceId: string, runId: string) =>
  span(traceId, SPAN_ROLES.run, { [SPAN_ATTRIBUTES.runId]: runId });
const attemptSpan = (traceId: string, runId: string, stepId: string, attemptNo = 1, worker = 'bullmq-w1') =>
  span(traceId, SPAN_ROLES.attempt, {
    [SPAN_ATTRIBUTES.runId]: runId,
    [SPAN_ATTRIBUTES.stepId]: stepId,
    [SPAN_ATTRIBUTES.attempt]: attemptNo,
    [SPAN_ATTRIBUTES.worker]: worker,
  });
/** A library's own span (BullMQ's process span): no Faultline role, not counted. */
const librarySpan = (traceId: string): SpanRecord => ({ ...span(traceId, 'x', {}), attributes: {} });

function completeness(events: HistoryEvent[], spans: SpanRecord[]) {
  const fold = createTraceCompletenessFold();
  for (const event of events) fold.add(event);
  return fold.result(spans);
}

const TRACE_A = hex(0xa, 32);
const TRACE_B = hex(0xb, 32);
const TRACE_C = hex(0xc, 32);

describe('trace completeness', () => {
  it('a run whose trace holds its root and every attempt span is complete', () => {
    const events = [
      attempt('r1', 'ingest'),
      stepDone('r1', 'ingest'),
      attempt('r1', 'chunk'),
      stepDone('r1', 'chunk'),
      runDone('r1'),
    ];
    const spans = [
      rootSpan(TRACE_A, 'r1'),
      attemptSpan(TRACE_A, 'r1', 'ingest'),
      attemptSpan(TRACE_A, 'r1', 'chunk'),
      librarySpan(TRACE_A),
    ];
    expect(completeness(events, spans)).toEqual({
      runs: 1,
      completeRuns: 1,
      completeness: 1,
      splitRuns: 0,
      attemptSpans: { expected: 2, exported: 2, lostInFlight: 0, lostBuffered: 0 },
    });
  });

  it('a worker kill: the attempt it cut short and the spans its exporter still held are lost', () => {
    // w1 ends `ingest` (its span still buffered), starts `chunk`, is SIGKILLed; w2 redoes
    // `chunk` as attempt 2 and finishes the run. w1's file holds nothing of r1.
    const events = [
      attempt('r1', 'ingest', 1, 'bullmq-w1'),
      stepDone('r1', 'ingest', 1, 'bullmq-w1'),
      attempt('r1', 'chunk', 1, 'bullmq-w1'),
      attempt('r1', 'chunk', 2, 'bullmq-w2'),
      stepDone('r1', 'chunk', 2, 'bullmq-w2'),
      runDone('r1'),
    ];
    const spans = [rootSpan(TRACE_A, 'r1'), attemptSpan(TRACE_A, 'r1', 'chunk', 2, 'bullmq-w2')];
    const result = completeness(events, spans);
    // 3 attempts recorded, 1 exported; chunk#1 never ended (in flight), ingest ended but died buffered.
    expect(result.attemptSpans).toEqual({ expected: 3, exported: 1, lostInFlight: 1, lostBuffered: 1 });
    // The trace misses ingest, which ended: incomplete.
    expect(result).toMatchObject({ runs: 1, completeRuns: 0, completeness: 0 });
  });

  it('only an attempt cut short missing: the trace still shows everything that ended', () => {
    const events = [
      attempt('r1', 'ingest', 1, 'bullmq-w1'),
      attempt('r1', 'ingest', 2, 'bullmq-w2'),
      stepDone('r1', 'ingest', 2, 'bullmq-w2'),
      runDone('r1'),
    ];
    const spans = [rootSpan(TRACE_A, 'r1'), attemptSpan(TRACE_A, 'r1', 'ingest', 2, 'bullmq-w2')];
    expect(completeness(events, spans)).toMatchObject({
      completeRuns: 1,
      attemptSpans: { expected: 2, exported: 1, lostInFlight: 1, lostBuffered: 0 },
    });
  });

  it('spans in another trace than the root (context lost on the way) make a split, incomplete run', () => {
    const events = [
      attempt('r1', 'ingest'),
      stepDone('r1', 'ingest'),
      runDone('r1'),
      attempt('r2', 'ingest'),
      stepDone('r2', 'ingest'),
      runDone('r2'),
    ];
    const spans = [
      rootSpan(TRACE_A, 'r1'),
      attemptSpan(TRACE_B, 'r1', 'ingest'),
      rootSpan(TRACE_C, 'r2'),
      attemptSpan(TRACE_C, 'r2', 'ingest'),
    ];
    expect(completeness(events, spans)).toMatchObject({
      runs: 2,
      completeRuns: 1,
      completeness: 0.5,
      splitRuns: 1,
    });
  });

  it('a run without its root span is not complete; a run still open is not judged', () => {
    const events = [
      attempt('r1', 'ingest'),
      stepDone('r1', 'ingest'),
      runDone('r1'),
      attempt('r2', 'ingest'),
    ];
    const spans = [attemptSpan(TRACE_A, 'r1', 'ingest')];
    expect(completeness(events, spans)).toMatchObject({
      runs: 1,
      completeRuns: 0,
      attemptSpans: { expected: 2, exported: 1, lostInFlight: 1, lostBuffered: 0 },
    });
  });

  it('no finished run: completeness is unknown (null), never 100%', () => {
    expect(completeness([], []).completeness).toBeNull();
  });
});

describe('span files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-spans-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every file by cell, keeps Faultline spans only, and skips a line a SIGKILL cut short', async () => {
    const other = {
      ...rootSpan(TRACE_B, 'r9'),
      attributes: { ...rootSpan(TRACE_B, 'r9').attributes, [SPAN_ATTRIBUTES.cell]: 'x/y/none' },
    };
    const lines = [rootSpan(TRACE_A, 'r1'), librarySpan(TRACE_A), other].map((s) => JSON.stringify(s));
    writeFileSync(join(dir, 'harness.jsonl'), `${lines.join('\n')}\n`);
    const cut = JSON.stringify(attemptSpan(TRACE_A, 'r1', 'chunk')).slice(0, 40);
    writeFileSync(
      join(dir, 'worker-bullmq-w1.jsonl'),
      `${JSON.stringify(attemptSpan(TRACE_A, 'r1', 'ingest'))}\n${cut}`,
    );
    const byCell = await readCellSpans(dir);
    expect([...byCell.keys()].sort()).toEqual([CELL, 'x/y/none'].sort());
    expect(byCell.get(CELL)!.map((s) => s.attributes[SPAN_ATTRIBUTES.role])).toEqual([
      SPAN_ROLES.run,
      SPAN_ROLES.attempt,
    ]);
  });

  it('a run folder without traces/ reads as no spans', async () => {
    expect((await readCellSpans(join(dir, 'missing'))).size).toBe(0);
  });
});
