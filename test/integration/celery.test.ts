import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLOCK_ANCHOR_ENV } from '../../core/clock.js';
import type { HistoryEvent } from '../../core/history/events.js';
import { deriveSeed, seededRng } from '../../core/random.js';
import type { CellResult } from '../../core/results.js';
import { listCommand } from '../../harness/cli/list.js';
import { managedProcesses } from '../../harness/processes.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun, type RunPlan } from '../../scenarios/plan.js';
import { sampleDuration } from '../../scenarios/sampling.js';
import { FAST_CELERY_KNOBS } from '../helpers/celery.js';
import { readRunHistory } from '../helpers/history.js';
import { runForTest } from '../helpers/run.js';

/**
 * The Celery adapter on real Redis with real Celery workers (Python processes, prefork
 * pools), really SIGKILLed: the whole worker and one pool child. Runs share experiments
 * (one experiment, several cells) and knobs are short, to keep the suite within its time.
 */

const SCENARIOS = [
  'rag-ingest',
  'preprocess-fanout',
  'training-orchestration',
  'approval-decision',
  'agent-coordination',
];

const RAG = planRun(loadScenario('rag-ingest'));

const BIN = join(import.meta.dirname, '../../bin/faultline.js');

const ofType = <T extends HistoryEvent['type']>(events: HistoryEvent[], type: T, cell?: string) =>
  events.filter(
    (e): e is Extract<HistoryEvent, { type: T }> =>
      e.type === type && (cell === undefined || e.cell === cell),
  );

/** The work the reference runtime draws for an attempt (scenarios/runtime.ts). */
function referenceWorkMs(plan: RunPlan, runId: string, stepId: string, attempt: number): number {
  const spec = plan.byId.get(stepId)!.spec;
  if (spec.checkpoint !== undefined)
    return sampleDuration(spec.work, seededRng(deriveSeed(runId, stepId, 'work')));
  const rng = seededRng(deriveSeed(runId, stepId, attempt));
  rng(); // the failure draw comes first
  return sampleDuration(spec.work, rng);
}

/**
 * Lost runs that Celery's two known ways of losing a run under acks_late do not explain
 * (adapters/celery/README.md, "What governs recovery"):
 * - in flight: Redis popped one of the run's messages for a worker (BRPOP) that died before
 *   recording it as unacknowledged. A step instance whose task was published (its
 *   dependencies all finished ok; a root step's, once the run was due) never had an attempt,
 *   and a worker was SIGKILLed after it was published. Its siblings in a chord may run on:
 *   the run's last event need not be the step before it.
 * - a chord's callback: a header task finished, its worker died while dispatching the
 *   callback, and the redelivered header task found the dead worker's dispatch claim still
 *   held (a lease of 6 to 21 s, longer than these tests' visibility timeout): nobody
 *   publishes the callback. The run's last step ran twice, around a kill, and its dependents
 *   never started.
 * A worker killed inside its restore sweep holds back every restore until the sweep's lock
 * expires: FAST_CELERY_KNOBS keep that lock as short as the visibility timeout, so it delays
 * recovery by seconds and loses nothing.
 */
function unexplainedLost(events: HistoryEvent[], cell: CellResult, plan: RunPlan): string[] {
  const done = new Set(ofType(events, 'run-done', cell.id).map((e) => e.runId));
  const lost = ofType(events, 'submit', cell.id)
    .map((e) => e.runId)
    .filter((runId) => !done.has(runId));
  const deaths = ofType(events, 'worker-exit', cell.id)
    .filter((e) => e.signal === 'SIGKILL')
    .map((e) => e.t);
  return lost.filter((runId) => {
    const ofRun = events.filter((e) => e.cell === cell.id && 'runId' in e && e.runId === runId);
    const attempted = new Set(
      ofType(events, 'attempt', cell.id)
        .filter((e) => e.runId === runId)
        .map((e) => e.stepId),
    );
    const doneOkAt = new Map(
      ofType(events, 'step-done', cell.id)
        .filter((e) => e.runId === runId && e.outcome === 'ok')
        .map((e) => [e.stepId, e.t]),
    );
    // The submitter publishes a run's root tasks once the run is due (its intended time).
    const dueAt = ofType(events, 'submit', cell.id).find((e) => e.runId === runId)!.intendedAt;
    const poppedByTheDead = plan.instances.some((step) => {
      if (attempted.has(step.id)) return false;
      const ready = step.dependsOn.map((dep) => doneOkAt.get(dep));
      if (ready.some((t) => t === undefined)) return false;
      const publishedAt = Math.max(dueAt, ...(ready as number[]));
      return deaths.some((t) => t >= publishedAt);
    });
    if (poppedByTheDead) return false; // in flight
    const last = ofRun.at(-1);
    if (last?.type !== 'step-done' || last.outcome !== 'ok') return true;
    const tries = ofRun.filter((e) => e.type === 'attempt' && e.stepId === last.stepId).map((e) => e.t);
    const dependents = plan.dependents.get(last.stepId) ?? [];
    const chordStuck =
      tries.length >= 2 &&
      deaths.some((t) => t > tries[0]! && t < tries.at(-1)!) &&
      !ofRun.some((e) => e.type === 'attempt' && dependents.includes(e.stepId));
    return !chordStuck;
  });
}

