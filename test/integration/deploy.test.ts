/**
 * A deploy with a renamed step, on Temporal, for real (#15): one worker, so every run in
 * flight meets the new code. Without versioning the new workflow code replays histories
 * that scheduled the old step and fails with a non-determinism error, and those runs wait
 * for code that never comes; written with patched(), the same runs finish on the old path.
 * Which runs those are is derived from the history: the ones whose old step had finished
 * before the old worker left.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/history/events.js';
import type { Results } from '../../core/results.js';
import { runForTest } from '../helpers/run.js';

const RUNS = 12;
const CHANGED = 'notify-requester';
const QUICK = { startToCloseTimeout: 3000, stickyQueueScheduleToStartTimeout: 1000 };

let results: Results;
let events: HistoryEvent[];

beforeAll(async () => {
  const run = await runForTest({
    seed: 3,
    scenarios: ['scheduled-followup'],
    adapters: [
      { name: 'temporal', knobs: QUICK },
      { name: 'temporal', as: 'temporal-patched', knobs: { ...QUICK, versioning: 'patched' } },
    ],
    faults: ['schedule'],
    faultSchedule: [{ kind: 'deploy', at: '50%', params: { change: 'rename-step', step: CHANGED } }],
    // Stuck runs wait for the whole drain: long enough for the patched runs' timers, no longer.
    load: { runs: RUNS, ratePerSec: 3, workers: 1, warmupRuns: 0, drainTimeoutMs: 15_000 },
  });
  results = run.results;
  events = readFileSync(join(run.outDir, 'history.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as HistoryEvent);
});

const of = <T extends HistoryEvent['type']>(cell: string, type: T) =>
  events.filter((e): e is Extract<HistoryEvent, { type: T }> => e.cell === cell && e.type === type);

/** Runs whose old step finished before the old worker left, and that were not done by then. */
function replayedPastTheChange(cell: string): string[] {
  const deploy = of(cell, 'fault-start').find((e) => e.fault === 'deploy')!;
  const oldExit = of(cell, 'worker-exit').find((e) => e.t > deploy.t)!;
  const doneBy = new Set(
    of(cell, 'run-done')
      .filter((e) => e.t < oldExit.t)
      .map((e) => e.runId),
  );
  return of(cell, 'step-done')
    .filter((e) => e.stepId === CHANGED && e.outcome === 'ok' && e.t < oldExit.t && !doneBy.has(e.runId))
    .map((e) => e.runId)
    .sort();
}

describe('a rolling deploy that renames a step, on Temporal', () => {
  it('without versioning: runs past the change hit a non-determinism error and stay stuck', () => {
    const cell = 'scheduled-followup/temporal/schedule';
    const result = results.cells.find((c) => c.id === cell)!;
    const replayed = replayedPastTheChange(cell);
    expect(replayed.length).toBeGreaterThan(0);
    const conflicts = of(cell, 'version-conflict');
    expect([...new Set(conflicts.map((e) => e.runId))].sort()).toEqual(replayed);
    for (const conflict of conflicts) {
      expect(conflict.detail).toMatch(/Nondeterminism/);
      expect(conflict.detail).toContain(`'${CHANGED}'`);
    }
    const done = new Set(of(cell, 'run-done').map((e) => e.runId));
    for (const runId of replayed) expect(done.has(runId), runId).toBe(false);
    expect(result.deploy!.outcomes.stuck).toBe(replayed.length);
    expect(result.deploy!.versionConflicts).toBe(replayed.length);
    // The others never saw the old step: the new code took them down the new path.
    expect(result.deploy!.outcomes['new-path']).toBe(result.deploy!.inFlight - replayed.length);
  });

  it('with patched(): the same runs finish on the old path, and nothing is stuck or applied twice', () => {
    const cell = 'scheduled-followup/temporal-patched/schedule';
    const result = results.cells.find((c) => c.id === cell)!;
    const replayed = replayedPastTheChange(cell);
    expect(replayed.length).toBeGreaterThan(0);
    expect(of(cell, 'version-conflict')).toEqual([]);
    expect(result.runs.completed).toBe(RUNS);
    expect(result.deploy!.outcomes).toMatchObject({ stuck: 0, failed: 0, 'duplicate-effects': 0, mixed: 0 });
    expect(result.deploy!.outcomes['old-path']).toBeGreaterThanOrEqual(replayed.length);
    // A replayed run kept its old step and never ran the renamed one.
    for (const runId of replayed) {
      const steps = of(cell, 'step-done').filter((e) => e.runId === runId && e.outcome === 'ok');
      expect(
        steps.some((e) => e.stepId === `${CHANGED}-v2`),
        runId,
      ).toBe(false);
    }
    expect(result.verdict).toBe('pass');
  });
});
