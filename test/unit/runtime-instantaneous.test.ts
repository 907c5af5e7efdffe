/**
 * The step runtime's history lines under batching: an instantaneous attempt (local work of
 * no time, no effect) shares a write with its step-done, and the step-done lines of the
 * attempts started on one turn of the event loop share one; every line is in the file before the attempt's end is seen outside the process
 * (the orchestrator awaiting execute) and before a failpoint kills the worker.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/history/events.js';
import { HistoryWriter } from '../../core/history/writer.js';
import { armFailpoints, type FailpointSpec } from '../../scenarios/failpoints.js';
import { parseScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';
import {
  createStepRuntime,
  type FailpointName,
  PermanentStepError,
  type StepCall,
} from '../../scenarios/runtime.js';
import { WorldClient } from '../../scenarios/world-client.js';

let dir: string;
let history: HistoryWriter;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-instant-'));
  history = new HistoryWriter(join(dir, 'w.jsonl'));
});
afterEach(() => {
  history.close();
  rmSync(dir, { recursive: true, force: true });
});

const lines = (): (HistoryEvent & { runId?: string })[] =>
  readFileSync(history.path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as HistoryEvent & { runId?: string });

const runtimeFor = (steps: unknown[], failpoint?: (name: FailpointName, call: StepCall) => void) =>
  createStepRuntime({
    cell: 'c',
    workerId: 'w1',
    plan: planRun(parseScenario({ name: 'instant', description: 'instantaneous steps', steps }, 'test')),
    // Nothing listens here: an attempt that called the world would fail.
    world: new WorldClient({ host: '127.0.0.1', port: 1 }, 200),
    history,
    idempotentEffects: true,
    failpoint,
    traced: false,
  });

describe('an instantaneous attempt', () => {
  it('has its attempt and step-done lines in the file when an after-step failpoint kills the worker', async () => {
    // The real failpoint hook, dying by reading the file: what a SIGKILL leaves is what is there.
    let atDeath: string[] | null = null;
    const specs: FailpointSpec[] = [{ point: 'after-step', nth: 1 }];
    const failpoint = armFailpoints(specs, {
      history,
      cell: 'c',
      workerId: 'w1',
      crash: () => {
        atDeath = lines().map((e) => e.type);
      },
    });
    const runtime = runtimeFor([{ id: 'noop', kind: 'compute' }], failpoint);
    await runtime.execute({ runId: 'r1', stepId: 'noop', attempt: 1 });
    expect(atDeath).toEqual(['attempt', 'step-done', 'fault-start']);
  });

  it('is in the file once execute settles, for every attempt of a tick, in the order they ran', async () => {
    const runtime = runtimeFor([{ id: 'noop', kind: 'compute' }]);
    const runs = ['r1', 'r2', 'r3'];
    // Started in one tick, as a batch of jobs is: what the orchestrator sees when each settles.
    const seen = await Promise.all(
      runs.map((runId) =>
        runtime.execute({ runId, stepId: 'noop', attempt: 1 }).then(() =>
          lines()
            .filter((e) => e.runId === runId)
            .map((e) => e.type),
        ),
      ),
    );
    expect(seen).toEqual(runs.map(() => ['attempt', 'step-done']));
    expect(lines().map((e) => `${e.runId} ${e.type}`)).toEqual(
      runs.flatMap((runId) => [`${runId} attempt`, `${runId} step-done`]),
    );
  });

  it('waits for the attempts started by later microtasks of its turn, and they share a write', async () => {
    const runtime = runtimeFor([{ id: 'noop', kind: 'compute' }]);
    // Deliveries handled one after the other from one read of the broker's socket: each
    // job starts in a microtask after the previous job's, before the loop polls again.
    let settled = 0;
    const first = runtime.execute({ runId: 'r1', stepId: 'noop', attempt: 1 }).then(() => settled++);
    await Promise.resolve();
    const second = runtime.execute({ runId: 'r2', stepId: 'noop', attempt: 1 }).then(() => settled++);
    await Promise.resolve();
    // Neither has settled nor written: the orchestrator has heard of nothing the file lacks.
    expect([settled, lines().length]).toEqual([0, 0]);
    await Promise.all([first, second]);
    expect(lines().map((e) => `${e.runId} ${e.type}`)).toEqual([
      'r1 attempt',
      'r1 step-done',
      'r2 attempt',
      'r2 step-done',
    ]);
  });

  it('records a permanent failure with its attempt line first', async () => {
    const runtime = runtimeFor([{ id: 'noop', kind: 'compute', failure: { permanent: 1 } }]);
    await expect(runtime.execute({ runId: 'r1', stepId: 'noop', attempt: 1 })).rejects.toBeInstanceOf(
      PermanentStepError,
    );
    expect(lines().map((e) => [e.type, (e as { outcome?: string }).outcome])).toEqual([
      ['attempt', undefined],
      ['step-done', 'permanent-error'],
    ]);
  });

  it('is not what a step with an effect is: its attempt line is written before the world is called', async () => {
    const seen: string[][] = [];
    const runtime = runtimeFor([{ id: 'persist', kind: 'persist', effect: { name: 'store' } }], (name) => {
      if (name === 'before-effect') seen.push(lines().map((e) => e.type));
    });
    // The world is unreachable: the effect fails, the attempt ends transiently.
    await expect(runtime.execute({ runId: 'r1', stepId: 'persist', attempt: 1 })).rejects.toThrow();
    expect(seen).toEqual([['attempt']]);
    expect(lines().map((e) => e.type)).toEqual(['attempt', 'step-done']);
  });
});
