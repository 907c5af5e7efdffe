/**
 * Temporal's Python SDK and the cross-language pipeline on the real dev server, with real
 * Python (and TypeScript) worker processes SIGKILLed: by failpoints right after an effect,
 * and by the nemesis aiming at each role of the polyglot pipeline. Two experiments share
 * their services across cells to keep this quick; the worker conformance suite covers the
 * rest of the protocol (draws, approvals, checkpoints, SIGTERM) for both adapters.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/history/events.js';
import type { CellResult, Results } from '../../core/results.js';
import { managedProcesses } from '../../harness/processes.js';
import { writeReports } from '../../reports/index.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';
import { readRunHistory } from '../helpers/history.js';
import { rerunAfterKill, stepsOf } from '../helpers/kills.js';
import { runForTest } from '../helpers/run.js';

const plan = planRun(loadScenario('rag-ingest'));
/** Short recovery knobs (temporal's schema, which both adapters share). */
const KNOBS = {
  startToCloseTimeout: 3000,
  heartbeatTimeout: 1000,
  stickyQueueScheduleToStartTimeout: 1000,
  retry: { initialInterval: 200, backoffCoefficient: 2, maximumInterval: 2000, maximumAttempts: 0 },
};
/** What temporal's recovery facts credit with recovery from a kill, for KNOBS. */
const GOVERNED_BY = {
  startToCloseTimeout: 3000,
  heartbeatTimeout: 1000,
  'retry.initialInterval': 200,
  stickyQueueScheduleToStartTimeout: 1000,
};
const RUNS = 24;
const LOAD = { runs: RUNS, ratePerSec: 8, workers: 2, warmupRuns: 0, drainTimeoutMs: 30_000 };

type Of<T extends HistoryEvent['type']> = Extract<HistoryEvent, { type: T }>;

interface Run {
  results: Results;
  outDir: string;
  cell(id: string): CellResult;
  of<T extends HistoryEvent['type']>(cell: string, type: T): Of<T>[];
}

async function run(input: Parameters<typeof runForTest>[0]): Promise<Run> {
  const { results, outDir } = await runForTest(input);
  // As `faultline run` does after the run: every report, from the results and the history.
  await writeReports(outDir, results);
  const events = readRunHistory(outDir);
  return {
    results,
    outDir,
    cell: (id) => results.cells.find((c) => c.id === id)!,
    of: <T extends HistoryEvent['type']>(cell: string, type: T) =>
      events.filter((e): e is Of<T> => e.type === type && e.cell === cell),
  };
}

/**
 * Every run the orchestrator acknowledged completed. A submission it refused was never its
 * to lose (a dev server on a loaded machine has been seen to answer "Namespace not found"
 * for a few seconds): those are counted apart, and they must be the only runs missing.
 */
function expectEveryRunCompleted(cell: CellResult): void {
  expect(cell.runs.submitted + cell.runs.refused, cell.id).toBe(RUNS);
  expect(cell.runs.submitted, cell.id).toBeGreaterThan(RUNS / 2);
  expect(cell.runs, cell.id).toMatchObject({ completed: cell.runs.submitted, failed: 0, lost: 0 });
}

afterAll(() => {
  // Every server and worker process of both runs is gone.
  expect(managedProcesses()).toEqual([]);
});

