import { setTimeout as sleep } from 'node:timers/promises';
import type { HistoryWriter } from '../core/history/writer.js';
import { deriveSeed, seededRng } from '../core/random.js';
import { LOCAL_WORK_KINDS, type StepSpec } from './model.js';
import type { RunPlan, StepInstance } from './plan.js';
import { sampleDuration } from './sampling.js';
import { type AttemptSpan, withStepSpan } from './tracing/attempt-span.js';
import type { WorldClient } from './world-client.js';

/**
 * The one place a step is executed, for every adapter: calls the world, applies the
 * effect, records the attempt. Adapters only decide how orchestration happens; this
 * is what makes the comparison fair.
 */

/** Retry me: the orchestrator's retry policy applies. */
export class TransientStepError extends Error {
  override readonly name = 'TransientStepError';
}

/** Don't retry me: the run fails (and compensates, where the scenario says so). */
export class PermanentStepError extends Error {
  override readonly name = 'PermanentStepError';
}

/** Named points in a step where chaos can crash the worker (Jepsen-style failpoints). */
export type FailpointName = 'before-effect' | 'after-effect' | 'after-step';

export interface StepCall {
  runId: string;
  /** Step instance id, e.g. `embed#2`. */
  stepId: string;
  /** 1-based attempt number as the orchestrator counts it. */
  attempt: number;
  /** Liveness signal to the orchestrator, for steps that declare `heartbeat`. */
  heartbeat?: () => void;
  /**
   * Saves the step's progress (work ms done) where the orchestrator keeps it for the
   * next attempt, for steps that declare `checkpoint` (Temporal: heartbeat details;
   * BullMQ: job progress). Awaited; a save that fails costs redone work, not the attempt.
   */
  checkpoint?: (progressMs: number) => void | Promise<void>;
  /**
   * Progress an earlier attempt checkpointed, as the orchestrator handed it back: the
   * work starts there instead of at 0. Absent (or 0) where the strategy cannot resume.
   */
  resumeFromMs?: number;
  /**
   * The input version the step's payload was built for (the enqueuer's plan's
   * `inputVersion` of the step); absent means 1. Older than the step's own: the call fails.
   */
  inputVersion?: number;
}

interface StepResult {
  stepId: string;
  /** Fan-out steps: the number of items produced. */
  items?: number;
}

export interface StepRuntime {
  execute(call: StepCall): Promise<StepResult>;
  /** Approval steps, first half: ask the world's human; the decision arrives as a signal. */
  requestApproval(call: StepCall): Promise<void>;
  /**
   * Approval steps, second half: the decision arrived; a rejection fails the step for good.
   * Its step-done line is written by the end of the tick: tell the orchestrator after an await.
   */
  completeApproval(call: StepCall, approved: boolean): void;
  /**
   * Timer steps: the orchestrator fired the timer (its wait is over). Records the firing
   * (`attempt`, `timer-fired` with the moment the orchestrator was asked to fire it, by its
   * clock, and `step-done`); the dependents may run.
   */
  fireTimer(call: StepCall, intendedAt: number): Promise<void>;
  /** Undo a step's effect (saga). */
  compensate(runId: string, stepId: string): Promise<void>;
  /**
   * The worker's code cannot continue this run (Temporal: a non-determinism error replaying
   * its history after a deploy): records `version-conflict` with the orchestrator's words.
   */
  versionConflict(runId: string, detail: string): void;
}

export interface StepRuntimeOptions {
  cell: string;
  workerId: string;
  plan: RunPlan;
  world: WorldClient;
  history: HistoryWriter;
  /** Effects carry the key `${runId}:${stepId}`, so the world applies each at most once. */
  idempotentEffects: boolean;
  /** Called at each named point; chaos arms it to SIGKILL the process there. */
  failpoint?: (name: FailpointName, call: StepCall) => void;
  /**
   * Each attempt is a span of the run's trace (the default). False when the process has no
   * tracer provider: the span machinery is skipped, not run for nothing on every step.
   */
  traced?: boolean;
  /** Cells with a deploy: the scenario version of `plan`, written on every attempt. */
  version?: number;
}

