import { setTimeout as sleep } from 'node:timers/promises';
import type { HistoryWriter } from '../harness/history/writer.js';
import { deriveSeed, sampleDuration, seededRng } from '../harness/random.js';
import type { WorldClient } from '../harness/world/client.js';
import type { RunPlan, StepInstance } from './plan.js';

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
}

export interface StepResult {
  stepId: string;
  /** Fan-out steps: the number of items produced. */
  items?: number;
}

export interface StepRuntime {
  execute(call: StepCall): Promise<StepResult>;
  /** Approval steps, first half: ask the world's human; the decision arrives as a signal. */
  requestApproval(call: StepCall): Promise<void>;
  /** Approval steps, second half: the decision arrived; a rejection fails the step for good. */
  completeApproval(call: StepCall, approved: boolean): void;
  /** Undo a step's effect (saga). */
  compensate(runId: string, stepId: string): Promise<void>;
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
}

export function createStepRuntime(options: StepRuntimeOptions): StepRuntime {
  const { cell, workerId, plan, world, history, idempotentEffects } = options;
  const failpoint = options.failpoint ?? (() => {});
  const effectKey = (runId: string, stepId: string) => (idempotentEffects ? `${runId}:${stepId}` : null);

  const instance = (stepId: string): StepInstance => {
    const found = plan.byId.get(stepId);
    if (!found) throw new PermanentStepError(`scenario ${plan.scenario} has no step ${stepId}`);
    return found;
  };

  const finish = (call: StepCall, outcome: 'ok' | 'transient-error' | 'permanent-error') =>
    history.append({ type: 'step-done', cell, worker: workerId, ...pick(call), outcome });

  return {
    async execute(call) {
      const step = instance(call.stepId);
      history.append({ type: 'attempt', cell, worker: workerId, ...pick(call) });
      // One random stream per (run, step, attempt): both adapters draw the same work
      // times and failures, whatever order their workers pick steps up in.
      const rng = seededRng(deriveSeed(call.runId, call.stepId, call.attempt));
      const failureDraw = rng();
      const workMs = sampleDuration(step.spec.work, rng);
      try {
        await doWork(step, call, workMs, options);
        const failure = step.spec.failure;
        if (failure && failureDraw < failure.permanent)
          throw new PermanentStepError(`${call.stepId} failed for good`);
        if (failure && failureDraw < failure.permanent + failure.transient) {
          throw new TransientStepError(`${call.stepId} failed transiently`);
        }
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
        finish(call, permanent ? 'permanent-error' : 'transient-error');
        throw permanent || error instanceof TransientStepError
          ? error
          : new TransientStepError(`${call.stepId}: ${(error as Error).message}`);
      }
      finish(call, 'ok');
      failpoint('after-step', call);
      return step.spec.kind === 'fan-out'
        ? { stepId: call.stepId, items: step.spec.fanOut }
        : { stepId: call.stepId };
    },

    async requestApproval(call) {
      history.append({ type: 'attempt', cell, worker: workerId, ...pick(call) });
      await world.requestApproval({ cell, runId: call.runId, stepId: call.stepId });
    },

    completeApproval(call, approved) {
      finish(call, approved ? 'ok' : 'permanent-error');
    },

    async compensate(runId, stepId) {
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
    },
  };
}

const pick = (call: StepCall) => ({ runId: call.runId, stepId: call.stepId, attempt: call.attempt });

async function doWork(step: StepInstance, call: StepCall, workMs: number, options: StepRuntimeOptions) {
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
      await localWork(workMs, step.spec.heartbeat?.everyMs, call.heartbeat);
  }
}

/** Simulated local work; long steps heartbeat so the orchestrator can tell dead from slow. */
async function localWork(
  ms: number,
  heartbeatEveryMs: number | undefined,
  heartbeat?: () => void,
): Promise<void> {
  if (ms <= 0) return;
  if (!heartbeatEveryMs || !heartbeat) {
    await sleep(ms);
    return;
  }
  for (let left = ms; left > 0; left -= heartbeatEveryMs) {
    await sleep(Math.min(left, heartbeatEveryMs));
    heartbeat();
  }
}
