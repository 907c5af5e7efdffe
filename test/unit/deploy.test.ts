/**
 * Version drift (#15): the changed scenario versions a deploy brings, the deploy fault's
 * plan, and what the runs in flight did, classified from hand-made histories alone.
 */
import { describe, expect, it } from 'vitest';
import { analyzeHistory, type CellMeta } from '../../analysis/analyze.js';
import type { PlanVersion } from '../../analysis/metrics/deploy.js';
import { poolCells } from '../../analysis/pool.js';
import { parseSchedule, planFaults } from '../../chaos/schedule.js';
import type { CellResult } from '../../core/results.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun, unionPlan } from '../../scenarios/plan.js';
import { changedScenario, DEPLOY_CHANGES, versionChange } from '../../scenarios/versions.js';
import { HistoryBuilder } from './history-builder.js';

const v1 = loadScenario('scheduled-followup');
const ids = (s: typeof v1) => s.steps.map((step) => `${step.id}<${step.dependsOn.join('+')}`);

describe('a deploy’s new scenario version', () => {
  it('changes, by default, the first step with an effect that another step precedes', () => {
    expect(versionChange(v1, 'rename-step')).toEqual({
      change: 'rename-step',
      step: 'notify-requester',
      newStep: 'notify-requester-v2',
    });
  });

  it('renames a step and what depends on it', () => {
    const v2 = changedScenario(v1, versionChange(v1, 'rename-step'));
    expect(ids(v2)).toEqual([
      'triage<',
      'notify-requester-v2<triage',
      'wait-follow-up<notify-requester-v2',
      'check-status<wait-follow-up',
      'remind-approver<check-status',
    ]);
    expect(v2.steps[1]!.effect).toEqual(v1.steps[1]!.effect);
  });

  it('adds a step after one, and moves its dependents behind the new step', () => {
    const v2 = changedScenario(v1, versionChange(v1, 'add-step'));
    expect(ids(v2).slice(1, 4)).toEqual([
      'notify-requester<triage',
      'notify-requester-audit<notify-requester',
      'wait-follow-up<notify-requester-audit',
    ]);
  });

  it('removes a step, its dependents inheriting its dependencies', () => {
    const v2 = changedScenario(v1, versionChange(v1, 'remove-step'));
    expect(ids(v2)).toEqual([
      'triage<',
      'wait-follow-up<triage',
      'check-status<wait-follow-up',
      'remind-approver<check-status',
    ]);
  });

  it('raises a changed step’s input version', () => {
    const v2 = changedScenario(v1, versionChange(v1, 'change-input', 'check-status'));
    expect(v2.steps.find((s) => s.id === 'check-status')!.inputVersion).toBe(2);
    expect(ids(v2)).toEqual(ids(v1));
  });

  it('refuses a step it cannot change, naming it and why', () => {
    expect(() => versionChange(v1, 'rename-step', 'nope')).toThrow(
      /has no step "nope"; steps: triage, notify-requester/,
    );
    expect(() => versionChange(v1, 'remove-step', 'wait-follow-up')).toThrow(
      /"wait-follow-up" is a timer step/,
    );
    expect(() => versionChange(v1, 'rename-step', 'triage')).toThrow(
      /"triage" is a first step: the client submits it/,
    );
    expect(() => versionChange(loadScenario('noop'), 'add-step')).toThrow(
      /scenario noop has no step a deploy can change/,
    );
  });
});

