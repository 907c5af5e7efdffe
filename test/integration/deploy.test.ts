import { beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/history/events.js';
import type { Results } from '../../core/results.js';
import { loadScenario } from '../../scenarios/index.js';
import { readRunHistory } from '../helpers/history.js';
import { runForTest } from '../helpers/run.js';

const RUNS = 12;
const CHANGED = 'notify-requester';
/** The steps the changed one waits for, as the scenario declares them. */
const BEFORE_CHANGE = loadScenario('scheduled-followup').steps.find((s) => s.id === CHANGED)!.dependsOn ?? [];
const QUICK = { startToCloseTimeout: 3000, stickyQueueScheduleToStartTimeout: 1000 };
/** Celery as default.yaml runs it: at-least-once, one message reserved per pool process, a quick start. */
const CELERY = {
  acks_late: true,
  visibility_timeout: 10,
  worker_prefetch_multiplier: 1,
  without_mingle: true,
  without_gossip: true,
  without_heartbeat: true,
};

let results: Results;
let events: HistoryEvent[];

beforeAll(async () => {
  const run = await runForTest({
    seed: 3,
    scenarios: ['scheduled-followup'],
    adapters: [
      { name: 'temporal', knobs: QUICK },
      { name: 'temporal', as: 'temporal-patched', knobs: { ...QUICK, versioning: 'patched' } },
      { name: 'temporal-python', knobs: QUICK },
      { name: 'temporal-python', as: 'temporal-python-patched', knobs: { ...QUICK, versioning: 'patched' } },
      { name: 'celery', knobs: CELERY },
      { name: 'celery', as: 'celery-versioned', knobs: { ...CELERY, versioning: 'versioned-tasks' } },
    ],
    faults: ['schedule'],
    faultSchedule: [{ kind: 'deploy', at: '50%', params: { change: 'rename-step', step: CHANGED } }],
    // Stuck runs wait for the whole drain: long enough for the patched runs' timers, no longer.
    load: { runs: RUNS, ratePerSec: 3, workers: 1, warmupRuns: 0, drainTimeoutMs: 15_000 },
  });
  results = run.results;
  events = readRunHistory(run.outDir);
});

const of = <T extends HistoryEvent['type']>(cell: string, type: T) =>
  events.filter((e): e is Extract<HistoryEvent, { type: T }> => e.cell === cell && e.type === type);

const cellOf = (adapter: string) => `scheduled-followup/${adapter}/schedule`;

/** When the deploy stopped the old worker (its exit after the deploy began). */
function oldWorkerExit(cell: string): number {
  const deploy = of(cell, 'fault-start').find((e) => e.fault === 'deploy')!;
  return of(cell, 'worker-exit').find((e) => e.t > deploy.t)!.t;
}

/** Runs whose steps before the changed one had all finished before the old worker left. */
function readyForTheChange(cell: string): string[] {
  const exit = oldWorkerExit(cell);
  const finished = (runId: string, stepId: string) =>
    of(cell, 'step-done').some(
      (e) => e.runId === runId && e.stepId === stepId && e.outcome === 'ok' && e.t < exit,
    );
  const runs = [...new Set(of(cell, 'submit').map((e) => e.runId))];
  return runs.filter((runId) => BEFORE_CHANGE.every((stepId) => finished(runId, stepId))).sort();
}

/** Runs whose old step finished before the old worker left, and that were not done by then. */
function replayedPastTheChange(cell: string): string[] {
  const exit = oldWorkerExit(cell);
  const doneBy = new Set(
    of(cell, 'run-done')
      .filter((e) => e.t < exit)
      .map((e) => e.runId),
  );
  return of(cell, 'step-done')
    .filter((e) => e.stepId === CHANGED && e.outcome === 'ok' && e.t < exit && !doneBy.has(e.runId))
    .map((e) => e.runId)
    .sort();
}

describe.each(['temporal', 'temporal-python'])('a rolling deploy that renames a step, on %s', (adapter) => {
  it('without versioning: runs past the change hit a non-determinism error and stay stuck', () => {
    const cell = cellOf(adapter);
    const result = results.cells.find((c) => c.id === cell)!;
    const conflicts = of(cell, 'version-conflict');
    const conflicted = [...new Set(conflicts.map((e) => e.runId))].sort();
    expect(conflicted.length).toBeGreaterThan(0);
    // Certain to conflict: the runs whose old step had run. Possibly too: those that had
    // scheduled it (its dependencies done) in a workflow task the old worker completed,
    // which the history does not show; nothing else can.
    for (const runId of replayedPastTheChange(cell)) expect(conflicted).toContain(runId);
    const couldHaveScheduled = readyForTheChange(cell);
    for (const runId of conflicted) expect(couldHaveScheduled).toContain(runId);
    for (const conflict of conflicts) {
      expect(conflict.detail).toMatch(/Nondeterminism/);
      expect(conflict.detail).toContain(`'${CHANGED}'`);
    }
    const done = new Set(of(cell, 'run-done').map((e) => e.runId));
    for (const runId of conflicted) expect(done.has(runId), runId).toBe(false);
    expect(result.deploy!.outcomes.stuck).toBe(conflicted.length);
    expect(result.deploy!.versionConflicts).toBe(conflicted.length);
    // The others never saw the old step: the new code took them down the new path.
    expect(result.deploy!.outcomes['new-path']).toBe(result.deploy!.inFlight - conflicted.length);
  });

  it('with patched(): the same runs finish on the old path, and nothing is stuck or applied twice', () => {
    const cell = cellOf(`${adapter}-patched`);
    const result = results.cells.find((c) => c.id === cell)!;
    const replayed = replayedPastTheChange(cell);
    // Runs met the new code past the point of the change (their old step run or scheduled).
    const doneByExit = new Set(
      of(cell, 'run-done')
        .filter((e) => e.t < oldWorkerExit(cell))
        .map((e) => e.runId),
    );
    expect(readyForTheChange(cell).filter((runId) => !doneByExit.has(runId)).length).toBeGreaterThan(0);
    expect(of(cell, 'version-conflict')).toEqual([]);
    expect(result.runs.completed).toBe(RUNS);
    expect(result.deploy!.outcomes).toMatchObject({ stuck: 0, failed: 0, 'duplicate-effects': 0, mixed: 0 });
    expect(result.deploy!.outcomes['old-path']).toBeGreaterThanOrEqual(replayed.length);
    // A run in flight at the old worker's exit that ran the old step (before the exit, or on
    // the new code, which patched() sent down the old path) never ran the renamed one.
    const oldPath = [
      ...new Set(
        of(cell, 'step-done')
          .filter((e) => e.stepId === CHANGED && e.outcome === 'ok' && !doneByExit.has(e.runId))
          .map((e) => e.runId),
      ),
    ];
    expect(oldPath.length).toBeGreaterThan(0);
    for (const runId of oldPath) {
      const steps = of(cell, 'step-done').filter((e) => e.runId === runId && e.outcome === 'ok');
      expect(
        steps.some((e) => e.stepId === `${CHANGED}-v2`),
        runId,
      ).toBe(false);
    }
    expect(result.verdict).toBe('pass');
  });
});

describe('a rolling deploy that renames a step, on celery', () => {
  const attemptsOf = (cell: string, stepId: string) => of(cell, 'attempt').filter((e) => e.stepId === stepId);

  it('without versioning: a run whose task for the old step reaches the new code fails', () => {
    const cell = cellOf('celery');
    const result = results.cells.find((c) => c.id === cell)!;
    // Canvases built before the deploy name the old step; the new code has no such step, so
    // such a task fails before it records an attempt. Canvases built after name the new one.
    const ran = new Set(
      [...attemptsOf(cell, CHANGED), ...attemptsOf(cell, `${CHANGED}-v2`)].map((e) => e.runId),
    );
    const met = of(cell, 'submit')
      .map((e) => e.runId)
      .filter((runId) => !ran.has(runId))
      .sort();
    expect(met.length).toBeGreaterThan(0);
    const failed = of(cell, 'run-done')
      .filter((e) => e.status === 'failed')
      .map((e) => e.runId)
      .sort();
    expect(failed).toEqual(met);
    expect(result.deploy!.outcomes.failed).toBe(met.length);
    expect(result.deploy!.outcomes).toMatchObject({ stuck: 0, 'duplicate-effects': 0 });
  });

  it('with versioned tasks: those runs finish on the old path, run by the new worker with the old definitions', () => {
    const cell = cellOf('celery-versioned');
    const result = results.cells.find((c) => c.id === cell)!;
    const exit = oldWorkerExit(cell);
    // The old step's tasks the worker started by the deploy took: their canvases were built before it.
    const late = attemptsOf(cell, CHANGED).filter((e) => e.t > exit);
    expect(late.length).toBeGreaterThan(0);
    for (const attempt of late) expect(attempt.version, attempt.runId).toBe(1);
    expect(result.runs.completed).toBe(RUNS);
    expect(result.deploy!.outcomes).toMatchObject({ stuck: 0, failed: 0, 'duplicate-effects': 0, mixed: 0 });
    expect(result.deploy!.outcomes['old-path']).toBeGreaterThanOrEqual(late.length);
    expect(result.verdict).toBe('pass');
  });
});
