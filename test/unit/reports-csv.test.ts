import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEvents } from '../../core/history/reader.js';
import {
  collectRunRows,
  FAULT_COLUMNS,
  faultsCsv,
  RUN_COLUMNS,
  SUMMARY_COLUMNS,
  summaryCsv,
  writeRunsCsv,
} from '../../reports/csv.js';
import {
  csvRecords,
  FIXTURE_HISTORY,
  HTML_KNOB,
  killOf,
  loadResults,
  tempRunDir,
} from '../fixtures/results-small.js';

describe('summary.csv', () => {
  const results = loadResults();
  const { header, records } = csvRecords(summaryCsv(results));

  it('has a row per cell with the declared columns', () => {
    expect(header).toEqual([...SUMMARY_COLUMNS]);
    expect(records.map((r) => r.cell)).toEqual(results.cells.map((c) => c.id));
  });

  it('carries the key numbers, recovery figures included', () => {
    const wk = records.find((r) => r.cell === 'rag-ingest/bullmq/worker-kill')!;
    const kill = killOf(results, 'bullmq');
    expect(wk).toMatchObject({
      scenario: 'rag-ingest',
      adapter: 'bullmq',
      fault: 'worker-kill',
      verdict: 'fail',
      runsSubmitted: '16',
      runsCompleted: '15',
      runsLost: '1',
      effectsApplied: '31',
      effectsDuplicates: '1',
      latencyP99Ms: '6300',
      faultOccurrences: '1',
      recoveryFirstProgressMaxMs: String(kill.timeToFirstProgressMs),
      recoveryThroughputMaxMs: String(kill.timeToThroughputRecoveryMs),
      governedBy: 'lockDuration=5000',
    });
    expect(Number(wk.throughputPerSec)).toBeCloseTo(results.cells[2]!.throughputPerSec!, 10);
    expect(JSON.parse(wk.anomalies!)).toEqual({
      'duplicate-attempt': 2,
      'duplicate-effect': 1,
      'lost-run': 1,
    });
  });

  it('round-trips user strings through CSV quoting, and writes no value as an empty field', () => {
    const bullmq = records.find((r) => r.cell === 'rag-ingest/bullmq/none')!;
    expect(JSON.parse(bullmq.knobs!).prefix).toBe(HTML_KNOB);
    expect(bullmq.recoveryFirstProgressMaxMs).toBe('');
    expect(bullmq.governedBy).toBe('');
  });
});

describe('faults.csv', () => {
  it('has a row per fault occurrence', () => {
    const { header, records } = csvRecords(faultsCsv(loadResults()));
    expect(header).toEqual([...FAULT_COLUMNS]);
    expect(records.map((r) => `${r.cell} ${r.faultId}`)).toEqual([
      'rag-ingest/bullmq/worker-kill f1',
      'rag-ingest/temporal/worker-kill f1',
      'rag-ingest/bullmq/backend-restart f1',
      'rag-ingest/temporal/backend-restart f1',
    ]);
    const kill = killOf(loadResults(), 'bullmq');
    expect(records[0]).toMatchObject({
      kind: 'kill',
      target: 'bullmq-w0',
      startMs: '2148.75',
      durationMs: '0',
      timeToFirstProgressMs: String(kill.timeToFirstProgressMs),
      affectedRuns: String(kill.affectedRuns),
      governedBy: 'lockDuration=5000',
      params: '{"signal":"SIGKILL"}',
    });
    expect(records[2]).toMatchObject({ kind: 'backend-restart', target: 'redis', durationMs: '2000' });
  });
});

describe('runs.csv', () => {
  const results = loadResults();

  it('streams a row per run from the history, every cell apart', async () => {
    const dir = tempRunDir();
    const written = await writeRunsCsv(FIXTURE_HISTORY, join(dir, 'runs.csv'));
    const { header, records } = csvRecords(readFileSync(join(dir, 'runs.csv'), 'utf8'));
    expect(header).toEqual([...RUN_COLUMNS]);
    expect(written).toBe(96);
    expect(records).toHaveLength(96);
    for (const cell of results.cells) {
      const rows = records.filter((r) => r.cell === cell.id);
      expect(rows).toHaveLength(cell.runs.submitted);
      expect(rows.filter((r) => r.warmup === 'true')).toHaveLength(cell.runs.warmup);
      expect(rows.filter((r) => r.status === 'completed')).toHaveLength(cell.runs.completed);
      expect(rows.filter((r) => r.status === 'failed')).toHaveLength(cell.runs.failed);
      const applied = rows.reduce((sum, r) => sum + Number(r.effectsApplied), 0);
      expect(applied, cell.id).toBe(cell.effects.applied);
      const attempts = rows.reduce((sum, r) => sum + Number(r.attempts), 0);
      expect(attempts, cell.id).toBe(cell.attempts.total);
    }
  });

  it('computes latency from the intended submit time and marks unfinished runs', async () => {
    const rows = await collectRunRows(readEvents(FIXTURE_HISTORY));
    const lost = rows.filter((r) => r.status === 'unfinished');
    expect(lost.map((r) => `${r.cell} ${r.runId}`)).toEqual([
      'rag-ingest/bullmq/worker-kill bullmq-worker-kill-r06',
    ]);
    expect(lost[0]).toMatchObject({ doneAt: null, latencyMs: null });
    const dup = rows.find((r) => r.runId === 'bullmq-worker-kill-r04')!;
    expect(dup.effectsApplied).toBe(3); // persist once, notify twice
    expect(dup.attempts).toBe(10); // 9 steps, notify retried
    for (const r of rows.filter((row) => row.doneAt !== null && !row.warmup)) {
      expect(r.latencyMs).toBeCloseTo(r.doneAt! - r.intendedAt!, 3);
      expect(r.submittedAt!).toBeGreaterThan(r.intendedAt!);
    }
  });

  it('leaves warm-up runs out of latency, as results.json does, and keeps their other fields', async () => {
    const rows = await collectRunRows(readEvents(FIXTURE_HISTORY));
    const warmup = rows.filter((r) => r.warmup);
    expect(warmup).toHaveLength(results.cells.reduce((sum, c) => sum + c.runs.warmup, 0));
    expect(warmup.length).toBeGreaterThan(0);
    for (const r of warmup) {
      expect(r.latencyMs, r.runId).toBeNull();
      expect(r.status, r.runId).toBe('completed');
      expect(r.doneAt! - r.intendedAt!, r.runId).toBeGreaterThan(0);
      expect(r.submittedAt, r.runId).not.toBeNull();
      expect(r.attempts, r.runId).toBeGreaterThan(0);
    }
    // results.json's latency samples are the completed non-warm-up runs: the rows with a latency.
    for (const cell of results.cells) {
      const sampled = rows.filter(
        (r) => r.cell === cell.id && r.status === 'completed' && r.latencyMs !== null,
      );
      expect(sampled, cell.id).toHaveLength(cell.latencyMs.count);
    }
  });
});
