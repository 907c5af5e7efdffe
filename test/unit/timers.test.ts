/**
 * Timer fire-time drift, timers lost and fired twice (#15), from hand-made histories of
 * scheduled-followup: triage → notify-requester → wait-follow-up (timer, 3000 ms) →
 * check-status → remind-approver. Every expected number is derived from the events written.
 */
import { describe, expect, it } from 'vitest';
import { analyzeHistory } from '../../analysis/analyze.js';
import { decodeLatencies } from '../../analysis/metrics/latency.js';
import { poolCells } from '../../analysis/pool.js';
import type { CellResult } from '../../core/results.js';
import { loadScenario, parseScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';
import { HistoryBuilder } from './history-builder.js';

const scenario = loadScenario('scheduled-followup');
const plan = planRun(scenario);
const TIMER = 'wait-follow-up';
const DELAY = scenario.steps.find((s) => s.id === TIMER)!.delayMs!;

async function analyze(h: HistoryBuilder): Promise<CellResult> {
  const [cell] = await analyzeHistory(h.events, [h.cellMeta()]);
  return cell!;
}

/** A whole run whose timer fires `lateMs` after its moment; notify-requester finishes at `at + 5`. */
function runWithTimer(
  h: HistoryBuilder,
  runId: string,
  at: number,
  lateMs: number,
  opts: { warmup?: boolean } = {},
) {
  h.submit(runId, { at, ...opts })
    .step(runId, 'triage')
    .step(runId, 'notify-requester');
  const notifiedAt = at + 5; // submit, attempt, stepDone of triage, attempt, effect, stepDone: the last at +5
  h.timerFired(runId, TIMER, { at: notifiedAt + DELAY + lateMs, intendedAt: notifiedAt + DELAY });
  h.step(runId, 'check-status').step(runId, 'remind-approver').runDone(runId);
  return notifiedAt;
}

describe('timer fire-time drift', () => {
  it('is the first firing minus the last dependency done plus the delay, per timer', async () => {
    const h = new HistoryBuilder(plan);
    runWithTimer(h, 'r1', 0, 12);
    runWithTimer(h, 'r2', 10_000, 40);
    runWithTimer(h, 'r3', 20_000, 7);
    const { timers, runs } = await analyze(h);
    expect(runs.completed).toBe(3);
    expect(timers).toMatchObject({ due: 3, fired: 3, lost: 0, firedTwice: 0, early: 0 });
    expect(timers!.driftMs.count).toBe(3);
    expect(timers!.driftMs.max).toBe(40);
    expect(timers!.driftMs.p50).toBe(12);
    // HdrHistogram keeps 3 significant digits.
    expect(decodeLatencies([timers!.driftHistogram]).map(([v]) => Math.round(v))).toEqual([7, 12, 40]);
  });

  it('counts from the history, not from the moment the orchestrator believed it set the timer', async () => {
    const h = new HistoryBuilder(plan);
    h.submit('r1', { at: 0 }).step('r1', 'triage').step('r1', 'notify-requester', { at: 100 });
    // notify-requester at 100: attempt 100, effect 101, step-done 102. The orchestrator set the
    // timer 500 ms after the step finished and fired it on its own time.
    h.timerFired('r1', TIMER, { at: 102 + 500 + DELAY, intendedAt: 102 + 500 + DELAY });
    const { timers } = await analyze(h);
    expect(timers!.driftMs.max).toBe(500);
  });

  it('leaves warm-up runs out of the drift but counts their timers', async () => {
    const h = new HistoryBuilder(plan);
    runWithTimer(h, 'r1', 0, 900, { warmup: true });
    runWithTimer(h, 'r2', 10_000, 30);
    const { timers } = await analyze(h);
    expect(timers).toMatchObject({ due: 2, fired: 2 });
    expect(timers!.driftMs.count).toBe(1);
    expect(timers!.driftMs.max).toBe(30);
  });

  it('counts an early firing, recording it as no drift', async () => {
    const h = new HistoryBuilder(plan);
    runWithTimer(h, 'r1', 0, -20);
    const { timers } = await analyze(h);
    expect(timers).toMatchObject({ early: 1, fired: 1 });
    expect(timers!.driftMs.max).toBe(0);
  });
});

describe('timers lost and fired twice', () => {
  it('counts a timer fired twice once, and its drift from the first firing', async () => {
    const h = new HistoryBuilder(plan);
    const notifiedAt = runWithTimer(h, 'r1', 0, 15);
    // A redelivered countdown: the same timer fires again a second later.
    h.timerFired('r1', TIMER, { at: notifiedAt + DELAY + 1015, attempt: 2 });
    const { timers, attempts } = await analyze(h);
    expect(timers).toMatchObject({ due: 1, fired: 1, firedTwice: 1, lost: 0 });
    expect(timers!.driftMs.max).toBe(15);
    expect(attempts.duplicates).toBe(1); // the checker sees the second firing as a second attempt
  });

  it('counts a due timer that never fired as lost, unless its run failed', async () => {
    const h = new HistoryBuilder(plan);
    // r1: its timer was due (notify done), never fired, the run has no outcome: lost.
    h.submit('r1', { at: 0 }).step('r1', 'triage').step('r1', 'notify-requester');
    // r2: the same, but the run ended failed: a failed run may drop its timers.
    h.submit('r2', { at: 100 }).step('r2', 'triage').step('r2', 'notify-requester').runDone('r2', 'failed');
    // r3: its timer was never set (triage never finished): not due, not lost.
    h.submit('r3', { at: 200 }).attempt('r3', 'triage');
    const { timers } = await analyze(h);
    expect(timers).toMatchObject({ due: 2, fired: 0, lost: 1, firedTwice: 0 });
    expect(timers!.driftMs.count).toBe(0);
    expect(timers!.driftHistogram).toBeNull();
  });

  it('times a first-step timer from its run’s intended submit', async () => {
    const wait = parseScenario(
      {
        name: 'wait-first',
        description: 'a timer, then a step',
        steps: [
          { id: 'wait', kind: 'timer', delayMs: 1000 },
          { id: 'act', kind: 'compute', dependsOn: ['wait'] },
        ],
      },
      'test',
    );
    const h = new HistoryBuilder(planRun(wait));
    h.submit('r1', { at: 50, intendedAt: 40 })
      .timerFired('r1', 'wait', { at: 1065 })
      .step('r1', 'act')
      .runDone('r1');
    const { timers } = await analyze(h);
    expect(timers!.driftMs.max).toBe(1065 - (40 + 1000));
  });

  it('is absent for a scenario without a timer step', async () => {
    const h = new HistoryBuilder();
    h.run('r1', { at: 0 });
    expect((await analyze(h)).timers).toBeUndefined();
  });

  it('pools repeats: counts add up and the drift distributions merge', async () => {
    const a = new HistoryBuilder(plan);
    runWithTimer(a, 'r1', 0, 10);
    const b = new HistoryBuilder(plan);
    runWithTimer(b, 'r1', 0, 30);
    b.submit('r2', { at: 9000 }).step('r2', 'triage').step('r2', 'notify-requester');
    const pooled = poolCells([await analyze(a), { ...(await analyze(b)), id: `${b.cell}@2` }]);
    expect(pooled.timers).toMatchObject({ due: 3, fired: 2, lost: 1 });
    expect(decodeLatencies([pooled.timers!.driftHistogram]).map(([v]) => Math.round(v))).toEqual([10, 30]);
  });
});

describe('a timer step in the scenario model', () => {
  const timer = (step: Record<string, unknown>) => () =>
    parseScenario({ name: 'x', description: 'x', steps: [{ id: 't', kind: 'timer', ...step }] }, 'test');

  it('needs its delay and does nothing but wait', () => {
    expect(timer({})).toThrow(/steps\[0\]\.delayMs: a timer step needs delayMs/);
    expect(timer({ delayMs: 10, work: { dist: 'constant', ms: 5 } })).toThrow(/a timer step does no work/);
    expect(timer({ delayMs: 10, effect: { name: 'e' } })).toThrow(
      /a timer step only waits: it has no effect/,
    );
    expect(timer({ delayMs: 10 })().steps[0]!.delayMs).toBe(10);
  });

  it('refuses a delay on any other kind of step', () => {
    expect(() =>
      parseScenario({ name: 'x', description: 'x', steps: [{ id: 's', kind: 'tool', delayMs: 5 }] }, 'test'),
    ).toThrow(/only a timer step has a delay; this is a tool step/);
  });
});
