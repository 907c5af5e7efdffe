import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActivities } from '../../adapters/temporal/activities.js';
import type { HistoryEvent } from '../../core/history/events.js';
import { HistoryWriter } from '../../core/history/writer.js';
import { startWorld, type World } from '../../harness/world/server.js';
import { loadScenario, loadScenarioFile } from '../../scenarios/index.js';
import { planRun, type RunPlan } from '../../scenarios/plan.js';
import { attemptDraws, createStepRuntime } from '../../scenarios/runtime.js';
import { WorldClient } from '../../scenarios/world-client.js';
import { readHistoryFile } from '../helpers/history.js';

/**
 * The TypeScript Temporal activities in @temporalio/testing's MockActivityEnvironment (an
 * activity context with its info and heartbeats, no server), over the real step runtime
 * and the real world process's server, started here on a loopback port.
 */
const KITCHEN_SINK = fileURLToPath(new URL('../fixtures/scenarios/kitchen-sink.json', import.meta.url));

let dir: string;
let history: HistoryWriter;
let world: World;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-activities-'));
  history = new HistoryWriter(join(dir, 'world.jsonl'));
  world = await startWorld({ history, onDecision: () => {} });
});

afterEach(async () => {
  await world.close();
  history.close();
});

function activitiesFor(plan: RunPlan, resumeFromCheckpoint = true) {
  const runtime = createStepRuntime({
    cell: 'c',
    workerId: 'temporal-w1',
    plan,
    world: new WorldClient({ host: '127.0.0.1', port: world.port }, 2000),
    history,
    idempotentEffects: false,
  });
  return createActivities(() => runtime, { resumeFromCheckpoint });
}

const events = <T extends HistoryEvent['type']>(type: T) =>
  readHistoryFile(history.path).filter((e): e is Extract<HistoryEvent, { type: T }> => e.type === type);

describe('Temporal activities (MockActivityEnvironment)', () => {
  const plan = planRun(loadScenarioFile(KITCHEN_SINK));
  const train = plan.byId.get('train')!.spec;

  it('saves checkpoints as heartbeat details; every plain beat repeats the last one', async () => {
    const env = new MockActivityEnvironment({ attempt: 2 });
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    await env.run(activitiesFor(plan).executeStep, { runId: 'r1', stepId: 'train' });
    // The work the reference draws for train (checkpointed: one amount for every attempt);
    // a beat every heartbeat.everyMs of work, up to the end; a checkpoint at each multiple of
    // checkpoint.everyMs short of the end, sent before the beat at the same point.
    const { workMs } = attemptDraws(train, 'r1', 'train', 2);
    const expected: unknown[] = [];
    let last: number | undefined;
    const beatEvery = train.heartbeat!.everyMs;
    const saveEvery = train.checkpoint!.everyMs;
    for (let at = beatEvery; at <= workMs; at += beatEvery) {
      if (at % saveEvery === 0 && at < workMs) {
        last = at;
        expected.push(at);
      }
      expected.push(last);
    }
    expect(beats).toEqual(expected);
    expect(events('attempt')).toMatchObject([{ stepId: 'train', attempt: 2, resumedFromMs: 0, workMs }]);
  });

  it('a retried attempt resumes from the details of the last heartbeat, unless resumeFromCheckpoint is off', async () => {
    const info = { attempt: 3, heartbeatDetails: 200 };
    await new MockActivityEnvironment(info).run(activitiesFor(plan).executeStep, {
      runId: 'r1',
      stepId: 'train',
    });
    await new MockActivityEnvironment(info).run(activitiesFor(plan, false).executeStep, {
      runId: 'r2',
      stepId: 'train',
    });
    expect(events('attempt').map((e) => [e.runId, e.attempt, e.resumedFromMs])).toEqual([
      ['r1', 3, 200],
      ['r2', 3, 0],
    ]);
  });

  it('fails a step that fails for good with a non-retryable PermanentStepError', async () => {
    const decisions = planRun(loadScenario('approval-decision'));
    const spec = decisions.byId.get('execute-decision')!.spec;
    // A run whose first attempt the reference draws as a permanent failure.
    const runId = Array.from({ length: 500 }, (_, i) => `run-${i}`).find(
      (id) => attemptDraws(spec, id, 'execute-decision', 1).failure === 'permanent-error',
    )!;
    // The SDK logs every failed activity at WARN; this one is expected.
    const quiet = { logger: new DefaultLogger('ERROR') };
    const failure = await new MockActivityEnvironment({ attempt: 1 }, quiet)
      .run(activitiesFor(decisions).executeStep, { runId, stepId: 'execute-decision' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'PermanentStepError', nonRetryable: true });
    expect(events('step-done')).toMatchObject([{ runId, outcome: 'permanent-error' }]);
  });

  it('an approval in two halves: the request returns Temporal’s attempt, the completion records the decision', async () => {
    const activities = activitiesFor(plan);
    // `run` cannot infer an activity's result type: it is requestApproval's number.
    const attempt = (await new MockActivityEnvironment({ attempt: 4 }).run(activities.requestApproval, {
      runId: 'r1',
      stepId: 'review',
    })) as number;
    expect(attempt).toBe(4);
    await new MockActivityEnvironment().run(activities.completeApproval, {
      runId: 'r1',
      stepId: 'review',
      attempt,
      approved: false,
    });
    expect(events('attempt')).toMatchObject([{ stepId: 'review', attempt: 4 }]);
    expect(events('step-done')).toMatchObject([{ stepId: 'review', attempt: 4, outcome: 'permanent-error' }]);
  });
});
