import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/history/events.js';
import { rerunAfterKill, stepsOf } from '../helpers/kills.js';

/**
 * The test helper that says which steps a kill cost the orchestrator, on hand-made
 * histories: the kill tests lean on it, so a rule it got wrong would pass them vacuously.
 */
const cell = 'c';
const attempt = (t: number, worker: string, runId: string, stepId: string, n = 1): HistoryEvent => ({
  type: 'attempt',
  cell,
  t,
  worker,
  runId,
  stepId,
  attempt: n,
});
const done = (
  t: number,
  worker: string,
  runId: string,
  stepId: string,
  outcome: 'ok' | 'transient-error' = 'ok',
  n = 1,
): HistoryEvent => ({ type: 'step-done', cell, t, worker, runId, stepId, attempt: n, outcome });
const kill: Extract<HistoryEvent, { type: 'fault-start' }> = {
  type: 'fault-start',
  cell,
  t: 100,
  faultId: 'f1',
  fault: 'kill',
  target: 'w1',
  killed: ['w1'],
};

describe('rerunAfterKill', () => {
  it('counts a step running at the kill and one finished just before it, both run again', () => {
    const events = [
      attempt(10, 'w1', 'r1', 'a'),
      attempt(90, 'w1', 'r1', 'b'), // running at the kill
      attempt(95, 'w1', 'r2', 'a'),
      done(98, 'w1', 'r2', 'a'), // finished, its completion never reported
      kill,
      attempt(200, 'w2', 'r1', 'b', 2),
      attempt(210, 'w2', 'r2', 'a', 2),
    ];
    expect(stepsOf(rerunAfterKill(events, kill))).toEqual(new Set(['r1 b', 'r2 a']));
  });

  it('leaves out what the kill did not cost: a failed attempt retried, another worker’s step, another cell', () => {
    const events = [
      attempt(10, 'w1', 'r1', 'a'),
      done(20, 'w1', 'r1', 'a', 'transient-error'), // failed before the kill: its retry is the policy's
      attempt(90, 'w2', 'r3', 'a'), // the survivor's own step
      { ...attempt(90, 'w1', 'r4', 'a'), cell: 'other' },
      kill,
      attempt(200, 'w2', 'r1', 'a', 2),
      attempt(210, 'w2', 'r3', 'a', 2),
      { ...attempt(220, 'w2', 'r4', 'a', 2), cell: 'other' },
    ];
    expect(rerunAfterKill(events, kill)).toEqual([]);
  });

  it('keeps a step whose failed attempt came before a later attempt the kill interrupted', () => {
    const events = [
      attempt(10, 'w1', 'r1', 'a', 1),
      done(20, 'w1', 'r1', 'a', 'transient-error', 1),
      attempt(60, 'w1', 'r1', 'a', 2), // the retry, running at the kill
      kill,
      attempt(200, 'w2', 'r1', 'a', 3),
    ];
    expect(rerunAfterKill(events, kill).map((e) => e.t)).toEqual([200]);
  });
});