describe('the deploy fault', () => {
  const context = { seed: 1, windowMs: 10_000, runs: 10, workers: 2, salt: 'schedule', scenario: v1 };

  it('plans the change with both versions in its params', () => {
    const [planned] = planFaults(
      parseSchedule([{ kind: 'deploy', at: '40%', params: { change: 'add-step' } }]),
      context,
    );
    expect(planned).toMatchObject({
      kind: 'deploy',
      atMs: 4000,
      durationMs: null,
      target: 'workers',
      params: {
        change: 'add-step',
        step: 'notify-requester',
        newStep: 'notify-requester-audit',
        fromVersion: 1,
        version: 2,
      },
    });
  });

  it('refuses an unknown change, a bad step, and a second deploy in one cell', () => {
    expect(() => parseSchedule([{ kind: 'deploy', params: { change: 'rewrite' } }])).toThrow(
      new RegExp(`params\\.change.*${DEPLOY_CHANGES.join('.*')}`, 's'),
    );
    expect(() =>
      planFaults(
        parseSchedule([{ kind: 'deploy', params: { change: 'remove-step', step: 'ghost' } }]),
        context,
      ),
    ).toThrow(/has no step "ghost"/);
    const two = parseSchedule([
      { kind: 'deploy', params: { change: 'add-step' } },
      { kind: 'deploy', params: { change: 'rename-step' } },
    ]);
    expect(() => planFaults(two, context)).toThrow(/2 deploy entries; a cell takes at most 1/);
  });
});

/** A cell of scheduled-followup with a rename deploy from t=1000 to t=2000. */
function renameCell() {
  const change = versionChange(v1, 'rename-step');
  const v2 = changedScenario(v1, change);
  const versions: PlanVersion[] = [
    { version: 1, plan: planRun(v1) },
    { version: 2, plan: planRun(v2), change },
  ];
  // The builder writes the effects of either version's steps; the cell's own plan is version 1's.
  const h = new HistoryBuilder(unionPlan(versions.map((v) => v.plan)), `${v1.name}/test-adapter/schedule`);
  const meta: CellMeta = h.cellMeta({ plan: versions[0]!.plan, versions });
  const deployStarts = (at = 1000) =>
    h
      .faultStart('f1', { at, fault: 'deploy', target: 'w1,w2' })
      .faultEnd('f1', { at: at + 1000, fault: 'deploy', target: 'w1,w2' });
  /** A run through the given steps (no timer firing here: the steps are all it needs). */
  const run = (
    runId: string,
    at: number,
    steps: string[],
    done: 'completed' | 'failed' | null = 'completed',
  ) => {
    h.submit(runId, { at });
    for (const step of steps) h.step(runId, step);
    if (done) h.runDone(runId, done);
  };
  const analyze = async (): Promise<CellResult> => (await analyzeHistory(h.events, [meta]))[0]!;
  return { h, run, deployStarts, analyze };
}

const OLD = ['triage', 'notify-requester', 'wait-follow-up', 'check-status', 'remind-approver'];
const NEW = ['triage', 'notify-requester-v2', 'wait-follow-up', 'check-status', 'remind-approver'];

