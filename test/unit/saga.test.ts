import { fileURLToPath } from 'node:url';
import { DelayedError, UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { failsForGood } from '../../adapters/bullmq/worker.js';
import { analyzeHistory } from '../../analysis/analyze.js';
import { InputError } from '../../core/errors.js';
import { cellMetasFromConfig } from '../../harness/runner/recompute.js';
import { loadScenario, loadScenarioFile, parseScenario } from '../../scenarios/index.js';
import { compensationOrder, planRun } from '../../scenarios/plan.js';
import { HistoryBuilder } from './history-builder.js';

const TOPOLOGY = {
  name: 'bullmq',
  services: ['redis'],
  links: [{ name: 'broker', fronts: 'redis' }],
  orchestrator: { link: 'broker', service: 'redis' },
  workers: [],
  recovery: { boundMs: 1, governedBy: {} },
};

const approval = planRun(loadScenario('approval-decision'));
const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/scenarios/${name}.json`, import.meta.url));

describe('the saga rule, in one place (RunPlan.rollsBackOnFailure)', () => {
  it('holds for a scenario that declares compensations and can fail, and only then', () => {
    expect(approval.rollsBackOnFailure).toBe(true);
    expect(approval.compensableSteps).toEqual(['reserve-budget', 'notify-reviewer']);
    // A compensation, but no way to fail: never rolls back.
    expect(planRun(loadScenario('rag-ingest')).rollsBackOnFailure).toBe(false);
    // Can fail (a human rejects), but nothing to undo.
    expect(planRun(loadScenarioFile(fixture('approve-publish'))).rollsBackOnFailure).toBe(false);
    expect(planRun(loadScenario('training-orchestration')).rollsBackOnFailure).toBe(false);
  });

  it('is what the run and `faultline report` judge by (cellMetasFromConfig)', () => {
    const metas = cellMetasFromConfig({
      seed: 1,
      scenarios: ['approval-decision', 'rag-ingest'],
      faults: ['none'],
      load: { runs: 1, ratePerSec: 1, workers: 1, drainTimeoutMs: 1, warmupRuns: 0 },
      thresholds: [],
      adapters: [{ name: 'bullmq', knobs: {}, topology: TOPOLOGY }],
      scenarioDefinitions: [loadScenario('approval-decision'), loadScenario('rag-ingest')],
      cells: ['approval-decision', 'rag-ingest'].map((scenario) => ({
        id: `${scenario}/bullmq/none`,
        scenario,
        adapter: 'bullmq',
        fault: 'none',
        drainTimeoutMs: 1,
      })),
    });
    expect(metas.map((m) => [m.scenario, m.requireCompensationOnFailure])).toEqual([
      ['approval-decision', true],
      ['rag-ingest', false],
    ]);
  });

  it('a compensation needs an effect to undo', () => {
    const scenario = {
      name: 'bad',
      description: 'test',
      steps: [{ id: 'a', kind: 'tool', compensation: { name: 'undo' } }],
    };
    expect(() => parseScenario(scenario, 'inline')).toThrow(InputError);
    expect(() => parseScenario(scenario, 'inline')).toThrow(/steps\[0\]\.compensation: .*no effect/);
  });
});

describe('compensation order', () => {
  it('undoes the compensable completed steps, last completed first, each once', () => {
    expect(
      compensationOrder(approval, ['gather-data', 'score', 'reserve-budget', 'notify-reviewer']),
    ).toEqual(['notify-reviewer', 'reserve-budget']);
    // Completion order, not plan order; a repeated completion (a re-run job) counts at its first.
    expect(compensationOrder(approval, ['notify-reviewer', 'reserve-budget', 'notify-reviewer'])).toEqual([
      'reserve-budget',
      'notify-reviewer',
    ]);
    expect(compensationOrder(approval, ['gather-data', 'score'])).toEqual([]);
  });
});

describe('BullMQ: when a step job fails for good (the moment its run is rolled back)', () => {
  const job = (attemptsMade: number, attempts = 3) => ({ attemptsMade, opts: { attempts } });
  it('a rejection or a permanent failure at any attempt, a transient error at the last', () => {
    expect(failsForGood(job(0), new UnrecoverableError('rejected'))).toBe(true);
    expect(failsForGood(job(0), new Error('transient'))).toBe(false);
    expect(failsForGood(job(1), new Error('transient'))).toBe(false);
    expect(failsForGood(job(2), new Error('transient'))).toBe(true);
    expect(failsForGood(job(0, 1), new Error('transient'))).toBe(true);
  });

  it('never for a parked approval job (DelayedError)', () => {
    expect(failsForGood(job(2), new DelayedError())).toBe(false);
  });
});

describe('checker on approval-decision histories (saga rule from the plan)', () => {
  const CELL = 'approval-decision/test-adapter/none';
  /** A run that got as far as the approval, with both compensable effects applied. */
  const upToApproval = (h: HistoryBuilder, runId: string, at: number) =>
    h
      .submit(runId, { at })
      .step(runId, 'gather-data')
      .step(runId, 'score')
      .step(runId, 'reserve-budget')
      .step(runId, 'notify-reviewer')
      .attempt(runId, 'approve');
  const judge = async (h: HistoryBuilder) => (await analyzeHistory(h.events, [h.cellMeta()]))[0]!;

  it('passes a rejected run undone in reverse order beside a completed one', async () => {
    const h = new HistoryBuilder(approval, CELL);
    upToApproval(h, 'ok', 0)
      .stepDone('ok', 'approve')
      .step('ok', 'execute-decision')
      .step('ok', 'publish')
      .runDone('ok');
    upToApproval(h, 'no', 100)
      .stepDone('no', 'approve', { outcome: 'permanent-error' })
      .compensate('no', 'notify-reviewer')
      .compensate('no', 'reserve-budget')
      .runDone('no', 'failed');
    const cell = await judge(h);
    expect(cell.verdict).toBe('pass');
    expect(cell.runs).toMatchObject({ completed: 1, failed: 1, lost: 0 });
    expect(cell.effects.compensated).toBe(2);
  });

  it('fails a rejected run left un-undone, undone in plan order, or undone twice', async () => {
    const left = new HistoryBuilder(approval, CELL);
    upToApproval(left, 'r1', 0)
      .stepDone('r1', 'approve', { outcome: 'permanent-error' })
      .compensate('r1', 'notify-reviewer')
      .runDone('r1', 'failed');
    expect((await judge(left)).anomalyCounts).toEqual({ compensation: 1 });

    const forward = new HistoryBuilder(approval, CELL);
    upToApproval(forward, 'r1', 0)
      .stepDone('r1', 'approve', { outcome: 'permanent-error' })
      .compensate('r1', 'reserve-budget')
      .compensate('r1', 'notify-reviewer')
      .runDone('r1', 'failed');
    expect((await judge(forward)).anomalyCounts).toEqual({ compensation: 1 });

    const twice = new HistoryBuilder(approval, CELL);
    upToApproval(twice, 'r1', 0)
      .stepDone('r1', 'approve', { outcome: 'permanent-error' })
      .compensate('r1', 'notify-reviewer')
      .compensate('r1', 'notify-reviewer')
      .compensate('r1', 'reserve-budget')
      .runDone('r1', 'failed');
    const cell = await judge(twice);
    expect(cell.anomalyCounts).toEqual({ compensation: 1 });
    expect(cell.verdict).toBe('fail');
  });
});
