import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { managedProcesses } from '../../harness/processes.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';
import { runForTest } from '../helpers/run.js';

const plan = planRun(loadScenario('rag-ingest'));

describe('rag-ingest on BullMQ, real Redis, worker processes', () => {
  it('completes every run with every effect once, and leaves no process behind', async () => {
    const runs = 60;
    const { results, outDir } = await runForTest({
      scenarios: ['rag-ingest'],
      adapters: [{ name: 'bullmq' }],
      load: { runs, ratePerSec: 40, workers: 2 },
      seed: 7,
    });
    const [cell] = results.cells;
    expect(results.cells).toHaveLength(1);
    expect(cell!.runs.submitted).toBe(runs);
    expect(cell!.runs.completed).toBe(runs);
    expect(cell!.runs.lost).toBe(0);
    expect(cell!.effects.applied).toBe(runs * plan.effectSteps.length);
    expect(cell!.effects.duplicates).toBe(0);
    expect(cell!.attempts.total).toBeGreaterThanOrEqual(runs * plan.instances.length);
    expect(cell!.verdict).toBe('pass');
    expect(cell!.latencyMs.count).toBe(runs - Math.floor(runs * 0.1));
    // Every knob's value is recorded, in the cell and in the resolved config.
    expect(cell!.knobs).toMatchObject({ lockDuration: 30_000, concurrency: 10, attempts: 3 });
    const history = readFileSync(join(outDir, 'history.jsonl'), 'utf8').trim().split('\n');
    const types = new Set(history.map((line) => JSON.parse(line).type));
    expect([...types].sort()).toEqual(
      [
        'history-start',
        'cell-start',
        'cell-end',
        'attempt',
        'effect',
        'run-done',
        'step-done',
        'submit',
        'worker-exit',
        'worker-start',
        'worker-usage',
        'world-stats',
        // The footprint: the stack's start, and each process's CPU and memory through the cell.
        'stack-start',
        'process-usage',
      ].sort(),
    );
    expect(managedProcesses()).toEqual([]);
  });
});
