import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { adapterNames } from '../../adapters/index.js';
import type { HistoryEvent } from '../../core/history/events.js';
import type { CellResult } from '../../core/results.js';
import { loadScenarioFile } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';
import { attemptDraws } from '../../scenarios/runtime.js';
import { readRunHistory } from '../helpers/history.js';
import { runForTest } from '../helpers/run.js';

const SCENARIO_PATH = fileURLToPath(new URL('../fixtures/scenarios/kitchen-sink.json', import.meta.url));
const scenario = loadScenarioFile(SCENARIO_PATH);
const plan = planRun(scenario);
/** Other runtimes' floating-point work times may differ from V8's in the last ulp. */
const REL_TOLERANCE = 1e-9;

/** Short recovery knobs, so a worker killed at a failpoint costs seconds, not the libraries' defaults. */
const TEMPORAL_KNOBS = {
  startToCloseTimeout: 3000,
  heartbeatTimeout: 1000,
  stickyQueueScheduleToStartTimeout: 1000,
  retry: { initialInterval: 200, backoffCoefficient: 2, maximumInterval: 2000, maximumAttempts: 0 },
};
const KNOBS: Record<string, Record<string, unknown>> = {
  bullmq: { lockDuration: 2000, stalledInterval: 1000 },
  temporal: TEMPORAL_KNOBS,
  'temporal-python': TEMPORAL_KNOBS,
  'temporal-polyglot': TEMPORAL_KNOBS,
  // acks_late, so a worker that dies at the failpoint leaves its task to be redelivered; a
  // visibility timeout past the chord dispatch lease (6–21 s, adapters/celery/README.md), so a
  // redelivered chord header task can still publish its callback (and a restore lock no longer
  // than that, for a worker killed inside its sweep); retries backing off from 1 s.
  celery: {
    acks_late: true,
    visibility_timeout: 25,
    broker_transport_options: {
      unacked_restore_interval: 1,
      unacked_restore_throttle: 1,
      unacked_mutex_expire: 25,
    },
    worker_prefetch_multiplier: 1,
    retry_backoff: true,
  },
};

/**
 * The protocol's two endings: a graceful stop of every worker (once one has steps in
 * flight), then, once they are back, a failpoint right after the first effect.
 */
const SCHEDULE = [
  { kind: 'kill', at: '30%', target: 'workers', params: { signal: 'SIGTERM' } },
  { kind: 'failpoint', at: '60%', params: { point: 'after-effect', step: 'persist', nth: 1, once: true } },
];
const RUNS = 24;

type Of<T extends HistoryEvent['type']> = Extract<HistoryEvent, { type: T }>;

interface CellHistory {
  result: CellResult;
  events: HistoryEvent[];
  of<T extends HistoryEvent['type']>(type: T): Of<T>[];
}

const executed = (stepId: string) => plan.byId.get(stepId)?.spec.kind !== 'approval';
const attemptKey = (e: { runId: string; stepId: string; attempt: number; worker: string }) =>
  `${e.runId}|${e.stepId}|${e.attempt}|${e.worker}`;

