import { describe, expect, it } from 'vitest';
import { analyzeHistory } from '../../analysis/analyze.js';
import { checkHistory } from '../../analysis/checker/index.js';
import { type HistoryEvent, RUN_LEVEL } from '../../core/history/events.js';
import { plannedRunId } from '../../core/results.js';
import { HistoryBuilder } from './history-builder.js';

/**
 * The four kinds of broken history that once passed the checker, each made by cutting or
 * moving one line of a clean history (as a broken orchestrator would), and interrupted
 * cells: runs cut by a stop of the harness are neither lost nor passed.
 */

const RUNS = 20;
/** A clean cell of RUNS rag-ingest runs, named as the arrival plan names them, 100 ms apart. */
function cleanCell(): HistoryBuilder {
  const h = new HistoryBuilder();
  for (let i = 0; i < RUNS; i++) h.run(plannedRunId(i, RUNS), { at: i * 100 });
  return h;
}

const isStep = (e: HistoryEvent, type: string, runId: string, stepId: string) =>
  e.type === type && 'runId' in e && e.runId === runId && 'stepId' in e && e.stepId === stepId;

async function analyze(events: HistoryEvent[], h: HistoryBuilder, plannedRuns = RUNS) {
  const [cell] = await analyzeHistory(events, [h.cellMeta({ plannedRuns })]);
  return cell!;
}

describe('checker gaps: hand-mutated histories of clean runs', () => {
  it('passes the clean history itself, every planned run accounted for', async () => {
    const h = cleanCell();
    const cell = await analyze(h.events, h);
    expect(cell.verdict).toBe('pass');
    expect(cell.anomalyCounts).toEqual({});
    expect(cell.runs).toMatchObject({ submitted: RUNS, completed: RUNS, lost: 0, interrupted: 0 });
  });

  it('fails an effect recorded after its run was reported completed', async () => {
    const h = cleanCell();
    const run = plannedRunId(4, RUNS);
    const events = h.events.map((e) => {
      // The effect of persist moved to 5 ms after the run's run-done (run 5 ends at 400 + 20).
      if (e.type === 'effect' && isStep(e, 'effect', run, 'persist')) return { ...e, t: 425 };
      return e;
    });
    events.sort((a, b) => a.t - b.t);
    const cell = await analyze(events, h);
    expect(cell.verdict).toBe('fail');
    expect(cell.anomalyCounts).toEqual({ ordering: 1 });
    expect(cell.anomalies[0]).toMatchObject({ kind: 'ordering', runId: run, stepId: 'persist' });
    expect(cell.anomalies[0]!.message).toMatch(/after the run was reported completed/);
  });

  it('fails a completed run whose final step-done is missing', async () => {
    const h = cleanCell();
    const run = plannedRunId(9, RUNS);
    const events = h.events.filter((e) => !isStep(e, 'step-done', run, 'notify'));
    const cell = await analyze(events, h);
    expect(cell.verdict).toBe('fail');
    expect(cell.anomalyCounts).toEqual({ 'unexpected-outcome': 1 });
    expect(cell.anomalies[0]).toMatchObject({ kind: 'unexpected-outcome', runId: run, stepId: 'notify' });
    expect(cell.anomalies[0]!.message).toMatch(/no step-done ok of notify/);
  });

  it('fails a completed run with a missing attempt before an effect', async () => {
    const h = cleanCell();
    const run = plannedRunId(0, RUNS);
    const events = h.events.filter((e) => !isStep(e, 'attempt', run, 'persist'));
    const cell = await analyze(events, h);
    expect(cell.verdict).toBe('fail');
    expect(cell.anomalyCounts).toEqual({ 'unexpected-outcome': 1 });
    expect(cell.anomalies[0]).toMatchObject({ runId: run, stepId: 'persist' });
    expect(cell.anomalies[0]!.message).toMatch(/no attempt of persist/);
  });

  it('fails an effect without an attempt in a run that never completed', () => {
    const h = new HistoryBuilder().submit('r1', { at: 0 }).step('r1', 'ingest').step('r1', 'chunk');
    const events = [
      ...h.events,
      {
        ...h.events[0]!,
        type: 'effect',
        stepId: 'persist',
        key: null,
        deduplicated: false,
        t: 50,
      } as HistoryEvent,
    ];
    const result = checkHistory(events, h.plan);
    expect(result.anomalyCounts).toMatchObject({ ordering: 1 });
    expect(result.anomalies).toContainEqual(
      expect.objectContaining({ kind: 'ordering', runId: 'r1', stepId: 'persist' }),
    );
  });

  it('fails a whole run missing: 19 submits where the plan promised 20', async () => {
    const h = cleanCell();
    const missing = plannedRunId(6, RUNS);
    const events = h.events.filter((e) => !('runId' in e) || e.runId !== missing);
    const cell = await analyze(events, h);
    expect(cell.verdict).toBe('fail');
    expect(cell.runs.submitted).toBe(RUNS - 1);
    expect(cell.anomalyCounts).toEqual({ 'unexpected-outcome': 1 });
    expect(cell.anomalies[0]).toMatchObject({ kind: 'unexpected-outcome', runId: missing });
  });

  it('counts a refused run as accounted for (refused, not missing)', async () => {
    const h = cleanCell();
    const refused = plannedRunId(6, RUNS);
    const events = h.events.filter((e) => !('runId' in e) || e.runId !== refused);
    events.push({
      type: 'submit-refused',
      cell: h.cell,
      runId: refused,
      intendedAt: 600,
      reason: 'down',
      t: 600,
    });
    events.sort((a, b) => a.t - b.t);
    const cell = await analyze(events, h);
    expect(cell.verdict).toBe('pass');
    expect(cell.runs).toMatchObject({ submitted: RUNS - 1, refused: 1 });
  });
});