/** What an untraced attempt tells its span: nothing. */
const NO_SPAN: AttemptSpan = { outcome() {} };

export function createStepRuntime(options: StepRuntimeOptions): StepRuntime {
  const { cell, workerId, plan, world, history, idempotentEffects } = options;
  const failpoint = options.failpoint ?? (() => {});
  const effectKey = (runId: string, stepId: string) => (idempotentEffects ? `${runId}:${stepId}` : null);

  const instance = (stepId: string): StepInstance => {
    const found = plan.byId.get(stepId);
    if (!found) throw new PermanentStepError(`scenario ${plan.scenario} has no step ${stepId}`);
    return found;
  };

  // The orchestrator learns an attempt's end only after the promise it awaits settles, a
  // microtask queued after the line's flush (core/history/writer.ts): the step-done lines
  // of the attempts ending in one tick (a batch of jobs, of activity tasks) share a write.
  const finish = (call: StepCall, outcome: StepOutcome, span?: AttemptSpan) => {
    history.appendInTick({ type: 'step-done', cell, worker: workerId, ...pick(call), outcome });
    span?.outcome(outcome);
  };
  // An executed step's end: its caller hears of it only once the line is written, so the
  // lines of the jobs a worker started on the same I/O events share one write
  // (HistoryWriter.appendAwaited), rather than a write per job.
  const finished = (call: StepCall, outcome: StepOutcome, span: AttemptSpan): Promise<void> => {
    const written = history.appendAwaited({
      type: 'step-done',
      cell,
      worker: workerId,
      ...pick(call),
      outcome,
    });
    span.outcome(outcome);
    return written;
  };
  const versioned = options.version === undefined ? {} : { version: options.version };
  const ids = (call: StepCall) => ({ cell, workerId, ...pick(call) });
  const traced = options.traced !== false;
  const withSpan: typeof withStepSpan = traced ? withStepSpan : (_role, _ids, fn) => fn(NO_SPAN);

  return {
    // Each attempt is a span of the run's trace (scenarios/tracing), ended with its outcome.
    execute: (call) => withSpan('attempt', ids(call), (span) => execute(call, span)),

    requestApproval: (call) =>
      withSpan('approval', ids(call), async () => {
        history.append({ type: 'attempt', cell, worker: workerId, ...pick(call), ...versioned });
        await world.requestApproval({ cell, runId: call.runId, stepId: call.stepId });
      }),

    completeApproval(call, approved) {
      finish(call, approved ? 'ok' : 'permanent-error');
    },

    // A firing is an attempt of the timer step, with its span like any other.
    fireTimer: (call, intendedAt) =>
      withSpan('attempt', ids(call), async (span) => {
        instance(call.stepId);
        // Nothing leaves the process between these lines and the step-done: one write for the three
        // (a failpoint's own append writes them first, before its kill).
        history.appendInTick({ type: 'attempt', cell, worker: workerId, ...pick(call), ...versioned });
        history.appendInTick({ type: 'timer-fired', cell, worker: workerId, ...pick(call), intendedAt });
        finish(call, 'ok', span);
        failpoint('after-step', call);
      }),

    versionConflict(runId, detail) {
      history.append({ type: 'version-conflict', cell, runId, worker: workerId, detail });
    },

    compensate: (runId, stepId) =>
      withSpan('compensation', { cell, workerId, runId, stepId }, async () => {
        const step = instance(stepId);
        if (!step.spec.compensation) return;
        await world.compensate({
          cell,
          runId,
          stepId,
          name: step.spec.compensation.name,
          key: effectKey(runId, stepId),
          correlationId: runId,
        });
      }),
  };

  async function execute(call: StepCall, span: AttemptSpan): Promise<StepResult> {
    const step = instance(call.stepId);
    const { workMs, failure } = attemptDraws(step.spec, call.runId, call.stepId, call.attempt);
    const checkpointed = step.spec.checkpoint !== undefined;
    const fromMs = checkpointed ? resumePoint(call.resumeFromMs, workMs) : 0;
    // Nothing leaves the process between this attempt's start and its end (no work to wait
    // for, no world to call): its line waits for the step-done's, and they share a write.
    // Otherwise the line is written before the world or the work clock hear of the attempt.
    const instantaneous = isInstantaneous(step.spec, workMs - fromMs);
    const attempt = {
      type: 'attempt',
      cell,
      worker: workerId,
      ...pick(call),
      ...(checkpointed ? { resumedFromMs: fromMs, workMs } : { workMs }),
      ...versioned,
    } as const;
    // Written with the step-done's, which execute awaits, when nothing leaves the process in between.
    if (instantaneous) void history.appendAwaited(attempt);
    else history.append(attempt);
    try {
      checkInput(step.spec, call);
      if (!instantaneous) await doWork(step, call, workMs, fromMs, options);
      if (failure === 'permanent-error') throw new PermanentStepError(`${call.stepId} failed for good`);
      if (failure === 'transient-error') throw new TransientStepError(`${call.stepId} failed transiently`);
      if (step.spec.effect) {
        failpoint('before-effect', call);
        await world.effect({
          cell,
          runId: call.runId,
          stepId: call.stepId,
          name: step.spec.effect.name,
          key: effectKey(call.runId, call.stepId),
          correlationId: call.runId,
        });
        failpoint('after-effect', call);
      }
    } catch (error) {
      const permanent = error instanceof PermanentStepError;
      await finished(call, permanent ? 'permanent-error' : 'transient-error', span);
      throw permanent || error instanceof TransientStepError
        ? error
        : new TransientStepError(`${call.stepId}: ${(error as Error).message}`);
    }
    const written = finished(call, 'ok', span);
    // A failpoint's own append writes the queued lines first, then kills.
    failpoint('after-step', call);
    await written;
    return step.spec.kind === 'fan-out'
      ? { stepId: call.stepId, items: step.spec.fanOut }
      : { stepId: call.stepId };
  }
}