/**
 * Celery processes (workers, pool children, submitters) this test process started, found by
 * the clock anchor every process the harness starts inherits (core/clock.ts): a pool child
 * orphaned by its dead worker is no longer our descendant, but it still carries our anchor;
 * another suite's or checkout's processes on the same machine carry theirs.
 */
function celeryProcessesOfThisSuite(): string[] {
  const anchor = process.env[CLOCK_ANCHOR_ENV];
  if (anchor === undefined)
    throw new Error(`${CLOCK_ANCHOR_ENV} is not set: the harness's clock was never loaded`);
  const ours = `${CLOCK_ANCHOR_ENV}=${anchor}`;
  const pids = spawnSync('pgrep', ['-f', 'faultline_celery'], { encoding: 'utf8' }).stdout.trim().split('\n');
  return pids.filter((pid) => {
    if (pid === '') return false;
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(ours);
    } catch {
      return false; // gone since pgrep listed it
    }
  });
}

afterEach(() => {
  // Every server, worker, pool child and submitter of the run is gone.
  expect(managedProcesses()).toEqual([]);
  expect(celeryProcessesOfThisSuite()).toEqual([]);
});

describe('Celery adapter: real Redis, real Celery workers', () => {
  it('runs all five scenarios: every run finishes, no effect twice, every planned step done, work as the reference draws it', async () => {
    const runs = 6;
    const { results, outDir } = await runForTest({
      scenarios: SCENARIOS,
      adapters: [
        {
          name: 'celery',
          knobs: { retry_backoff: true, without_mingle: true, without_gossip: true, without_heartbeat: true },
        },
      ],
      load: { runs, ratePerSec: 8, workers: 2, drainTimeoutMs: 30_000 },
      approver: { delayMs: 100, rejectRate: 0.3 },
      seed: 11,
    });
    const events = readRunHistory(outDir);
    expect(results.cells.map((c) => c.scenario)).toEqual(SCENARIOS);
    for (const cell of results.cells) {
      const plan = planRun(loadScenario(cell.scenario));
      expect(cell.runs).toMatchObject({ submitted: runs, lost: 0 });
      expect(cell.runs.completed + cell.runs.failed).toBe(runs);
      if (!plan.canFail) expect(cell.runs.failed).toBe(0);
      expect(cell.effects.duplicates).toBe(0);
      expect(cell.verdict).toBe('pass');
      // Every planned step instance of every completed run has an ok step-done.
      const completed = ofType(events, 'run-done', cell.id).filter((e) => e.status === 'completed');
      const okSteps = new Set(
        ofType(events, 'step-done', cell.id)
          .filter((e) => e.outcome === 'ok')
          .map((e) => `${e.runId} ${e.stepId}`),
      );
      for (const run of completed)
        for (const instance of plan.instances) expect(okSteps).toContain(`${run.runId} ${instance.id}`);
      // Every attempt drew the work the TypeScript reference draws for it.
      const attempts = ofType(events, 'attempt', cell.id).filter((e) => e.workMs !== undefined);
      expect(attempts.length).toBeGreaterThanOrEqual(completed.length * (plan.instances.length - 1));
      for (const a of attempts) {
        expect(a.workMs).toBeCloseTo(referenceWorkMs(plan, a.runId, a.stepId, a.attempt), 9);
        // Steps ran in pool children, each attempt naming its process.
        expect(a.pid).toBeTypeOf('number');
      }
    }
    // The approval scenario rejected some runs: each was rolled back (the checker's verdict
    // covers the saga rule), its failure recorded after its compensations.
    const approvals = results.cells.find((c) => c.scenario === 'approval-decision')!;
    expect(approvals.runs.failed).toBeGreaterThan(0);
    expect(approvals.effects.compensated).toBeGreaterThan(0);
    // Every knob's value is recorded, Celery's defaults included.
    expect(approvals.knobs).toMatchObject({
      acks_late: false,
      visibility_timeout: 3600,
      worker_prefetch_multiplier: 4,
    });
    // A cell starts its workers while the previous cell's stop (a warm shutdown of about 2 s)
    // is under way, but its measurement begins only once that cell's workers have exited.
    for (const [previous, cell] of results.cells.slice(1).map((c, i) => [results.cells[i]!, c] as const)) {
      const exits = ofType(events, 'worker-exit', previous.id).map((e) => e.t);
      expect(exits, previous.id).toHaveLength(2);
      const [cellStart] = ofType(events, 'cell-start', cell.id);
      expect(Math.max(...exits), cell.id).toBeLessThan(cellStart!.t);
    }
  });

  it('a whole worker and a worker at a failpoint, SIGKILLed under acks_late: their unacknowledged messages come back', async () => {
    const { results, outDir } = await runForTest({
      scenarios: ['rag-ingest'],
      adapters: [{ name: 'celery', knobs: { ...FAST_CELERY_KNOBS, acks_late: true } }],
      faults: ['worker-kill', 'kill-after-effect'],
      load: { runs: 30, ratePerSec: 10, workers: 2, drainTimeoutMs: 15_000 },
      seed: 2,
    });
    const events = readRunHistory(outDir);
    const [workerKill, afterEffect] = results.cells as [CellResult, CellResult];

    // The whole worker: its process group died, the supervisor restarted it, and its
    // unacknowledged messages came back once their visibility timeout passed.
    const [kill] = ofType(events, 'fault-start', workerKill.id);
    const exit = ofType(events, 'worker-exit', workerKill.id).find((e) => e.worker === kill!.target);
    expect(exit?.signal).toBe('SIGKILL');
    expect(
      ofType(events, 'worker-start', workerKill.id).some((e) => e.worker === kill!.target && e.t > exit!.t),
    ).toBe(true);
    const killedPids = new Set(
      ofType(events, 'attempt', workerKill.id)
        .filter((e) => e.worker === kill!.target && e.t < kill!.t)
        .map((e) => e.pid),
    );
    expect(killedPids.size).toBeGreaterThan(0);
    // No pool child of the killed worker ran anything after the kill: the group died.
    const laterPids = ofType(events, 'attempt', workerKill.id)
      .filter((e) => e.t > exit!.t)
      .map((e) => e.pid);
    expect(laterPids.filter((pid) => killedPids.has(pid))).toEqual([]);
    expect(unexplainedLost(events, workerKill, RAG)).toEqual([]);
    expect(workerKill.runs.lostBy.gaveUp).toBe(0);
    expect(workerKill.faults[0]!.governedBy).toEqual({
      visibility_timeout: 3,
      unacked_restore_interval: 1,
      unacked_restore_throttle: 1,
      unacked_mutex_expire: 3,
      acks_late: true,
      task_reject_on_worker_lost: false,
    });

    // At the failpoint: the effect applied, the worker died before acknowledging, and the
    // message came back: the effect applied again.
    const fired = ofType(events, 'fault-start', afterEffect.id).filter((e) => e.fault === 'failpoint');
    expect(fired.length).toBeGreaterThanOrEqual(1);
    for (const start of fired) {
      const runId = start.params!.runId;
      const applied = ofType(events, 'effect', afterEffect.id).filter(
        (e) => e.runId === runId && e.stepId === 'persist' && !e.deduplicated,
      );
      expect(applied.length).toBeGreaterThanOrEqual(2);
      if (applied.length > 2) {
        // More than once again: another kill brought back an earlier step of the same run, which had
        // finished but was not acknowledged; its second run published the rest of the chain again.
        const finishedAt = new Map<string, number>();
        for (const done of ofType(events, 'step-done', afterEffect.id))
          if (done.runId === runId && done.outcome === 'ok' && !finishedAt.has(done.stepId))
            finishedAt.set(done.stepId, done.t);
        // Steps that had finished before the effect was first applied, attempted again.
        const before = (stepId: string) => (finishedAt.get(stepId) ?? Infinity) < applied[0]!.t;
        const reruns = ofType(events, 'attempt', afterEffect.id).filter(
          (e) => e.runId === runId && before(e.stepId) && e.t > finishedAt.get(e.stepId)!,
        );
        expect(reruns.length).toBeGreaterThanOrEqual(applied.length - 2);
      }
    }
    expect(afterEffect.effects.duplicates).toBeGreaterThanOrEqual(fired.length);
    expect(unexplainedLost(events, afterEffect, RAG)).toEqual([]);
  });

  it('one pool child SIGKILLed: the worker lives on, and the task the child ran is failed, not redelivered (celery#1628)', async () => {
    const { results, outDir } = await runForTest({
      scenarios: ['rag-ingest'],
      // A visibility timeout far longer than the worker takes to notice its child died, so
      // the outcome is Celery's decision, not a race with the restore (adapters/celery/README.md).
      adapters: [
        { name: 'celery', knobs: { ...FAST_CELERY_KNOBS, acks_late: true, visibility_timeout: 60 } },
      ],
      faults: ['child-kill'],
      load: { runs: 30, ratePerSec: 10, workers: 2, drainTimeoutMs: 15_000 },
      seed: 2,
    });
    const events = readRunHistory(outDir);
    const [cell] = results.cells as [CellResult];
    const child = ofType(events, 'fault-start', cell.id).find((e) => e.fault === 'child-kill');
    expect(child).toMatchObject({ fault: 'child-kill', killed: [child!.target] });
    const [pid] = child!.pids!;
    const attempts = ofType(events, 'attempt', cell.id);
    // The child ran steps before, none after: it died; its worker did not, and went on
    // running steps in its other children (the one that replaced the dead child gets work
    // only if the others are busy, so it is not required to show up).
    expect(attempts.some((e) => e.pid === pid && e.t < child!.t)).toBe(true);
    expect(attempts.filter((e) => e.pid === pid && e.t > child!.t)).toEqual([]);
    expect(ofType(events, 'worker-exit', cell.id).filter((e) => e.signal === 'SIGKILL')).toEqual([]);
    // The kill lands mid-load (seed 2 plans it about a second into 3 s of arrivals), so work remains.
    const lastSubmit = Math.max(...ofType(events, 'submit', cell.id).map((e) => e.t));
    expect(child!.t).toBeLessThan(lastSubmit);
    expect(attempts.filter((e) => e.worker === child!.target && e.t > child!.t).length).toBeGreaterThan(0);
    // The step it had in flight: acknowledged and failed with WorkerLostError, its run failed
    // (rag-ingest cannot fail, so the checker counts it lost: the orchestrator gave up on it).
    // It waited for a child with a step in flight (busy), and recorded which.
    const { runId, stepId } = child!.params!.inFlight as { runId: string; stepId: string };
    expect(child!.params!.pid).toBe(pid);
    const done = ofType(events, 'run-done', cell.id).find((e) => e.runId === runId);
    // The run's errback records it: from the killed task, or from the chord that task was
    // part of (whichever errback claimed the run first), with the task's WorkerLostError.
    expect(done?.status).toBe('failed');
    const { step, reason } = done!.output as { step: string; reason: string };
    expect(reason).toMatch(/WorkerLostError/);
    expect(step === stepId || reason.includes(`${runId}:${stepId}`)).toBe(true);
    expect(attempts.filter((e) => e.runId === runId && e.stepId === stepId)).toHaveLength(1);
    expect(cell.runs.lostBy.gaveUp).toBeGreaterThanOrEqual(1);
  });

  it('kill-after-effect with idempotency keys: the redelivered effect is deduplicated', async () => {
    const { results, outDir } = await runForTest({
      scenarios: ['rag-ingest'],
      adapters: [{ name: 'celery', knobs: { ...FAST_CELERY_KNOBS, acks_late: true } }],
      faults: ['kill-after-effect'],
      idempotent: true,
      load: { runs: 30, ratePerSec: 10, workers: 2, drainTimeoutMs: 15_000 },
      seed: 2,
    });
    const [cell] = results.cells as [CellResult];
    const fired = ofType(readRunHistory(outDir), 'fault-start').filter((e) => e.fault === 'failpoint');
    expect(fired.length).toBeGreaterThanOrEqual(1);
    expect(cell.effects.duplicates).toBe(0);
    expect(cell.effects.deduplicated).toBeGreaterThanOrEqual(fired.length);
    expect(unexplainedLost(readRunHistory(outDir), cell, RAG)).toEqual([]);
  });

  it('a bad Celery knob is exit 2 naming it, before anything starts', () => {
    const bad = spawnSync(
      process.execPath,
      [
        BIN,
        'run',
        '--scenario',
        'rag-ingest',
        '--adapter',
        'celery',
        '--knob',
        'celery.settings={"task_acks_lat":true}',
      ],
      { encoding: 'utf8' },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/settings\.task_acks_lat: unknown name; valid names: .*task_acks_on_failure/);
    expect(bad.stderr).not.toMatch(/starting services/);
    // A child kill needs pool children: refused for an adapter without them, before anything starts.
    const refused = spawnSync(
      process.execPath,
      [BIN, 'run', '--scenario', 'rag-ingest', '--fault', 'child-kill', '--adapter', 'celery,temporal'],
      { encoding: 'utf8' },
    );
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/child-kill.*adapter temporal's workers have no pool children/);
  });

  it('faultline list shows the adapter and the child kill', async () => {
    const listed = await listCommand();
    expect(listed).toMatch(/adapters:[\s\S]*\bcelery\b/);
    expect(listed).toMatch(/faults:[\s\S]*\bchild-kill\b[\s\S]*fault kinds[\s\S]*\bchild-kill\b/);
  });
});
