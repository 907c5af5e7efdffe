import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeHistory, analyzeHistoryFile } from '../../analysis/analyze.js';
import { checkHistory, MAX_EXAMPLES_PER_KIND } from '../../analysis/checker/index.js';
import type { HistoryEvent, NewEvent } from '../../core/history/events.js';
import { HistoryWriter } from '../../core/history/writer.js';
import { parseScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';
import { HistoryBuilder } from './history-builder.js';

const RAG_STEPS = 9; // ingest, chunk, embed#0..3, llm-extract, persist, notify
const RAG_EFFECTS = 2; // persist, notify

const check = (h: HistoryBuilder, requireCompensationOnFailure = false) =>
  checkHistory(h.events, h.plan, { requireCompensationOnFailure });

describe('checker on golden rag-ingest histories', () => {
  it('passes a clean history with exact counts', () => {
    const h = new HistoryBuilder().run('r1', { at: 0 }).run('r2', { at: 100 }).run('r3', { at: 200 });
    const result = check(h);
    expect(result.verdict).toBe('pass');
    expect(result.runs).toEqual({
      ...{ submitted: 3, completed: 3, failed: 0, lost: 0, warmup: 0, refused: 0 },
      lostBy: { noOutcome: 0, missingEffects: 0, gaveUp: 0 },
      interrupted: 0,
    });
    expect(result.steps).toEqual({ expectedPerRun: RAG_STEPS, completed: 3 * RAG_STEPS });
    expect(result.effects).toEqual({
      expectedPerRun: RAG_EFFECTS,
      applied: 3 * RAG_EFFECTS,
      duplicates: 0,
      deduplicated: 0,
      compensated: 0,
    });
    expect(result.attempts).toEqual({ total: 3 * RAG_STEPS, duplicates: 0, retryAmplification: 1 });
    expect(result.anomalyCounts).toEqual({});
    expect(result.anomalies).toEqual([]);
  });

  it('reports a run with no run-done by the end as lost', () => {
    const h = new HistoryBuilder()
      .run('r1', { at: 0 })
      .submit('r2', { at: 50 })
      .steps('r2', { except: ['notify'] });
    const result = check(h);
    expect(result.verdict).toBe('fail');
    expect(result.runs.lost).toBe(1);
    expect(result.runs.lostBy).toEqual({ noOutcome: 1, missingEffects: 0, gaveUp: 0 });
    expect(result.anomalyCounts).toEqual({ 'lost-run': 1 });
    expect(result.anomalies[0]).toMatchObject({ kind: 'lost-run', runId: 'r2' });
  });

  it('reports a run completed without one of its effects as lost', () => {
    const h = new HistoryBuilder().run('r1', { at: 0 });
    h.submit('r2', { at: 50 }).steps('r2', { except: ['notify'] });
    h.attempt('r2', 'notify').stepDone('r2', 'notify').runDone('r2'); // notify ran but the world never applied it
    const result = check(h);
    expect(result.verdict).toBe('fail');
    // Completed without its effects is lost, and not also completed: the counts add up.
    expect(result.runs).toMatchObject({ submitted: 2, completed: 1, lost: 1 });
    expect(result.runs.lostBy).toEqual({ noOutcome: 0, missingEffects: 1, gaveUp: 0 });
    expect(result.anomalies).toEqual([
      expect.objectContaining({ kind: 'lost-run', runId: 'r2', stepId: 'notify' }),
    ]);
  });

  it('counts an effect applied twice as one duplicate and fails', () => {
    const h = new HistoryBuilder().submit('r1', { at: 0 }).steps('r1').effect('r1', 'persist').runDone('r1');
    const result = check(h);
    expect(result.verdict).toBe('fail');
    expect(result.effects).toMatchObject({ applied: RAG_EFFECTS + 1, duplicates: 1, deduplicated: 0 });
    expect(result.anomalyCounts).toEqual({ 'duplicate-effect': 1 });
    expect(result.anomalies[0]).toMatchObject({ kind: 'duplicate-effect', runId: 'r1', stepId: 'persist' });
  });

  it('passes two effects of which the idempotency key blocked one, counting it deduplicated', () => {
    const h = new HistoryBuilder().submit('r1', { at: 0 }).steps('r1');
    h.effect('r1', 'persist', { deduplicated: true }).runDone('r1');
    const result = check(h);
    expect(result.verdict).toBe('pass');
    expect(result.effects).toMatchObject({ applied: RAG_EFFECTS, duplicates: 0, deduplicated: 1 });
  });

  it('reports a step that started before its dependency finished', () => {
    const h = new HistoryBuilder().submit('r1', { at: 0 });
    h.step('r1', 'ingest').step('r1', 'chunk');
    h.attempt('r1', 'embed#0'); // chunk is done: fine
    h.attempt('r1', 'llm-extract'); // embed#0..3 are not: a step before its dependency
    const result = check(h);
    expect(result.verdict).toBe('fail');
    expect(result.anomalyCounts.ordering).toBe(1);
    expect(result.anomalies).toContainEqual(
      expect.objectContaining({ kind: 'ordering', runId: 'r1', stepId: 'llm-extract' }),
    );
  });

  it('says unknown when nothing was submitted, and when only warm-up runs completed', () => {
    expect(check(new HistoryBuilder()).verdict).toBe('unknown');
    const warmOnly = new HistoryBuilder().run('w1', { at: 0, warmup: true });
    const result = check(warmOnly);
    expect(result.verdict).toBe('unknown');
    expect(result.runs).toEqual({
      ...{ submitted: 1, completed: 1, failed: 0, lost: 0, warmup: 1, refused: 0 },
      lostBy: { noOutcome: 0, missingEffects: 0, gaveUp: 0 },
      interrupted: 0,
    });
  });

  it('counts a failed run as lost when no step of the scenario can fail', () => {
    const h = new HistoryBuilder().run('r1', { at: 0 });
    h.submit('r2', { at: 50 })
      .attempt('r2', 'ingest')
      .stepDone('r2', 'ingest', { outcome: 'transient-error' });
    h.runDone('r2', 'failed');
    const result = check(h);
    expect(result.verdict).toBe('fail');
    // A failure the scenario does not allow is lost, not failed: completed + failed + lost = submitted.
    expect(result.runs).toMatchObject({ submitted: 2, completed: 1, failed: 0, lost: 1 });
    expect(result.runs.lostBy).toEqual({ noOutcome: 0, missingEffects: 0, gaveUp: 1 });
    expect(result.anomalies[0]).toMatchObject({ kind: 'lost-run', runId: 'r2' });
  });

  it('allows failed runs, counted apart, in a scenario whose steps can fail', () => {
    const h = new HistoryBuilder(sagaPlan).run('r1', { at: 0 });
    h.submit('r2', { at: 50 }).step('r2', 'flight').step('r2', 'hotel');
    h.attempt('r2', 'pay').stepDone('r2', 'pay', { outcome: 'permanent-error' }).runDone('r2', 'failed');
    const result = check(h);
    expect(result.verdict).toBe('pass');
    expect(result.runs).toMatchObject({ submitted: 2, completed: 1, failed: 1, lost: 0 });
  });

  it('counts retries as duplicate attempts without failing, with retry amplification', () => {
    const h = new HistoryBuilder().submit('r1', { at: 0 });
    h.attempt('r1', 'ingest').stepDone('r1', 'ingest', { outcome: 'transient-error' });
    h.attempt('r1', 'ingest', { attempt: 2 }).stepDone('r1', 'ingest', { outcome: 'transient-error' });
    h.step('r1', 'ingest'); // third attempt succeeds
    h.steps('r1', { except: ['ingest'] }).runDone('r1');
    const result = check(h);
    expect(result.verdict).toBe('pass');
    // 9 instances attempted, ingest three times: 11 attempts, 2 of them repeats.
    expect(result.attempts).toEqual({ total: 11, duplicates: 2, retryAmplification: 11 / 9 });
    expect(result.anomalyCounts).toEqual({ 'duplicate-attempt': 2 });
  });

  it('reports unexpected outcomes: a changed final status, an unsubmitted run, an unknown step', () => {
    const h = new HistoryBuilder().run('r1', { at: 0 }).runDone('r1', 'failed');
    h.runDone('ghost', 'completed');
    h.submit('r3', { at: 100 }).attempt('r3', 'no-such-step');
    const result = check(h);
    expect(result.verdict).toBe('fail');
    expect(result.anomalyCounts['unexpected-outcome']).toBe(3);
    expect(result.runs.completed).toBe(1); // the first outcome stands
    const runIds = result.anomalies.filter((a) => a.kind === 'unexpected-outcome').map((a) => a.runId);
    expect(runIds.sort()).toEqual(['ghost', 'r1', 'r3']);
  });

  it(`counts every anomaly but keeps at most ${MAX_EXAMPLES_PER_KIND} examples per kind`, () => {
    const h = new HistoryBuilder();
    for (let i = 0; i < 8; i++) h.submit(`lost-${i}`, { at: i });
    const result = check(h);
    expect(result.anomalyCounts['lost-run']).toBe(8);
    expect(result.anomalies).toHaveLength(MAX_EXAMPLES_PER_KIND);
    for (const anomaly of result.anomalies) expect(anomaly.message).toMatch(/^Run lost-\d .*\.$/);
  });
});

/** A small saga: two reservations that must be undone, in reverse, when payment fails. */
const sagaPlan = planRun(
  parseScenario(
    {
      name: 'trip',
      description: 'book a trip',
      steps: [
        { id: 'flight', kind: 'tool', effect: { name: 'f' }, compensation: { name: 'f-undo' } },
        {
          id: 'hotel',
          kind: 'tool',
          dependsOn: ['flight'],
          effect: { name: 'h' },
          compensation: { name: 'h-undo' },
        },
        // Payment can be declined: the saga's runs may legitimately end failed.
        { id: 'pay', kind: 'tool', dependsOn: ['hotel'], effect: { name: 'p' }, failure: { permanent: 0.1 } },
      ],
    },
    'test saga',
  ),
);

/** flight and hotel booked, payment failed permanently; the test writes the compensations. */
const failedTrip = () => {
  const h = new HistoryBuilder(sagaPlan).run('ok', { at: 0 });
  h.submit('t1', { at: 100 }).step('t1', 'flight').step('t1', 'hotel');
  return h.attempt('t1', 'pay').stepDone('t1', 'pay', { outcome: 'permanent-error' });
};

describe('checker on compensations', () => {
  it('passes a failed run whose effects were compensated in reverse order', () => {
    const h = failedTrip().compensate('t1', 'hotel').compensate('t1', 'flight').runDone('t1', 'failed');
    const result = check(h, true);
    expect(result.verdict).toBe('pass');
    expect(result.effects.compensated).toBe(2);
  });

  it('fails a failed run with an effect left uncompensated, only when the rule is on', () => {
    const h = failedTrip().compensate('t1', 'hotel').runDone('t1', 'failed');
    const judged = check(h, true);
    expect(judged.verdict).toBe('fail');
    expect(judged.anomalies).toEqual([
      expect.objectContaining({ kind: 'compensation', runId: 't1', stepId: 'flight' }),
    ]);
    expect(check(h, false).verdict).toBe('pass');
  });

  it('fails a double compensation', () => {
    const h = failedTrip().compensate('t1', 'hotel').compensate('t1', 'hotel').compensate('t1', 'flight');
    const result = check(h.runDone('t1', 'failed'), true);
    expect(result.verdict).toBe('fail');
    expect(result.anomalyCounts).toEqual({ compensation: 1 });
    expect(result.anomalies[0]).toMatchObject({ runId: 't1', stepId: 'hotel' });
  });

  it('fails the compensation of an effect that was never applied, even with the rule off', () => {
    const h = failedTrip().compensate('t1', 'pay').compensate('t1', 'hotel').compensate('t1', 'flight');
    const result = check(h.runDone('t1', 'failed'), false);
    expect(result.verdict).toBe('fail');
    expect(result.anomalies).toEqual([expect.objectContaining({ kind: 'compensation', stepId: 'pay' })]);
  });

  it('fails compensations that do not come in reverse order of the effects', () => {
    const h = failedTrip().compensate('t1', 'flight').compensate('t1', 'hotel').runDone('t1', 'failed');
    const result = check(h, true);
    expect(result.verdict).toBe('fail');
    expect(result.anomalies).toEqual([expect.objectContaining({ kind: 'compensation', stepId: 'hotel' })]);
  });

  it('does not ask rag-ingest to roll back by default', () => {
    const h = new HistoryBuilder().run('r1', { at: 0 });
    h.submit('r2', { at: 100 }).steps('r2', { except: ['notify'] });
    h.attempt('r2', 'notify')
      .stepDone('r2', 'notify', { outcome: 'permanent-error' })
      .runDone('r2', 'failed');
    // persist applied and never undone: no compensation anomaly (the failure itself is lost work).
    expect(check(h).anomalyCounts).toEqual({ 'lost-run': 1 });
  });
});

describe('analyzeHistory', () => {
  it('routes events to their cell, ignores unknown cells and spans each cell by its own events', async () => {
    const a = new HistoryBuilder().run('r1', { at: 10 });
    const b = new HistoryBuilder(a.plan, 'rag-ingest/other-adapter/none').submit('r1', { at: 5 });
    const stranger = new HistoryBuilder(a.plan, 'not/in/matrix').run('x', { at: 0 });
    const events = [...a.events, ...b.events, ...stranger.events].sort((x, y) => x.t - y.t);
    const [cellA, cellB] = await analyzeHistory(events, [
      a.cellMeta(),
      b.cellMeta({ knobs: { attempts: 3 } }),
    ]);
    expect(cellA).toMatchObject({ id: a.cell, adapter: 'test-adapter', verdict: 'pass', startedAt: 10 });
    expect(cellA!.endedAt).toBe(Math.max(...a.events.map((e) => e.t)));
    expect(cellA!.world).toBeUndefined();
    expect(cellB).toMatchObject({
      id: b.cell,
      verdict: 'fail',
      startedAt: 5,
      endedAt: 5,
      knobs: { attempts: 3 },
    });
    expect(cellB!.runs.lost).toBe(1);
  });
});

describe('checker at scale', () => {
  it('checks a million-event history file by streaming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-scale-'));
    try {
      const h = new HistoryBuilder(); // only for its plan and cell
      const path = join(dir, 'history.jsonl');
      const expected = writeMillionEvents(path, h.cell);
      const started = performance.now();
      const [cell] = await analyzeHistoryFile(path, [h.cellMeta()]);
      const elapsedMs = performance.now() - started;
      console.log(
        `checked ${TARGET_EVENTS.toLocaleString('en')} events in ${(elapsedMs / 1000).toFixed(2)} s ` +
          `(heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB)`,
      );
      expect(cell!.runs).toEqual(expected.runs);
      expect(cell!.effects).toMatchObject({ applied: expected.applied, duplicates: expected.duplicates });
      expect(cell!.attempts).toMatchObject({ total: expected.attempts, duplicates: 0 });
      expect(cell!.steps.completed).toBe(expected.stepsCompleted);
      expect(cell!.anomalyCounts).toEqual({
        'lost-run': expected.runs.lost,
        'duplicate-effect': expected.duplicates,
      });
      expect(cell!.verdict).toBe('fail');
      expect(cell!.latencyMs.count).toBe(expected.runs.completed - expected.runs.warmup);
      expect(cell!.faults).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const TARGET_EVENTS = 1_000_000;

/**
 * Writes exactly TARGET_EVENTS events with the history writer: clean rag-ingest
 * runs one after another, the first 100 of them warm-up, every 1000th with its
 * notify effect applied twice, every 2500th without a run-done (lost), a fault
 * in the middle, and padding in a cell the analysis does not know (ignored).
 * Returns the counts this history must produce.
 */
function writeMillionEvents(path: string, cell: string) {
  const writer = new HistoryWriter(path);
  const lostBy = { noOutcome: 0, missingEffects: 0, gaveUp: 0 };
  const runs = {
    submitted: 0,
    completed: 0,
    failed: 0,
    lost: 0,
    warmup: 0,
    refused: 0,
    lostBy,
    interrupted: 0,
  };
  const counts = { applied: 0, duplicates: 0, attempts: 0, stepsCompleted: 0 };
  const plan = new HistoryBuilder().plan;
  let written = 0;
  let t = 1_700_000_000_000;
  const write = (event: NewEvent) => {
    writer.write({ ...event, t } as HistoryEvent);
    t += 0.25;
    written++;
  };
  const perRun = 2 + 2 * plan.instances.length + plan.effectSteps.length; // submit, steps, effects, run-done
  for (let i = 0; written + perRun + 1 <= TARGET_EVENTS; i++) {
    const runId = `run-${i}`;
    const warmup = i < 100;
    write({ type: 'submit', cell, runId, intendedAt: t - 1, ...(warmup ? { warmup } : {}) });
    runs.submitted++;
    if (warmup) runs.warmup++;
    for (const { id: stepId, spec } of plan.instances) {
      write({ type: 'attempt', cell, runId, stepId, worker: 'w1', attempt: 1 });
      counts.attempts++;
      if (spec.effect !== undefined) {
        write({ type: 'effect', cell, runId, stepId, key: null, deduplicated: false });
        counts.applied++;
        if (stepId === 'notify' && i % 1000 === 999) {
          write({ type: 'effect', cell, runId, stepId, key: null, deduplicated: false });
          counts.applied++;
          counts.duplicates++;
        }
      }
      write({ type: 'step-done', cell, runId, stepId, worker: 'w1', attempt: 1, outcome: 'ok' });
      counts.stepsCompleted++;
    }
    if (i % 2500 === 1249) {
      runs.lost++;
      lostBy.noOutcome++;
    } else {
      write({ type: 'run-done', cell, runId, status: 'completed' });
      runs.completed++;
    }
    if (i === 20_000)
      write({ type: 'fault-start', cell, faultId: 'kill-1', fault: 'worker-kill', target: 'w1' });
  }
  while (written < TARGET_EVENTS)
    write({ type: 'worker-start', cell: 'other/cell/none', worker: 'w9', pid: 1 });
  writer.close();
  return { runs, ...counts };
}