describe('what the runs in flight at a deploy did', () => {
  it('sorts every run in flight into one outcome, from the steps it finished and their effects', async () => {
    const { h, run, deployStarts, analyze } = renameCell();
    run('r0', 0, OLD); // done before the deploy: not in flight
    h.submit('r1', { at: 500 }).step('r1', 'triage').step('r1', 'notify-requester');
    deployStarts(1000);
    for (const step of OLD.slice(2)) h.step('r1', step, { at: 3000 });
    h.runDone('r1'); // old path
    run('r2', 1500, NEW); // submitted during the deploy, new path
    run('r3', 1600, ['triage'], 'failed'); // failed
    run('r4', 1700, ['triage', 'notify-requester'], null); // no outcome: stuck
    run('r5', 1800, [
      'triage',
      'notify-requester',
      'notify-requester-v2',
      'wait-follow-up',
      'check-status',
      'remind-approver',
    ]); // the effect under both names
    run('r6', 5000, NEW); // submitted after the deploy: not in flight
    const { deploy, runs, anomalyCounts } = await analyze();
    expect(deploy).toMatchObject({
      change: { change: 'rename-step', step: 'notify-requester', newStep: 'notify-requester-v2' },
      fromVersion: 1,
      toVersion: 2,
      durationMs: 1000,
      inFlight: 5,
      outcomes: { 'old-path': 1, 'new-path': 1, failed: 1, stuck: 1, 'duplicate-effects': 1, mixed: 0 },
      examples: { failed: ['r3'], stuck: ['r4'], 'duplicate-effects': ['r5'] },
    });
    // The checker follows either version: the new path's steps are no surprise, nor its effects missing.
    expect(anomalyCounts['unexpected-outcome'] ?? 0).toBe(0);
    expect(runs.lostBy.missingEffects).toBe(0);
  });

  it('pools the deploys of repeats: runs in flight and their outcomes add up', async () => {
    const { h, run, deployStarts, analyze } = renameCell();
    h.submit('r1', { at: 500 }).step('r1', 'triage').step('r1', 'notify-requester');
    deployStarts(1000);
    for (const step of OLD.slice(2)) h.step('r1', step, { at: 3000 });
    h.runDone('r1');
    run('r2', 1500, NEW);
    run('r3', 1600, ['triage'], 'failed');
    const once = await analyze();
    const pooled = poolCells([once, { ...once, id: `${once.id}@2` }]);
    const single = once.deploy!;
    expect(single.inFlight).toBe(3);
    expect(pooled.deploy).toEqual({
      ...single,
      inFlight: 2 * single.inFlight,
      outcomes: Object.fromEntries(Object.entries(single.outcomes).map(([k, n]) => [k, 2 * n])),
      versionConflicts: 2 * single.versionConflicts,
      examples: { failed: ['r3', 'r3'] },
    });
  });

  it('still flags a completed run that skipped a step of every version, naming the closest version’s hole', async () => {
    const { run, deployStarts, analyze } = renameCell();
    deployStarts(1000);
    run('r1', 5000, NEW); // whole on version 2
    run('r2', 5100, ['triage', 'wait-follow-up', 'check-status', 'remind-approver']); // neither name ran
    const { anomalyCounts, anomalies } = await analyze();
    expect(anomalyCounts['unexpected-outcome']).toBe(1);
    const [anomaly] = anomalies.filter((a) => a.kind === 'unexpected-outcome');
    expect(anomaly!.runId).toBe('r2');
    expect(anomaly!.message).toMatch(/no attempt of notify-requester(-v2)?\./);
  });

  it('tells a changed input’s old path from its new one by the version that ran the step', async () => {
    const change = versionChange(v1, 'change-input');
    const versions: PlanVersion[] = [
      { version: 1, plan: planRun(v1) },
      { version: 2, plan: planRun(changedScenario(v1, change)), change },
    ];
    const h = new HistoryBuilder(planRun(v1));
    h.faultStart('f1', { at: 0, fault: 'deploy' }).faultEnd('f1', { at: 100, fault: 'deploy' });
    for (const [runId, version] of [
      ['r1', 1],
      ['r2', 2],
      ['r3', undefined],
    ] as const) {
      h.submit(runId, { at: 50 });
      for (const step of OLD) {
        h.attempt(runId, step);
        // The history builder's attempts carry no version: add it where the test says.
        if (step === 'notify-requester' && version !== undefined) {
          const last = (h as unknown as { written: { version?: number }[] }).written.at(-1)!;
          last.version = version;
        }
        if (step === 'notify-requester' || step === 'remind-approver') h.effect(runId, step);
        h.stepDone(runId, step);
      }
      h.runDone(runId);
    }
    const [cell] = await analyzeHistory(h.events, [h.cellMeta({ versions })]);
    expect(cell!.deploy!.outcomes).toMatchObject({ 'old-path': 1, 'new-path': 1, mixed: 1 });
  });

  it('counts the runs a worker reported a version conflict for', async () => {
    const { h, deployStarts, analyze } = renameCell();
    h.submit('r1', { at: 0 }).step('r1', 'triage').step('r1', 'notify-requester');
    deployStarts(1000);
    const conflict = {
      type: 'version-conflict',
      cell: h.cell,
      runId: 'r1',
      worker: 'w1',
      detail: 'Nondeterminism error',
    } as const;
    (h as unknown as { written: unknown[] }).written.push({ ...conflict, t: 2500 });
    const { deploy } = await analyze();
    expect(deploy).toMatchObject({ inFlight: 1, versionConflicts: 1, outcomes: { stuck: 1 } });
  });

  it('is absent when the cell’s deploy never happened', async () => {
    const { run, analyze } = renameCell();
    run('r1', 0, OLD);
    expect((await analyze()).deploy).toBeUndefined();
  });
});
