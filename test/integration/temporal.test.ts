import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/history/events.js';
import { managedProcesses } from '../../harness/processes.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';
import { readRunHistory } from '../helpers/history.js';
import { runForTest } from '../helpers/run.js';

const plan = planRun(loadScenario('rag-ingest'));

afterEach(() => {
  // Every server and worker process of the run is gone.
  expect(managedProcesses()).toEqual([]);
});

describe('Temporal adapter: real dev server, worker processes', () => {
  it('runs side by side with BullMQ on the same arrivals: every run completes, every effect once, keyed', async () => {
    const runs = 40;
    const { results, outDir } = await runForTest({
      scenarios: ['rag-ingest'],
      adapters: [{ name: 'bullmq' }, { name: 'temporal' }],
      load: { runs, ratePerSec: 20, workers: 2 },
      seed: 7,
      idempotent: true,
    });
    expect(results.cells.map((c) => c.adapter)).toEqual(['bullmq', 'temporal']);
    const [bullmq, temporal] = results.cells;
    // Same seed, same arrival schedule: both adapters were handed the same runs.
    expect(temporal!.runs.submitted).toBe(bullmq!.runs.submitted);
    for (const cell of results.cells) {
      expect(cell.runs).toMatchObject({ submitted: runs, completed: runs, failed: 0, lost: 0 });
      expect(cell.effects.applied).toBe(runs * plan.effectSteps.length);
      expect(cell.effects.duplicates).toBe(0);
      expect(cell.verdict).toBe('pass');
    }
    expect(temporal!.attempts.total).toBeGreaterThanOrEqual(runs * plan.instances.length);
    // Every knob's value is recorded.
    expect(temporal!.knobs).toMatchObject({
      startToCloseTimeout: 30_000,
      heartbeatTimeout: 5_000,
      retry: { initialInterval: 1_000, backoffCoefficient: 2, maximumAttempts: 0 },
      taskQueue: 'faultline',
      maxConcurrentActivityTaskExecutions: 100,
      idempotencyKeys: false,
    });
    // The workflow code was bundled once, into the run folder, for every worker.
    expect(existsSync(join(outDir, 'temporal', 'workflow-bundle.js'))).toBe(true);
    // --idempotent: the runtime keyed every effect on Temporal too.
    const effects = readRunHistory(outDir).filter(
      (e): e is Extract<HistoryEvent, { type: 'effect' }> => e.type === 'effect' && e.cell === temporal!.id,
    );
    expect(effects).toHaveLength(runs * plan.effectSteps.length);
    for (const e of effects) expect(e.key).toBe(`${e.runId}:${e.stepId}`);
  });

  it('the idempotencyKeys knob keys effects on Temporal alone', async () => {
    const runs = 10;
    const { results, outDir } = await runForTest({
      scenarios: ['rag-ingest'],
      adapters: [{ name: 'temporal', knobs: { idempotencyKeys: true } }],
      load: { runs, ratePerSec: 20, workers: 1 },
      seed: 3,
    });
    expect(results.cells[0]!.runs).toMatchObject({ completed: runs, lost: 0 });
    expect(results.cells[0]!.knobs).toMatchObject({ idempotencyKeys: true });
    const keys = readRunHistory(outDir).flatMap((e) => (e.type === 'effect' ? [e.key] : []));
    expect(keys).toHaveLength(runs * plan.effectSteps.length);
    expect(keys.every((key) => key !== null)).toBe(true);
  });

  it('a step that heartbeats outlives a heartbeat timeout shorter than the step, and only while it beats', async () => {
    const runs = 2;
    const longStep = (scenario: string, knobs: Record<string, unknown>) =>
      runForTest({
        scenarios: [scenario],
        // The step takes 3 s; its activity has a 1 s heartbeat timeout.
        adapters: [{ name: 'temporal', knobs: { heartbeatTimeout: 1000, ...knobs } }],
        load: { runs, ratePerSec: 10, workers: 1, drainTimeoutMs: 20_000 },
      });
    // Beating every 250 ms, each step finishes at its first attempt.
    const fixture = fileURLToPath(new URL('../fixtures/scenarios/long-step.json', import.meta.url));
    const beating = (await longStep(fixture, {})).results.cells[0]!;
    expect(beating.runs).toMatchObject({ completed: runs, lost: 0 });
    expect(beating.attempts.total).toBe(runs);
    // The control: the same step beating only every 2.5 s times out at every attempt,
    // though start-to-close alone (10 s) would let it finish: the timeout does apply.
    const silent = join(mkdtempSync(join(tmpdir(), 'faultline-scenario-')), 'silent-step.json');
    const spec = JSON.parse(readFileSync(fixture, 'utf8'));
    spec.name = 'silent-step';
    spec.steps[0].heartbeat.everyMs = 2500;
    writeFileSync(silent, JSON.stringify(spec));
    const retry = { initialInterval: 100, maximumAttempts: 2 };
    const timedOut = (await longStep(silent, { startToCloseTimeout: 10_000, retry })).results.cells[0]!;
    // No step of the scenario can fail, so a run the orchestrator gave up on is lost, not failed.
    expect(timedOut.runs).toMatchObject({ completed: 0, failed: 0, lost: runs, lostBy: { gaveUp: runs } });
    expect(timedOut.attempts.total).toBe(2 * runs);
  });
});
