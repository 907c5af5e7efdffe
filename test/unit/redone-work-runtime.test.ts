import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AttemptEvent } from '../../core/history/events.js';
import { HistoryWriter } from '../../core/history/writer.js';
import { parseScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';
import { createStepRuntime, localWork, resumePoint, type StepCall } from '../../scenarios/runtime.js';
import type { WorldClient } from '../../scenarios/world-client.js';
import { readHistoryFile } from '../helpers/history.js';

/** The runtime's side of checkpoints: save every `everyMs` of work, resume where told. */

const WORK_MS = 300;
const plan = planRun(
  parseScenario(
    {
      name: 'checkpointed',
      description: 'test',
      steps: [
        {
          id: 'train',
          kind: 'compute',
          work: { dist: 'constant', ms: WORK_MS },
          heartbeat: { everyMs: 40 },
          checkpoint: { everyMs: 100 },
        },
        {
          id: 'sample',
          kind: 'compute',
          work: { dist: 'uniform', minMs: 10, maxMs: 60 },
          checkpoint: { everyMs: 20 },
        },
        { id: 'plain', kind: 'compute', work: { dist: 'constant', ms: 5 } },
      ],
    },
    'inline',
  ),
);

let history: HistoryWriter;
beforeEach(() => {
  history = new HistoryWriter(join(mkdtempSync(join(tmpdir(), 'faultline-checkpoint-')), 'w.jsonl'));
});
afterEach(() => history.close());

// Compute steps never reach the world.
const world = {} as WorldClient;
const runtime = () =>
  createStepRuntime({ cell: 'c', workerId: 'w1', plan, world, history, idempotentEffects: false });
const attempts = (): AttemptEvent[] =>
  readHistoryFile(history.path).filter((e): e is AttemptEvent => e.type === 'attempt');

function recorder(extra: Partial<StepCall> = {}) {
  const saved: number[] = [];
  let beats = 0;
  const call: StepCall = {
    runId: 'r1',
    stepId: 'train',
    attempt: 1,
    checkpoint: (ms) => {
      saved.push(ms);
    },
    heartbeat: () => {
      beats++;
    },
    ...extra,
  };
  return { call, saved, beats: () => beats };
}

describe('step runtime: checkpoints and resume', () => {
  it('saves a checkpoint at every multiple of everyMs of the work (not at its end), and heartbeats', async () => {
    const { call, saved, beats } = recorder();
    await runtime().execute(call);
    expect(saved).toEqual([100, 200]);
    // One beat per 40 ms of work done: at 40, 80, … 280 of the 300.
    expect(beats()).toBe(Math.floor(WORK_MS / 40));
    expect(attempts()[0]).toMatchObject({ stepId: 'train', resumedFromMs: 0, workMs: WORK_MS });
  });

  it('resumes from the checkpoint handed back: only the rest of the work, the next multiple saved', async () => {
    const { call, saved, beats } = recorder({ attempt: 2, resumeFromMs: 150 });
    await runtime().execute(call);
    // What the attempt did is what it saved and beat, not how long it took: from 150 to 300,
    // the one multiple of 100 crossed is 200, and beats come every 40 ms of this attempt (190, 230, 270).
    expect(saved).toEqual([200]);
    expect(beats()).toBe(Math.floor((WORK_MS - 150) / 40));
    expect(attempts()[0]).toMatchObject({ attempt: 2, resumedFromMs: 150, workMs: WORK_MS });
  });

  it('starts from 0 where the strategy hands nothing back, and clamps nonsense', () => {
    expect(resumePoint(undefined, 300)).toBe(0);
    expect(resumePoint(-5, 300)).toBe(0);
    expect(resumePoint(Number.NaN, 300)).toBe(0);
    expect(resumePoint('200', 300)).toBe(0);
    expect(resumePoint(200, 300)).toBe(200);
    expect(resumePoint(900, 300)).toBe(300);
  });

  it('a checkpoint that cannot be saved costs redone work, never the attempt', async () => {
    const { call } = recorder({
      checkpoint: () => Promise.reject(new Error('Redis unreachable')),
    });
    await expect(runtime().execute(call)).resolves.toEqual({ stepId: 'train' });
  });

  it('draws one work amount for every attempt of a checkpointed step, so a saved position keeps its meaning', async () => {
    const rt = runtime();
    for (const attempt of [1, 2, 3]) await rt.execute({ runId: 'r9', stepId: 'sample', attempt });
    const work = attempts().map((e) => e.workMs);
    expect(work).toHaveLength(3);
    expect(new Set(work).size).toBe(1);
  });

  it('ignores a resume point for a step without checkpoints, and records only the work it drew', async () => {
    const { call, saved } = recorder({ stepId: 'plain', resumeFromMs: 100 });
    await runtime().execute(call);
    expect(saved).toEqual([]);
    const [event] = attempts();
    expect(event).not.toHaveProperty('resumedFromMs');
    expect(event!.workMs).toBe(5); // its constant work: what every worker runtime must draw too
  });

  it('a checkpoint is only for work that runs in the worker', () => {
    const scenario = (kind: string) => ({
      name: 'bad',
      description: 'test',
      steps: [{ id: 'a', kind, checkpoint: { everyMs: 100 } }],
    });
    expect(() => parseScenario(scenario('llm'), 'inline')).toThrow(/steps\[0\]\.checkpoint: .*llm step/);
    expect(() => parseScenario(scenario('compute'), 'inline')).not.toThrow();
    expect(() =>
      parseScenario(
        { ...scenario('compute'), steps: [{ id: 'a', kind: 'compute', checkpoint: { everyMs: 0 } }] },
        'inline',
      ),
    ).toThrow(/checkpoint\.everyMs/);
  });

  it('localWork without heartbeat or checkpoint is one sleep; with both, beats follow the attempt and saves the work', async () => {
    const saved: number[] = [];
    let beats = 0;
    await localWork({
      totalMs: 130,
      fromMs: 30,
      heartbeatEveryMs: 25,
      heartbeat: () => beats++,
      checkpointEveryMs: 50,
      checkpoint: (ms) => {
        saved.push(ms);
      },
    });
    expect(saved).toEqual([50, 100]);
    expect(beats).toBe(4);
  });
});
