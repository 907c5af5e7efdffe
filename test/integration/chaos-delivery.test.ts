import { afterEach, describe, expect, it } from 'vitest';
import { builtInAdapters } from '../../adapters/index.js';
import type { HistoryEvent } from '../../core/history/events.js';
import type { CellResult } from '../../core/results.js';
import type { ExperimentInput } from '../../harness/config/experiment.js';
import { managedProcesses } from '../../harness/processes.js';
import { readRunHistory } from '../helpers/history.js';
import { runForTest } from '../helpers/run.js';

/**
 * Each library's documented delivery semantics, reproduced on the real services.
 * Knobs are short to keep this fast; they are also what governs recovery:
 * BullMQ finds a dead worker's job once its lock expired, at the next stalled check;
 * Temporal retries a dead worker's activity once its start-to-close timeout passed.
 */
const FAST_KNOBS: Record<string, Record<string, unknown>> = {
  bullmq: { lockDuration: 2000, stalledInterval: 1000 },
  temporal: {
    startToCloseTimeout: 3000,
    heartbeatTimeout: 2000,
    stickyQueueScheduleToStartTimeout: 1000,
    retry: { initialInterval: 200, backoffCoefficient: 2, maximumInterval: 2000, maximumAttempts: 0 },
  },
};
/** Temporal's dev server does fewer runs/s than Redis on a small shared box: a gentler load, a longer drain. */
const LOAD: Record<string, Record<string, number>> = {
  bullmq: { runs: 100, ratePerSec: 20, drainTimeoutMs: 20_000 },
  temporal: { runs: 60, ratePerSec: 10, drainTimeoutMs: 45_000 },
};
/** The knobs each adapter credits with recovery from a kill, with the values FAST_KNOBS set. */
const GOVERNED_BY: Record<string, Record<string, unknown>> = {
  bullmq: { lockDuration: 2000, stalledInterval: 1000 },
  temporal: {
    startToCloseTimeout: 3000,
    heartbeatTimeout: 2000,
    'retry.initialInterval': 200,
    stickyQueueScheduleToStartTimeout: 1000,
  },
};
const governedByOf = (adapter: string) => {
  const expected = GOVERNED_BY[adapter];
  if (!expected) throw new Error(`add the recovery knobs of adapter ${adapter} to GOVERNED_BY`);
  return expected;
};

async function runChaos(adapter: string, input: Partial<ExperimentInput>) {
  const { results, outDir } = await runForTest({
    scenarios: ['rag-ingest'],
    adapters: [{ name: adapter, knobs: FAST_KNOBS[adapter] ?? {} }],
    seed: 1,
    ...input,
    load: { workers: 2, ...LOAD[adapter], ...input.load },
  });
  const events = readRunHistory(outDir);
  return { cell: results.cells[0]! as CellResult, events };
}

const ofType = <T extends HistoryEvent['type']>(events: HistoryEvent[], type: T) =>
  events.filter((e): e is Extract<HistoryEvent, { type: T }> => e.type === type);

/** Effects the world applied (not deduplicated), per run and step. */
const appliedTimes = (events: HistoryEvent[], runId: string, stepId: string) =>
  ofType(events, 'effect').filter((e) => e.runId === runId && e.stepId === stepId && !e.deduplicated).length;

afterEach(() => {
  // Every server and worker process of the run is gone.
  expect(managedProcesses()).toEqual([]);
});

/**
 * Delivery semantics are the orchestrator's, not its SDK's: they are reproduced on the
 * first adapter of each orchestrator family (its declared lineage), and an adapter of a
 * family already covered is listed with the reason. Adapters that declare no family are
 * each their own.
 */
const measuredOn = new Map<string, string>();
const measured: string[] = [];
const coveredElsewhere: [string, string][] = [];
/**
 * Adapters whose chaos is tested in a file of their own, and why: Celery's kills can lose
 * the one delivery in flight and a chord's callback (adapters/celery/README.md), which the
 * assertions here do not allow for.
 */
