import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/history/events.js';
import { HistoryWriter } from '../../core/history/writer.js';
import { startWorld, type World } from '../../harness/world/server.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';
import { createStepRuntime, TransientStepError } from '../../scenarios/runtime.js';
import { WorldClient, WorldUnavailableError } from '../../scenarios/world-client.js';
import { readHistoryFile } from '../helpers/history.js';

// The world is a plain loopback HTTP server of ours (not a mocked backend): started for real here.
let dir: string;
let history: HistoryWriter;
let world: World;
let client: WorldClient;
const decisions: { runId: string; approved: boolean; at: number }[] = [];

const events = (): HistoryEvent[] => readHistoryFile(history.path);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-world-'));
  history = new HistoryWriter(join(dir, 'world.jsonl'));
  world = await startWorld({ history, onDecision: (m) => decisions.push({ ...m, at: Date.now() }) });
  client = new WorldClient({ host: '127.0.0.1', port: world.port }, 2000);
});

afterEach(async () => {
  await world.close();
  history.close();
});

const effect = (key: string | null) => ({
  cell: 'c',
  runId: 'r1',
  stepId: 'persist',
  name: 'store',
  key,
  correlationId: 'r1',
});

describe('world', () => {
  it('applies an effect with a key once, and every time without one', async () => {
    expect(await client.effect(effect('r1:persist'))).toEqual({ deduplicated: false });
    expect(await client.effect(effect('r1:persist'))).toEqual({ deduplicated: true });
    await client.effect(effect(null));
    await client.effect(effect(null));
    const applied = events().filter((e) => e.type === 'effect');
    expect(applied.map((e) => (e as { deduplicated: boolean }).deduplicated)).toEqual([
      false,
      true,
      false,
      false,
    ]);
    expect(applied.every((e) => (e as { correlationId?: string }).correlationId === 'r1')).toBe(true);
  });

  it('answers model calls with 429 and Retry-After during an outage, and recovers', async () => {
    world.setFaults({ modelErrorRate: 1, modelErrorStatus: 429, retryAfterSeconds: 2 });
    const request = { cell: 'c', runId: 'r1', stepId: 'llm', attempt: 1, ms: 7 };
    const error = await client.model(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorldUnavailableError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 2000 });
    world.setFaults({ modelErrorRate: 0 });
    // Healed: the call is answered, with the tokens the world computes from the work (10 per ms).
    await expect(client.model(request)).resolves.toEqual({ tokens: 70 });
  });

  it('has the approver answer after its delay, the same way for the same run', async () => {
    world.setApprover({ delayMs: 150, rejectRate: 0.5 });
    const askedAt = Date.now();
    await client.requestApproval({ cell: 'c', runId: 'run-7', stepId: 'approve' });
    await client.requestApproval({ cell: 'c', runId: 'run-7', stepId: 'approve' });
    while (decisions.length < 2) await new Promise((r) => setTimeout(r, 20));
    expect(decisions[0]!.at - askedAt).toBeGreaterThanOrEqual(140);
    expect(decisions[0]!.approved).toBe(decisions[1]!.approved);
    decisions.length = 0;
  });
});

describe('step runtime against the world', () => {
  const plan = planRun(loadScenario('rag-ingest'));
  const runtime = (idempotentEffects: boolean) =>
    createStepRuntime({ cell: 'c', workerId: 'w1', plan, world: client, history, idempotentEffects });

  it('records the attempt, applies the effect with a (run, step) key, records step-done', async () => {
    await runtime(true).execute({ runId: 'r9', stepId: 'persist', attempt: 1 });
    const types = events().map((e) => e.type);
    expect(types).toEqual(['attempt', 'effect', 'step-done']);
    expect(events()[1]).toMatchObject({
      runId: 'r9',
      stepId: 'persist',
      key: 'r9:persist',
      deduplicated: false,
    });
  });

  it('turns a model outage into a retryable TransientStepError and records it', async () => {
    world.setFaults({ modelErrorRate: 1, modelErrorStatus: 503 });
    const error = await runtime(false)
      .execute({ runId: 'r9', stepId: 'llm-extract', attempt: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientStepError);
    expect(events().at(-1)).toMatchObject({ type: 'step-done', outcome: 'transient-error' });
  });
});
