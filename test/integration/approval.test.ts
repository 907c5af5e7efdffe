import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/history/events.js';
import { managedProcesses } from '../../harness/processes.js';
import { readRunHistory } from '../helpers/history.js';
import { runForTest } from '../helpers/run.js';

/** draft (llm) → review (approval) → publish (effect); a scenario file outside scenarios/. */
const SCENARIO = fileURLToPath(new URL('../fixtures/scenarios/approve-publish.json', import.meta.url));
const RUNS = 8;
/** The world's human takes this long: long enough that an approval step cannot pass without waiting. */
const DECISION_DELAY_MS = 700;

async function runApprovals(rejectRate: number) {
  const { results, outDir } = await runForTest({
    scenarios: [SCENARIO],
    adapters: [{ name: 'bullmq' }, { name: 'temporal' }],
    load: { runs: RUNS, ratePerSec: 10, workers: 1, warmupRuns: 0, drainTimeoutMs: 20_000 },
    approver: { delayMs: DECISION_DELAY_MS, rejectRate },
    seed: 5,
  });
  const events = readRunHistory(outDir);
  return { results, events };
}

type StepEvent = Extract<HistoryEvent, { type: 'attempt' | 'step-done' | 'effect' }>;

/** The one event of a type for a run's step in a cell (asserting there is exactly one). */
function only(events: HistoryEvent[], cell: string, type: StepEvent['type'], runId: string, stepId: string) {
  const found = events.filter(
    (e): e is StepEvent => e.type === type && e.cell === cell && e.runId === runId && e.stepId === stepId,
  );
  expect(found, `${cell} ${runId} ${stepId} ${type}`).toHaveLength(1);
  return found[0]!;
}

afterEach(() => {
  expect(managedProcesses()).toEqual([]);
});

describe('approval step (human in the loop) on both adapters', () => {
  it('waits for the approver, then completes the run', async () => {
    const { results, events } = await runApprovals(0);
    expect(results.cells.map((c) => c.adapter)).toEqual(['bullmq', 'temporal']);
    expect(results.cells[0]!.runs.submitted).toBe(results.cells[1]!.runs.submitted);
    for (const cell of results.cells) {
      expect(cell.runs).toMatchObject({ submitted: RUNS, completed: RUNS, failed: 0, lost: 0 });
      expect(cell.effects.applied).toBe(RUNS);
      const runIds = events.flatMap((e) => (e.type === 'submit' && e.cell === cell.id ? [e.runId] : []));
      for (const runId of runIds) {
        const asked = only(events, cell.id, 'attempt', runId, 'review');
        const decided = only(events, cell.id, 'step-done', runId, 'review');
        // The step is done only once the human's decision came back, not when it was asked.
        expect(decided.t - asked.t).toBeGreaterThanOrEqual(DECISION_DELAY_MS);
        expect(decided).toMatchObject({ outcome: 'ok' });
        expect(only(events, cell.id, 'attempt', runId, 'publish').t).toBeGreaterThan(decided.t);
      }
    }
  });

  it('a rejection fails the run, and nothing after the approval runs', async () => {
    const { results, events } = await runApprovals(1);
    for (const cell of results.cells) {
      expect(cell.runs).toMatchObject({ submitted: RUNS, completed: 0, failed: RUNS, lost: 0 });
      expect(cell.effects.applied).toBe(0);
      const inCell = events.filter((e) => e.cell === cell.id);
      const rejected = inCell.filter((e) => e.type === 'step-done' && e.stepId === 'review');
      expect(rejected).toHaveLength(RUNS);
      for (const e of rejected) expect(e).toMatchObject({ outcome: 'permanent-error' });
      expect(inCell.filter((e) => e.type === 'attempt' && e.stepId === 'publish')).toEqual([]);
      const done = inCell.filter((e) => e.type === 'run-done');
      expect(done.map((e) => (e as Extract<HistoryEvent, { type: 'run-done' }>).status)).toEqual(
        Array(RUNS).fill('failed'),
      );
    }
  });
});