const TESTED_ELSEWHERE: Record<string, string> = {
  celery:
    "celery's kills can lose a delivery in flight, which these assertions do not allow for: test/integration/celery.test.ts checks its kills, experiments/celery-*.yaml its other faults",
};
for (const adapter of await builtInAdapters()) {
  const elsewhere = TESTED_ELSEWHERE[adapter.name];
  if (elsewhere !== undefined) {
    coveredElsewhere.push([adapter.name, elsewhere]);
    continue;
  }
  const family = adapter.lineage?.family;
  const first = family === undefined ? undefined : measuredOn.get(family);
  if (first !== undefined) {
    coveredElsewhere.push([
      adapter.name,
      `${family}'s delivery semantics are measured on ${first}; ${adapter.name}'s workers under kills are compared with it in test/integration/temporal-python.test.ts`,
    ]);
    continue;
  }
  if (family !== undefined) measuredOn.set(family, adapter.name);
  measured.push(adapter.name);
}

describe.each(coveredElsewhere)('chaos on %s', (_, reason) => {
  it.skip(reason, () => {});
});

describe.each(measured)('chaos on %s, real services', (adapter) => {
  it('kill-after-effect: the effect is applied twice, recovery is governed by the knob, nothing is lost', async () => {
    const { cell, events } = await runChaos(adapter, { faults: ['kill-after-effect'] });
    const fired = ofType(events, 'fault-start').filter((e) => e.fault === 'failpoint');
    expect(fired.length).toBeGreaterThanOrEqual(1);
    let extraApplications = 0;
    for (const start of fired) {
      // Written by the worker itself right before it died: the run and step it died in.
      expect(start.params).toMatchObject({ point: 'after-effect', step: 'persist' });
      // Once before the kill and once by the retry; a retry that outlived its own timeout
      // on a loaded machine is retried again and may apply it a third time (at least once).
      const applied = appliedTimes(events, String(start.params!.runId), 'persist');
      expect(applied).toBeGreaterThanOrEqual(2);
      extraApplications += applied - 1;
      const exit = ofType(events, 'worker-exit').find((e) => e.worker === start.target && e.t >= start.t);
      expect(exit?.signal).toBe('SIGKILL');
    }
    expect(cell.effects.duplicates).toBeGreaterThanOrEqual(extraApplications);
    expect(cell.runs.lost).toBe(0);
    expect(cell.faults).toHaveLength(fired.length);
    for (const fault of cell.faults) {
      expect(fault.kind).toBe('failpoint');
      expect(fault.governedBy).toEqual(governedByOf(adapter));
      expect(fault.timeToFirstProgressMs).not.toBeNull();
    }
  });

  it('kill-after-effect with idempotency keys: the second application is deduplicated', async () => {
    const { cell, events } = await runChaos(adapter, { faults: ['kill-after-effect'], idempotent: true });
    const fired = ofType(events, 'fault-start').filter((e) => e.fault === 'failpoint');
    expect(fired.length).toBeGreaterThanOrEqual(1);
    expect(cell.effects.duplicates).toBe(0);
    expect(cell.effects.deduplicated).toBeGreaterThanOrEqual(fired.length);
    expect(cell.runs.lost).toBe(0);
  });

  it('worker-kill: SIGKILL one worker, the supervisor restarts it, nothing is lost', async () => {
    const { cell, events } = await runChaos(adapter, { faults: ['worker-kill'] });
    const [kill] = ofType(events, 'fault-start');
    expect(kill).toMatchObject({ fault: 'kill', params: { signal: 'SIGKILL' } });
    const exit = ofType(events, 'worker-exit').find(
      (e) => e.worker === kill!.target && e.signal === 'SIGKILL',
    );
    expect(exit).toBeDefined();
    const restarted = ofType(events, 'worker-start').filter(
      (e) => e.worker === kill!.target && e.t > exit!.t,
    );
    expect(restarted.length).toBeGreaterThanOrEqual(1);
    expect(cell.runs.lost).toBe(0);
    expect(cell.faults[0]).toMatchObject({ kind: 'kill', target: kill!.target });
    expect(cell.faults[0]!.governedBy).toEqual(governedByOf(adapter));
  });

  it.each([
    ['off', false],
    ['on', true],
  ])('backend-restart with persistence %s', async (_, persistence) => {
    const { cell, events } = await runChaos(adapter, {
      // Slower model calls keep more runs in flight when the server goes down.
      faultSchedule: [
        { kind: 'model-latency', at: '20%', duration: 3000, params: { extraLatencyMs: 300 } },
        { kind: 'backend-restart', at: '40%', target: 'backend', params: { downMs: 1000 } },
      ],
      backendPersistence: persistence,
      // Without persistence the runs in flight are gone for good: a short drain, not a wait
      // for runs that cannot come back (the others finish within seconds of the restart).
      ...(persistence ? {} : { load: { drainTimeoutMs: 10_000 } }),
    });
    const start = ofType(events, 'fault-start').find((e) => e.fault === 'backend-restart')!;
    const end = ofType(events, 'fault-end').find((e) => e.faultId === start.faultId)!;
    expect(start.target).toBe(adapter === 'bullmq' ? 'redis' : 'temporal');
    expect(end.t - start.t).toBeGreaterThanOrEqual(1000); // 1 s down, then until it answers
    // The runs in flight lived only in the server's memory: without persistence they are gone.
    if (persistence) expect(cell.runs.lost).toBe(0);
    else expect(cell.runs.lost).toBeGreaterThan(0);
    expect(cell.runs.completed).toBeGreaterThan(0);
  });

  it('a schedule of network and world faults: each starts, ends, and is healed before the drain', async () => {
    const { cell, events } = await runChaos(adapter, {
      // A lock that outlasts each partition by far: with FAST_KNOBS' 2 s lock, renewals a
      // loaded machine delays plus a 1 s partition let BullMQ declare a finished job stalled
      // twice and fail its run (maxStalledCount 1), a real outcome but not this test's subject.
      adapters: [
        {
          name: adapter,
          knobs: { ...FAST_KNOBS[adapter], ...(adapter === 'bullmq' ? { lockDuration: 8000 } : {}) },
        },
      ],
      faultSchedule: [
        { kind: 'latency', at: '10%', duration: 500, target: 'orchestrator', params: { latency: 100 } },
        { kind: 'partition', at: '30%', duration: 800, target: 'orchestrator' },
        { kind: 'model-latency', at: '50%', duration: 500, params: { extraLatencyMs: 300 } },
        { kind: 'latency', at: '50%', duration: 500, target: 'world', params: { latency: 100 } },
        // Would outlast the load by far: healAll ends it before the drain.
        { kind: 'partition', at: '80%', duration: 600_000, target: 'orchestrator' },
      ],
    });
    const starts = ofType(events, 'fault-start');
    const ends = ofType(events, 'fault-end');
    expect(starts.map((e) => `${e.fault} ${e.target}`)).toEqual([
      `latency ${adapter === 'bullmq' ? 'broker' : 'server'}`,
      `partition ${adapter === 'bullmq' ? 'broker' : 'server'}`,
      'model-latency model',
      'latency world',
      `partition ${adapter === 'bullmq' ? 'broker' : 'server'}`,
    ]);
    expect(ends.map((e) => e.faultId).sort()).toEqual(starts.map((e) => e.faultId).sort());
    const lastSubmit = Math.max(...ofType(events, 'submit').map((e) => e.t));
    const long = ends.find((e) => e.faultId === 'f5')!;
    const longStart = starts.find((e) => e.faultId === 'f5')!;
    // Healed by healAll once the submissions were over, not by its 600 s duration.
    expect(long.t).toBeGreaterThanOrEqual(lastSubmit);
    expect(long.t - longStart.t).toBeLessThan(600_000);
    expect(cell.runs.lost).toBe(0);
    expect(cell.faults.map((f) => f.id)).toEqual(['f1', 'f2', 'f3', 'f4', 'f5']);
    for (const fault of cell.faults) expect(fault.endMs).toBeGreaterThan(fault.startMs);
  });
});
