/**
 * The live view's reading of the history (the same counts the checker makes), its
 * progress lines, and the tail that feeds it from files still being written.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/history/events.js';
import { HistoryTail } from '../../harness/live/history-tail.js';
import { LiveState } from '../../harness/live/live-state.js';
import { cellProgress, clock, plainLine, plainProgress } from '../../harness/live/progress.js';
import { PrometheusMetrics } from '../../harness/live/prometheus.js';

const CELL = 'rag-ingest/bullmq/worker-kill';
/** An event without its cell (each helper adds it). */
type Cellless = HistoryEvent extends infer E ? (E extends HistoryEvent ? Omit<E, 'cell'> : never) : never;

const plan = [{ id: CELL, scenario: 'rag-ingest', adapter: 'bullmq', fault: 'worker-kill', runs: 4 }];

function history(): HistoryEvent[] {
  const e = (event: Cellless) => ({ cell: CELL, ...event }) as HistoryEvent;
  return [
    e({ type: 'cell-start', t: 1000, drainTimeoutMs: 5000, workers: ['bullmq-w1', 'bullmq-w2'] }),
    e({ type: 'worker-start', t: 1001, worker: 'bullmq-w1', pid: 10 }),
    e({ type: 'worker-start', t: 1001, worker: 'bullmq-w2', pid: 11 }),
    e({ type: 'submit', t: 1010, runId: 'r1', intendedAt: 1000 }),
    e({ type: 'submit', t: 1510, runId: 'r2', intendedAt: 1500 }),
    e({ type: 'submit', t: 2010, runId: 'r3', intendedAt: 2000 }),
    e({ type: 'attempt', t: 1020, runId: 'r1', stepId: 'persist', worker: 'bullmq-w1', attempt: 1 }),
    e({ type: 'effect', t: 1030, runId: 'r1', stepId: 'persist', key: null, deduplicated: false }),
    e({
      type: 'fault-start',
      t: 1040,
      faultId: 'f1',
      fault: 'worker-kill',
      target: 'bullmq-w1',
      killed: ['bullmq-w1'],
    }),
    e({ type: 'worker-exit', t: 1041, worker: 'bullmq-w1', pid: 10, signal: 'SIGKILL', code: null }),
    e({ type: 'attempt', t: 2020, runId: 'r1', stepId: 'persist', worker: 'bullmq-w2', attempt: 2 }),
    // The retry applies the effect again: a duplicate. A deduplicated one is no effect at all.
    e({ type: 'effect', t: 2030, runId: 'r1', stepId: 'persist', key: null, deduplicated: false }),
    e({ type: 'effect', t: 2031, runId: 'r2', stepId: 'persist', key: 'k', deduplicated: true }),
    e({ type: 'fault-start', t: 2040, faultId: 'f2', fault: 'network-partition', target: 'broker' }),
    e({ type: 'run-done', t: 3000, runId: 'r1', status: 'completed' }),
    e({ type: 'run-done', t: 3500, runId: 'r2', status: 'failed' }),
  ];
}

describe('live state', () => {
  it('counts what the checker counts: submits, outcomes, applied effects, duplicates, attempts', () => {
    const state = new LiveState(plan);
    const latencies: (number | null)[] = [];
    for (const event of history()) {
      const change = state.apply(event);
      if (change) latencies.push(change.latencySec);
    }
    const cell = state.cells[0]!;
    expect(cell).toMatchObject({
      submitted: 3,
      completed: 1,
      failed: 1,
      effects: 2,
      duplicateEffects: 1,
      attempts: 2,
    });
    // From the intended submit time (no coordinated omission): 3000-1000, 3500-1500.
    expect(latencies).toEqual([2, 2]);
    // The kill is over as it happens; the partition goes on until its fault-end.
    expect([...cell.activeFaults.values()]).toEqual([{ kind: 'network-partition', target: 'broker' }]);
    expect(cell.faultsInjected).toBe(2);
    expect([...cell.workersUp]).toEqual(['bullmq-w2']);
    expect(state.current()?.id).toBe(CELL);
  });

  it('a run-done read before its submit (another file first) still gets its latency', () => {
    const state = new LiveState(plan);
    const [done, submit] = [history()[14]!, history()[3]!];
    expect(state.apply(done)).toBeNull();
    expect(state.apply(submit)?.latencySec).toBe(2);
  });

  it('a worker start older than the exit already seen does not bring the worker back up', () => {
    const state = new LiveState(plan);
    const e = (event: Cellless) => ({ cell: CELL, ...event }) as HistoryEvent;
    state.apply(e({ type: 'worker-exit', t: 50, worker: 'w', pid: 1, signal: 'SIGKILL', code: null }));
    state.apply(e({ type: 'worker-start', t: 40, worker: 'w', pid: 1 }));
    expect(state.cells[0]!.workersUp.has('w')).toBe(false);
    state.apply(e({ type: 'worker-start', t: 60, worker: 'w', pid: 2 }));
    expect(state.cells[0]!.workersUp.has('w')).toBe(true);
  });

  it('cell-end sets the runs the drain gave up on', () => {
    const state = new LiveState(plan);
    for (const event of history()) state.apply(event);
    state.apply({ type: 'cell-end', cell: CELL, t: 9000, undone: 1 });
    expect(state.cells[0]).toMatchObject({ lost: 1, endedAt: 9000 });
    expect(state.current()).toBeUndefined();
  });
});