describe.each(adapterNames())('worker conformance: %s', (adapter) => {
  const cells = new Map<string, CellHistory>();
  const cell = (fault: string) => cells.get(`kitchen-sink/${adapter}/${fault}`)!;

  beforeAll(async () => {
    const knobs = KNOBS[adapter];
    if (!knobs) throw new Error(`add quick-recovery knobs for adapter ${adapter} to KNOBS`);
    const { results, outDir } = await runForTest({
      seed: 7,
      scenarios: [SCENARIO_PATH],
      adapters: [{ name: adapter, knobs }],
      faults: ['none', 'schedule'],
      faultSchedule: SCHEDULE,
      idempotent: true,
      // A generous drain costs nothing when runs finish; on a loaded machine it keeps slow from looking lost.
      load: { runs: RUNS, ratePerSec: 6, workers: 2, warmupRuns: 0, drainTimeoutMs: 90_000 },
    });
    const all = readRunHistory(outDir);
    for (const result of results.cells) {
      const events = all.filter((e) => e.cell === result.id);
      cells.set(result.id, {
        result,
        events,
        of: <T extends HistoryEvent['type']>(type: T) => events.filter((e): e is Of<T> => e.type === type),
      });
    }
  });

  it('draws every attempt’s work and failure as the reference step runtime does', () => {
    for (const fault of ['none', 'schedule']) {
      const h = cell(fault);
      const attempts = h.of('attempt').filter((e) => executed(e.stepId));
      // Approval attempts aside, every run's steps are attempted at least once.
      expect(attempts.length).toBeGreaterThanOrEqual(RUNS * (plan.instances.length - 1));
      for (const a of attempts) {
        const expected = attemptDraws(plan.byId.get(a.stepId)!.spec, a.runId, a.stepId, a.attempt);
        expect(a.workMs, `${a.runId} ${a.stepId} attempt ${a.attempt}`).toBeCloseTo(expected.workMs, 9);
        expect(Math.abs(a.workMs! - expected.workMs)).toBeLessThanOrEqual(REL_TOLERANCE * expected.workMs);
      }
      const started = new Set(attempts.map(attemptKey));
      for (const done of h.of('step-done').filter((e) => executed(e.stepId))) {
        // Every step-done closes an attempt of the same worker, and its outcome is the drawn one.
        expect(started.has(attemptKey(done)), attemptKey(done)).toBe(true);
        const expected = attemptDraws(
          plan.byId.get(done.stepId)!.spec,
          done.runId,
          done.stepId,
          done.attempt,
        );
        expect(done.outcome, `${done.runId} ${done.stepId} attempt ${done.attempt}`).toBe(expected.failure);
      }
    }
  });

  it('runs exactly the planned step instances of every completed run: fan-out items, approval, the checkpointed step', () => {
    const h = cell('none');
    const completed = h.of('run-done').filter((e) => e.status === 'completed');
    expect(completed.length).toBeGreaterThan(0);
    const planned = plan.instances.map((i) => i.id).sort();
    for (const run of completed) {
      const done = h.of('step-done').filter((e) => e.runId === run.runId && e.outcome === 'ok');
      expect([...new Set(done.map((e) => e.stepId))].sort(), run.runId).toEqual(planned);
    }
    // The checkpointed step records where it resumed (from scratch without a kill) and its whole work.
    for (const a of h.of('attempt').filter((e) => e.stepId === 'train')) {
      expect(a.resumedFromMs).toBe(0);
      expect(a.workMs).toBeGreaterThan(0);
    }
    // Approval attempts draw nothing.
    for (const a of h.of('attempt').filter((e) => e.stepId === 'review'))
      expect(a).not.toHaveProperty('workMs');
  });

  it('applies effects with the idempotency key (run:step) and the run as correlation id', () => {
    for (const fault of ['none', 'schedule']) {
      const effects = cell(fault).of('effect');
      expect(effects.length).toBeGreaterThan(0);
      for (const e of effects) {
        expect(plan.effectSteps).toContain(e.stepId);
        expect(e.key).toBe(`${e.runId}:${e.stepId}`);
        expect(e.correlationId).toBe(e.runId);
      }
    }
  });

  it('announces readiness itself: the worker-start in its own history names the pid that later exits', () => {
    for (const fault of ['none', 'schedule']) {
      const h = cell(fault);
      const [cellStart] = h.of('cell-start');
      const [cellEnd] = h.of('cell-end');
      const starts = h.of('worker-start');
      const exits = h.of('worker-exit');
      expect(new Set(starts.map((e) => e.worker))).toEqual(new Set(cellStart!.workers));
      let announced = 0;
      for (const exit of exits) {
        const start = starts.filter((s) => s.worker === exit.worker && s.t < exit.t).at(-1);
        if (start?.pid === exit.pid) {
          announced++;
          continue;
        }
        // The one exception: a restart (after a kill) still starting when the cell ended, which
        // the harness stopped before it announced itself (seconds, on a loaded machine). Such
        // an incarnation never took a step.
        const unannounced = `${exit.worker} exited (pid ${exit.pid}) without announcing itself`;
        expect(exit.t, unannounced).toBeGreaterThan(cellEnd!.t);
        const before = exits.filter((e) => e.worker === exit.worker && e.t < exit.t).at(-1);
        expect(before, unannounced).toBeDefined();
        const stepsTaken = h
          .of('attempt')
          .filter((a) => a.worker === exit.worker && a.t > before!.t && a.t < exit.t);
        expect(stepsTaken, unannounced).toEqual([]);
      }
      expect(announced).toBeGreaterThanOrEqual(cellStart!.workers.length);
    }
  });

  it('honours failpoints: records the fault-start with its own pid, then dies by SIGKILL right after the effect', () => {
    const h = cell('schedule');
    const fired = h.of('fault-start').filter((e) => e.fault === 'failpoint');
    expect(fired.length).toBeGreaterThanOrEqual(1);
    for (const start of fired) {
      const { runId, step, attempt } = start.params as { runId: string; step: string; attempt: number };
      expect(start.params).toMatchObject({ point: 'after-effect', step: 'persist', nth: 1 });
      expect(start.killed).toEqual([start.target]);
      const pid = Number(start.faultId.split(':').at(-1));
      expect(start.faultId).toBe(`f2:${start.target}:${pid}`);
      // The effect reached the world before the worker died, and the attempt never finished there.
      expect(h.of('effect').some((e) => e.runId === runId && e.stepId === step && e.t < start.t)).toBe(true);
      const exit = h.of('worker-exit').find((e) => e.worker === start.target && e.t > start.t);
      expect(exit).toMatchObject({ pid, signal: 'SIGKILL' });
      // Not in the incarnation that died: a redelivery to the restarted worker (same id) may
      // carry the same attempt number (Celery counts retries, not deliveries).
      const finished = h
        .of('step-done')
        .some(
          (e) =>
            e.runId === runId &&
            e.stepId === step &&
            e.attempt === attempt &&
            e.worker === start.target &&
            e.t < exit!.t,
        );
      expect(finished).toBe(false);
    }
  });

  it('finishes its steps in flight on SIGTERM, then exits 0', () => {
    const h = cell('schedule');
    const stop = h.of('fault-start').find((e) => e.fault === 'kill');
    expect(stop?.params).toMatchObject({ signal: 'SIGTERM' });
    expect(stop).not.toHaveProperty('killed');
    // Not a vacuous pass: the harness saw steps in flight at the workers it stopped (the long
    // `train` step sees to it). Its own record, not a comparison of `t`s: a worker stamps a
    // step-done before writing it, so one stamped just before the stop may have been unwritten
    // (the step still in flight) when the harness looked.
    const caught = stop!.inFlight ?? [];
    expect(caught.length).toBeGreaterThan(0);
    const exits = new Map<string, Of<'worker-exit'>>();
    for (const worker of stop!.target.split(',')) {
      const exit = h.of('worker-exit').find((e) => e.worker === worker && e.t > stop!.t)!;
      expect(exit, `${worker} did not exit after SIGTERM`).toBeDefined();
      expect(exit).toMatchObject({ code: 0, signal: null });
      exits.set(worker, exit);
      const start = h
        .of('worker-start')
        .filter((s) => s.worker === worker && s.t < exit.t)
        .at(-1)!;
      // Every step this incarnation began before it exited, it also finished before it exited.
      const done = new Set(
        h
          .of('step-done')
          .filter((e) => e.worker === worker && e.t <= exit.t)
          .map(attemptKey),
      );
      const begun = h
        .of('attempt')
        .filter((e) => e.worker === worker && executed(e.stepId) && e.t > start.t && e.t < exit.t);
      for (const a of begun) expect(done.has(attemptKey(a)), `${attemptKey(a)} cut short`).toBe(true);
    }
    // Each step the stop caught, the worker holding it finished before it exited.
    for (const step of caught) {
      const exit = exits.get(step.worker);
      expect(exit, `${step.worker} held ${step.stepId} but was not stopped`).toBeDefined();
      const finished = h.of('step-done').some((e) => attemptKey(e) === attemptKey(step) && e.t <= exit!.t);
      expect(finished, `${attemptKey(step)} cut short`).toBe(true);
    }
  });

  it('passes the checker: every run finished, no effect applied twice', () => {
    for (const fault of ['none', 'schedule']) {
      const { result } = cell(fault);
      expect(result.runs.lost, fault).toBe(0);
      expect(result.runs.completed + result.runs.failed, fault).toBe(RUNS);
      expect(result.effects.duplicates, fault).toBe(0);
      expect(result.verdict, fault).toBe('pass');
    }
  });
});