describe('interrupted cells', () => {
  /** A cell with cell-start, its first 10 runs done and run-011 in flight when the harness stops. */
  function cutCell(end: 'signal' | 'sigkill' | 'ended') {
    const h = new HistoryBuilder();
    for (let i = 0; i < 10; i++) h.run(plannedRunId(i, RUNS), { at: 10 + i * 100 });
    h.submit(plannedRunId(10, RUNS), { at: 1010 }).step(plannedRunId(10, RUNS), 'ingest');
    const events: HistoryEvent[] = [
      {
        type: 'history-start',
        cell: RUN_LEVEL,
        schemaVersion: 2,
        tool: { name: 'faultline', version: '0' },
        t: 0,
      },
      { type: 'cell-start', cell: h.cell, drainTimeoutMs: 1000, workers: ['w1'], t: 1 },
      ...h.events,
    ];
    if (end === 'signal')
      events.push({ type: 'run-interrupted', cell: RUN_LEVEL, signal: 'SIGTERM', t: 1100 });
    if (end === 'ended') events.push({ type: 'cell-end', cell: h.cell, undone: 1, t: 1100 });
    return { h, events };
  }

  it('a stop by signal: the run in flight is interrupted, not lost; the verdict is UNKNOWN, not FAIL', async () => {
    const { h, events } = cutCell('signal');
    const cell = await analyze(events, h);
    expect(cell.verdict).toBe('unknown');
    expect(cell.interrupted).toEqual({ signal: 'SIGTERM', at: 1100 });
    expect(cell.runs).toMatchObject({ submitted: 11, completed: 10, lost: 0, interrupted: 1 });
    expect(cell.anomalyCounts).toEqual({});
  });

  it('a SIGKILLed harness leaves a cell-start with no cell-end: interrupted, signal unknown', async () => {
    const { h, events } = cutCell('sigkill');
    const cell = await analyze(events, h);
    expect(cell.verdict).toBe('unknown');
    expect(cell.interrupted).toEqual({ signal: null, at: events.at(-1)!.t });
    expect(cell.runs).toMatchObject({ lost: 0, interrupted: 1 });
  });

  it('a cell that reached its cell-end judges the run still open as lost', async () => {
    const { h, events } = cutCell('ended');
    const cell = await analyze(events, h);
    expect(cell.interrupted).toBeUndefined();
    expect(cell.verdict).toBe('fail');
    // run-012…020 were never submitted, and run-011 had no outcome by the end.
    expect(cell.runs).toMatchObject({ lost: 1, interrupted: 0 });
    expect(cell.anomalyCounts).toEqual({ 'lost-run': 1, 'unexpected-outcome': 9 });
  });

  it('evidence found before the interrupt still fails the cell', async () => {
    const { h, events } = cutCell('signal');
    const run = plannedRunId(3, RUNS);
    const effect = events.find((e) => isStep(e, 'effect', run, 'persist'))!;
    events.push({ ...effect, t: effect.t + 0.5 });
    events.sort((a, b) => a.t - b.t);
    const cell = await analyze(events, h);
    expect(cell.verdict).toBe('fail');
    expect(cell.anomalyCounts).toEqual({ 'duplicate-effect': 1 });
    expect(cell.interrupted?.signal).toBe('SIGTERM');
  });

  it('a cell the interrupt came before is interrupted too, with nothing submitted', async () => {
    const h = new HistoryBuilder();
    const other = new HistoryBuilder(h.plan, 'rag-ingest/other/none');
    const events: HistoryEvent[] = [{ type: 'run-interrupted', cell: RUN_LEVEL, signal: 'SIGINT', t: 5 }];
    const [first, second] = await analyzeHistory(events, [
      h.cellMeta({ plannedRuns: RUNS }),
      other.cellMeta(),
    ]);
    for (const cell of [first!, second!]) {
      expect(cell.interrupted).toEqual({ signal: 'SIGINT', at: 5 });
      expect(cell.verdict).toBe('unknown');
      expect(cell.anomalyCounts).toEqual({});
    }
  });
});