export type StepOutcome = 'ok' | 'transient-error' | 'permanent-error';

/**
 * A step whose attempt does nothing outside the process: local work of no time (a
 * remote call, even of 0 ms, goes to the world) and no effect to apply.
 */
function isInstantaneous(spec: StepSpec, remainingMs: number): boolean {
  return remainingMs <= 0 && LOCAL_WORK_KINDS.has(spec.kind) && spec.effect === undefined;
}

/**
 * The numbers every worker runtime draws for one attempt of an executed step, in any
 * language (the worker protocol's parity rule, adapters/README.md): one random stream per
 * (run, step, attempt), so every adapter draws the same work times and failures whatever
 * order its workers pick steps up in. The first draw decides the failure, the next ones the
 * work. A checkpointed step's work is one amount for all its attempts, or a saved position
 * would mean nothing to the next attempt: it is drawn per (run, step).
 */
export function attemptDraws(
  spec: StepSpec,
  runId: string,
  stepId: string,
  attempt: number,
): { workMs: number; failure: StepOutcome } {
  const { permanent = 0, transient = 0 } = spec.failure ?? {};
  // Nothing to draw (no failure rates, a constant work time): the stream's numbers would
  // decide nothing, so hashing the seed is skipped; every attempt gets the same numbers.
  if (permanent === 0 && transient === 0 && spec.work.dist === 'constant')
    return { workMs: spec.work.ms, failure: 'ok' };
  const rng = seededRng(deriveSeed(runId, stepId, attempt));
  const failureDraw = rng();
  const workMs =
    spec.checkpoint !== undefined
      ? sampleDuration(spec.work, seededRng(deriveSeed(runId, stepId, 'work')))
      : sampleDuration(spec.work, rng);
  const failure: StepOutcome =
    failureDraw < permanent
      ? 'permanent-error'
      : failureDraw < permanent + transient
        ? 'transient-error'
        : 'ok';
  return { workMs, failure };
}

