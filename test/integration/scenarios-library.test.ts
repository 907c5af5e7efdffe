import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/history/events.js';
import type { CellResult } from '../../core/results.js';
import { managedProcesses } from '../../harness/processes.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';
import { readRunHistory } from '../helpers/history.js';
import { runForTest } from '../helpers/run.js';

/**
 * preprocess-fanout and agent-coordination on both adapters, without a fault and
 * with the fault that matters for each: a worker kill for the many small parallel
 * steps, a model-API outage for the agent's model calls. (rag-ingest,
 * approval-decision and training-orchestration have suites of their own.)
 */
const RUNS = 12;
const SHORT_RECOVERY = {
  bullmq: { lockDuration: 2000, stalledInterval: 1000 },
  temporal: { startToCloseTimeout: 3000, retry: { initialInterval: 200, maximumInterval: 1000 } },
};

type Knobs = Record<'bullmq' | 'temporal', Record<string, unknown>>;

async function runScenario(scenario: string, fault: string, knobs: Knobs = SHORT_RECOVERY) {
  const { results, outDir } = await runForTest({
    scenarios: [scenario],
    adapters: [
      { name: 'bullmq', knobs: knobs.bullmq },
      { name: 'temporal', knobs: knobs.temporal },
    ],
    faults: ['none', fault],
    load: { runs: RUNS, ratePerSec: 4, workers: 2, drainTimeoutMs: 30_000 },
    seed: 3,
  });
  expect(managedProcesses()).toEqual([]);
  return { cells: results.cells, history: readRunHistory(outDir) };
}

/**
 * The steps of `cell` whose effect was applied more than once without a worker kill to
 * explain it. A kill explains a step that a killed worker attempted before it died and that
 * was attempted again after it: its effect applied (the request may even reach the world a
 * moment after the kill, sent before it), its job not completed, so it runs again.
 */
function unexplainedDuplicates(history: HistoryEvent[], cell: string): string[] {
  const ofCell = history.filter((e) => 'cell' in e && e.cell === cell);
  const kills = ofCell.flatMap((e) => (e.type === 'fault-start' && e.killed?.length ? [e] : []));
  const applied = new Map<string, number>();
  const attempts = new Map<string, { worker: string; t: number }[]>();
  for (const e of ofCell) {
    if (e.type === 'effect' && !e.deduplicated) {
      const step = `${e.runId}/${e.stepId}`;
      applied.set(step, (applied.get(step) ?? 0) + 1);
    }
    if (e.type === 'attempt') {
      const step = `${e.runId}/${e.stepId}`;
      const tried = attempts.get(step) ?? [];
      tried.push(e);
      attempts.set(step, tried);
    }
  }
  const explained = (step: string) =>
    kills.some((kill) => {
      const tried = attempts.get(step) ?? [];
      return (
        tried.some((a) => a.t < kill.t && kill.killed!.includes(a.worker)) && tried.some((a) => a.t > kill.t)
      );
    });
  return [...applied].filter(([step, times]) => times > 1 && !explained(step)).map(([step]) => step);
}

const cellOf = (cells: CellResult[], adapter: string, fault: string) =>
  cells.find((c) => c.adapter === adapter && c.fault === fault)!;

describe('preprocess-fanout on both adapters', () => {
  it('completes every run with its effect, without a fault and after a worker kill', async () => {
    const plan = planRun(loadScenario('preprocess-fanout'));
    const { cells, history } = await runScenario('preprocess-fanout', 'worker-kill');
    expect(cells).toHaveLength(4);
    for (const cell of cells) {
      expect(cell.runs, cell.id).toMatchObject({ submitted: RUNS, lost: 0 });
      // normalize may fail transiently and is retried; a run only fails when retries run out.
      expect(cell.runs.completed + cell.runs.failed, cell.id).toBe(RUNS);
      // At least once: a worker SIGKILLed between a step's effect and its job's completion
      // leaves the step to run again. Every duplicate must be such a step; none without a kill.
      expect(unexplainedDuplicates(history, cell.id), cell.id).toEqual([]);
      if (cell.fault === 'none') expect(cell.effects.duplicates, cell.id).toBe(0);
      expect(cell.steps.completed, cell.id).toBeGreaterThanOrEqual(
        cell.runs.completed * plan.instances.length,
      );
    }
    for (const adapter of ['bullmq', 'temporal']) {
      expect(cellOf(cells, adapter, 'worker-kill').faults.map((f) => f.kind)).toEqual(['kill']);
    }
  });
});

describe('agent-coordination on both adapters', () => {
  it('retries model calls through an outage: more attempts than without it, nothing lost', async () => {
    const { cells } = await runScenario('agent-coordination', 'model-outage', {
      // Retries that outlast the 3 s outage on both: the comparison is then about cost.
      bullmq: { ...SHORT_RECOVERY.bullmq, attempts: 10, backoff: { type: 'exponential', delay: 200 } },
      temporal: SHORT_RECOVERY.temporal,
    });
    for (const adapter of ['bullmq', 'temporal']) {
      const calm = cellOf(cells, adapter, 'none');
      const outage = cellOf(cells, adapter, 'model-outage');
      expect(calm.runs, calm.id).toMatchObject({ submitted: RUNS, lost: 0 });
      expect(outage.runs, outage.id).toMatchObject({ submitted: RUNS, lost: 0 });
      expect(outage.faults.map((f) => f.kind)).toEqual(['model-errors']);
      // The outage's 503s are retried: the same runs take more attempts than without it.
      expect(outage.attempts.total, outage.id).toBeGreaterThan(calm.attempts.total);
      expect(outage.attempts.retryAmplification!, outage.id).toBeGreaterThan(
        calm.attempts.retryAmplification!,
      );
    }
  });
});