describe('progress', () => {
  it('a line per cell: done of total, submitted, lost, duplicates, fault, elapsed and what is left', () => {
    const state = new LiveState(plan);
    for (const event of history()) state.apply(event);
    // 2 runs done in 3 s since cell-start; 2 of 4 left: 3 s more at that rate.
    const p = cellProgress(state.cells[0]!, 4000);
    expect(p).toMatchObject({
      done: 2,
      total: 4,
      submitted: 3,
      lost: 0,
      duplicates: 1,
      elapsedSec: 3,
      etaSec: 3,
    });
    expect(p.fault).toBe('network-partition (broker)');
    expect(plainLine(p)).toBe(
      `progress ${CELL}: 2/4 done, 3 submitted, 0 lost, 1 duplicate effects, fault network-partition (broker), 0:03 elapsed, ~0:03 left`,
    );
  });

  it('plain lines at a steady pace, and one as each cell ends', () => {
    const state = new LiveState(plan);
    for (const event of history()) state.apply(event);
    const lines: string[] = [];
    const view = plainProgress((line) => lines.push(line), 10_000);
    view.render(state.cells, 4000);
    view.render(state.cells, 9000); // within 10 s of the last line: nothing
    view.render(state.cells, 14_000);
    expect(lines).toHaveLength(2);
    state.apply({ type: 'cell-end', cell: CELL, t: 15_000, undone: 1 });
    view.render(state.cells, 15_500);
    view.stop(state.cells, 16_000);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('1 lost');
    expect(lines[2]).toMatch(/, ended$/);
  });

  it('clock: minutes and seconds, hours when needed, ? when unknown', () => {
    expect(clock(75)).toBe('1:15');
    expect(clock(3725)).toBe('1:02:05');
    expect(clock(null)).toBe('?');
  });
});

describe('prometheus', () => {
  it('exposes the live counts per cell, the latency histogram and fault and worker state', async () => {
    const state = new LiveState(plan);
    const metrics = new PrometheusMetrics(state);
    for (const event of history()) {
      const change = state.apply(event);
      if (change) metrics.onChange(change);
    }
    const text = await metrics.text();
    const labels = `cell="${CELL}",scenario="rag-ingest",adapter="bullmq",fault="worker-kill"`;
    expect(text).toContain(`faultline_runs_submitted_total{${labels}} 3`);
    expect(text).toContain(`faultline_effects_duplicate_total{${labels}} 1`);
    expect(text).toContain(`faultline_step_attempts_total{${labels}} 2`);
    expect(text).toContain(`faultline_run_latency_seconds_count{${labels}} 2`);
    expect(text).toContain(`faultline_run_latency_seconds_bucket{le="2",${labels}} 2`);
    expect(text).toContain(`faultline_fault_active{${labels},kind="network-partition",target="broker"} 1`);
    expect(text).toContain(`faultline_worker_up{${labels},worker="bullmq-w1"} 0`);
    expect(text).toContain(`faultline_worker_up{${labels},worker="bullmq-w2"} 1`);
    // A second scrape reads the same counts (counters are read from the state, not added twice).
    expect(await metrics.text()).toContain(`faultline_runs_submitted_total{${labels}} 3`);
  });
});

describe('history tail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-tail-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads only what was appended, waits for a line still being written, skips unwanted types and files', () => {
    mkdirSync(join(dir, 'history.d'));
    const file = join(dir, 'history.d', 'harness.jsonl');
    const tail = new HistoryTail(join(dir, 'history.d'), ['submit'], (f) => f === 'harness.jsonl');
    const submit = (runId: string) =>
      JSON.stringify({ type: 'submit', cell: CELL, runId, intendedAt: 1, t: 1 });
    appendFileSync(file, `${submit('r1')}\n${JSON.stringify({ type: 'attempt', cell: CELL, t: 2 })}\n`);
    appendFileSync(join(dir, 'history.d', 'worker-x.jsonl'), `${submit('other')}\n`);
    const line = submit('r2');
    appendFileSync(file, line.slice(0, 20));
    expect(tail.read().map((e) => (e as { runId: string }).runId)).toEqual(['r1']);
    appendFileSync(file, `${line.slice(20)}\n`);
    expect(tail.read().map((e) => (e as { runId: string }).runId)).toEqual(['r2']);
    expect(tail.read()).toEqual([]);
  });
});