const pick = (call: StepCall) => ({ runId: call.runId, stepId: call.stepId, attempt: call.attempt });

/**
 * New code given an old payload: a step whose input changed (a deploy's `change-input`)
 * cannot read a payload built for an older input version, as code reading a new field
 * would not find it in an old message. It fails like any unexpected error (transient:
 * the orchestrator's retry policy decides), after the attempt was recorded.
 */
function checkInput(spec: StepSpec, call: StepCall): void {
  const expected = spec.inputVersion ?? 1;
  const given = call.inputVersion ?? 1;
  if (given < expected)
    throw new TransientStepError(
      `${call.stepId} reads input version ${expected}; the payload was built for version ${given}`,
    );
}

/** Where an attempt starts: the checkpoint handed back, if it is a sane one, else 0. */
export function resumePoint(resumeFromMs: unknown, workMs: number): number {
  if (typeof resumeFromMs !== 'number' || !Number.isFinite(resumeFromMs) || resumeFromMs <= 0) return 0;
  return Math.min(resumeFromMs, workMs);
}

async function doWork(
  step: StepInstance,
  call: StepCall,
  workMs: number,
  fromMs: number,
  options: StepRuntimeOptions,
) {
  const request = {
    cell: options.cell,
    runId: call.runId,
    stepId: call.stepId,
    attempt: call.attempt,
    ms: workMs,
  };
  switch (step.spec.kind) {
    case 'llm':
      await options.world.model(request);
      return;
    case 'tool':
      await options.world.tool(request);
      return;
    default:
      await localWork({
        totalMs: workMs,
        fromMs,
        heartbeatEveryMs: step.spec.heartbeat?.everyMs,
        heartbeat: call.heartbeat,
        checkpointEveryMs: step.spec.checkpoint?.everyMs,
        checkpoint: call.checkpoint,
      });
  }
}

export interface LocalWork {
  /** The step's whole work. */
  totalMs: number;
  /** Work already done by an earlier attempt (a checkpoint): this attempt does the rest. */
  fromMs: number;
  heartbeatEveryMs?: number;
  heartbeat?: () => void;
  /** Progress is saved each time it crosses a multiple of this (500, 1000, … ms of work). */
  checkpointEveryMs?: number;
  checkpoint?: (progressMs: number) => void | Promise<void>;
}

/**
 * Simulated local work from `fromMs` to `totalMs`: long steps heartbeat every
 * `heartbeatEveryMs` of this attempt, so the orchestrator can tell dead from slow,
 * and save a checkpoint at every multiple of `checkpointEveryMs` of the work.
 */
export async function localWork(work: LocalWork): Promise<void> {
  const { totalMs, heartbeat, checkpoint } = work;
  let progress = Math.max(0, work.fromMs);
  if (progress >= totalMs) return;
  const beatEvery = heartbeat && work.heartbeatEveryMs ? work.heartbeatEveryMs : Number.POSITIVE_INFINITY;
  const saveEvery = checkpoint && work.checkpointEveryMs ? work.checkpointEveryMs : Number.POSITIVE_INFINITY;
  let nextBeat = progress + beatEvery;
  let nextSave = (Math.floor(progress / saveEvery) + 1) * saveEvery;
  while (progress < totalMs) {
    const until = Math.min(totalMs, nextBeat, nextSave);
    await sleep(until - progress);
    progress = until;
    if (progress >= nextSave) {
      nextSave += saveEvery;
      // The end of the work needs no checkpoint: the step is done.
      if (progress < totalMs) await saveCheckpoint(checkpoint!, progress);
    }
    if (progress >= nextBeat) {
      nextBeat += beatEvery;
      heartbeat!();
    }
  }
}

async function saveCheckpoint(
  checkpoint: (progressMs: number) => void | Promise<void>,
  progressMs: number,
): Promise<void> {
  try {
    await checkpoint(progressMs);
  } catch {
    // Not saved (the orchestrator unreachable): a later attempt redoes more work, that is all.
  }
}
