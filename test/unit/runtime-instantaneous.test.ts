/**
 * The step runtime's instantaneous attempts (local work of no time, no effect): their
 * attempt line shares a write with their step-done line, and both are in the file before
 * the attempt's end is seen outside the process (its after-step failpoint, where chaos kills).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/history/events.js';
import { HistoryWriter } from '../../core/history/writer.js';
import { parseScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';
import { createStepRuntime, PermanentStepError, type StepCall } from '../../scenarios/runtime.js';
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

const lines = (): HistoryEvent[] =>
  readFileSync(history.path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as HistoryEvent);

const runtimeFor = (steps: unknown[], failpoint?: (name: string, call: StepCall) => void) =>
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
  it('has its attempt and step-done lines in the file when its after-step failpoint fires', async () => {
    const seen: string[][] = [];
    const runtime = runtimeFor([{ id: 'noop', kind: 'compute' }], (name) => {
      if (name === 'after-step') seen.push(lines().map((e) => e.type));
    });
    await runtime.execute({ runId: 'r1', stepId: 'noop', attempt: 1 });
    expect(seen).toEqual([['attempt', 'step-done']]);
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