describe('kill-after-effect on Python workers: temporal-python and the cross-language pipeline side by side', () => {
  let r: Run;
  const ids = ['temporal-python', 'temporal-polyglot'].map((a) => `rag-ingest/${a}/kill-after-effect`);

  beforeAll(async () => {
    r = await run({
      seed: 5,
      scenarios: ['rag-ingest'],
      adapters: [
        { name: 'temporal-python', knobs: KNOBS },
        { name: 'temporal-polyglot', knobs: KNOBS },
      ],
      faults: ['kill-after-effect'],
      load: LOAD,
    });
  });

  it('a Python worker SIGKILLed right after applying an effect: the retry applies it again, nothing is lost', () => {
    for (const id of ids) {
      const [cellStart] = r.of(id, 'cell-start');
      const fired = r.of(id, 'fault-start').filter((e) => e.fault === 'failpoint');
      expect(fired.length, id).toBeGreaterThanOrEqual(1);
      for (const start of fired) {
        // The worker that died runs steps in Python: temporal-python's only role, polyglot's activity role.
        expect(cellStart!.roles![start.target], id).toBe(id.includes('polyglot') ? 'activity' : 'worker');
        const { runId } = start.params as { runId: string };
        const applied = r.of(id, 'effect').filter((e) => e.runId === runId && e.stepId === 'persist');
        expect(
          applied.filter((e) => !e.deduplicated),
          `${id} ${runId}`,
        ).toHaveLength(2);
        const exit = r.of(id, 'worker-exit').find((e) => e.worker === start.target && e.t > start.t);
        expect(exit?.signal).toBe('SIGKILL');
      }
      const cell = r.cell(id);
      expect(cell.effects.duplicates, id).toBeGreaterThanOrEqual(fired.length);
      expectEveryRunCompleted(cell);
      expect(cell.effects.applied, id).toBe(
        cell.runs.completed * plan.effectSteps.length + cell.effects.duplicates,
      );
      for (const fault of cell.faults) expect(fault.governedBy, id).toEqual(GOVERNED_BY);
    }
  });

  it('the cross-language pipeline runs every step in the Python activity workers, none in the TypeScript workflow workers', () => {
    const id = ids[1]!;
    const [cellStart] = r.of(id, 'cell-start');
    const roleOf = (worker: string) => cellStart!.roles![worker];
    expect(Object.values(cellStart!.roles!).sort()).toEqual(['activity', 'activity', 'workflow', 'workflow']);
    const attempts = r.of(id, 'attempt');
    expect(attempts.length).toBeGreaterThanOrEqual(RUNS * plan.instances.length);
    expect(new Set(attempts.map((a) => roleOf(a.worker)))).toEqual(new Set(['activity']));
    // Both TypeScript workflow workers were up (they announce themselves like any worker).
    const started = new Set(r.of(id, 'worker-start').map((e) => e.worker));
    for (const worker of cellStart!.workers) expect(started.has(worker), worker).toBe(true);
  });

  it('records what every worker process used, and the cell sums it', () => {
    for (const id of ids) {
      const exits = r.of(id, 'worker-exit');
      const usage = r.of(id, 'worker-usage');
      expect(usage.map((u) => u.pid).sort()).toEqual(exits.map((e) => e.pid).sort());
      const announced = new Set(r.of(id, 'worker-start').map((e) => e.pid));
      for (const u of usage) {
        expect(u.cpuMs, u.worker).toBeGreaterThan(0);
        // No start-up figure only for a process that never announced itself (a restart after
        // the kill, still starting when the cell ended, on a loaded machine).
        if (u.readyCpuMs === null) expect(announced.has(u.pid), `${u.worker} pid ${u.pid}`).toBe(false);
        else expect(u.readyCpuMs, u.worker).toBeLessThanOrEqual(u.cpuMs);
        expect(u.peakRssKb, u.worker).toBeGreaterThan(0);
      }
      const sum = usage.reduce((total, u) => total + u.cpuMs, 0);
      expect(r.cell(id).workerUsage).toMatchObject({ processes: usage.length });
      expect(r.cell(id).workerUsage!.cpuMs).toBeCloseTo(sum, 3);
    }
  });

  it('records each adapter’s lineage, and the report sets the two side by side in a language-parity section', () => {
    const config = JSON.parse(readFileSync(join(r.outDir, 'config.json'), 'utf8'));
    const lineage = Object.fromEntries(
      config.adapters.map((a: { name: string; topology: { lineage: unknown } }) => [
        a.name,
        a.topology.lineage,
      ]),
    );
    expect(lineage).toEqual({
      'temporal-python': { family: 'temporal', language: 'python' },
      'temporal-polyglot': { family: 'temporal', language: 'typescript workflows, python activities' },
    });
    const [python, polyglot] = ids.map((id) => r.cell(id));
    const agree = python!.verdict === polyglot!.verdict ? 'verdicts agree' : 'verdicts differ';
    const md = readFileSync(join(r.outDir, 'report.md'), 'utf8');
    expect(md).toContain('## Language parity');
    expect(md).toContain('### rag-ingest × kill-after-effect (temporal family)');
    expect(md).toContain('|  | **temporal-python** | **temporal-polyglot** |');
    expect(md).toContain(
      `| duplicate effects | ${python!.effects.duplicates} | ${polyglot!.effects.duplicates} |`,
    );
    expect(md).toContain(
      `Temporal-polyglot (typescript workflows, python activities) against temporal-python (python): ${agree}`,
    );
    const html = readFileSync(join(r.outDir, 'report.html'), 'utf8');
    expect(html).toContain('<h2 id="language-parity">Language parity</h2>');
    expect(html).toContain(agree);
  });
});

describe('the cross-language pipeline under a kill of each language’s workers', () => {
  let r: Run;
  const id = 'rag-ingest/temporal-polyglot/schedule';

  beforeAll(async () => {
    r = await run({
      seed: 9,
      scenarios: ['rag-ingest'],
      adapters: [{ name: 'temporal-polyglot', knobs: KNOBS }],
      faults: ['schedule'],
      faultSchedule: [
        { kind: 'kill', at: '20%', target: 'worker@activity' },
        { kind: 'kill', at: '60%', target: 'worker@workflow' },
      ],
      load: LOAD,
    });
  });

  it('kills a Python activity worker (its steps die) and a TypeScript workflow worker (no step dies); every run completes', () => {
    const [cellStart] = r.of(id, 'cell-start');
    const [activityKill, workflowKill] = r.of(id, 'fault-start');
    expect(cellStart!.roles![activityKill!.target]).toBe('activity');
    expect(activityKill!.killed).toEqual([activityKill!.target]);
    expect(cellStart!.roles![workflowKill!.target]).toBe('workflow');
    expect(workflowKill).not.toHaveProperty('killed');
    for (const kill of [activityKill!, workflowKill!]) {
      const exit = r.of(id, 'worker-exit').find((e) => e.worker === kill.target && e.t >= kill.t);
      expect(exit?.signal, kill.target).toBe('SIGKILL');
    }
    const cell = r.cell(id);
    expectEveryRunCompleted(cell);
    // Only a step the activity kill cost the orchestrator (running, or finished but not yet
    // reported) can have applied its effect twice.
    const held = rerunAfterKill([...r.of(id, 'attempt'), ...r.of(id, 'step-done')], activityKill!);
    expect(cell.effects.duplicates).toBeLessThanOrEqual(stepsOf(held).size);
  });

  it('the results and the report say which kind of worker each kill hit', () => {
    const cell = r.cell(id);
    expect(cell.faults.map((f) => f.roles)).toEqual([['activity'], ['workflow']]);
    // The activity kill interrupted steps, whose recovery the knobs govern; the workflow kill none.
    expect(cell.faults[0]!.governedBy).toEqual(GOVERNED_BY);
    expect(cell.faults[1]).not.toHaveProperty('governedBy');
    const md = readFileSync(join(r.outDir, 'report.md'), 'utf8');
    const targets = cell.faults.map((f) => f.target).join(', ');
    expect(md).toContain(`The faults hit activity and workflow workers (${targets}).`);
  });
});
