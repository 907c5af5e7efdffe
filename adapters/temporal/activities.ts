import { ApplicationFailure, Context } from '@temporalio/activity';
import { PermanentStepError, type StepRuntime } from '../../scenarios/runtime.js';
import { PERMANENT_FAILURE, type StepArgs, type TimerArgs } from './protocol.js';

export interface ActivityOptions {
  /** Knob resumeFromCheckpoint: a retried attempt starts from the last heartbeat details. */
  resumeFromCheckpoint: boolean;
}

/** The runtime of a scenario version the worker knows; its own when the args name none (or one it lacks). */
export type RuntimeOf = (version: number | undefined) => StepRuntime;

/**
 * The activities a worker registers: thin wrappers over the shared step runtime, which
 * decides what a step does. Temporal's attempt counter is the StepCall's attempt.
 */
export function createActivities(runtimeOf: RuntimeOf, options: ActivityOptions) {
  return {
    async executeStep({ runId, stepId, inputVersion, version }: StepArgs): Promise<void> {
      const runtime = runtimeOf(version);
      const context = Context.current();
      // A checkpoint is the heartbeat details: what the server holds of the last attempt's
      // last heartbeat comes back in info.heartbeatDetails on the next attempt.
      const previous: unknown = context.info.heartbeatDetails;
      let progress = typeof previous === 'number' ? previous : undefined;
      try {
        await runtime.execute({
          runId,
          stepId,
          attempt: context.info.attempt,
          ...(inputVersion === undefined ? {} : { inputVersion }),
          // Only steps that declare `heartbeat` call it; their activity has a heartbeat timeout.
          // Every beat carries the last checkpoint: details are replaced at each heartbeat.
          heartbeat: () => context.heartbeat(progress),
          // Only steps that declare `checkpoint` call it.
          checkpoint: (progressMs) => {
            progress = progressMs;
            context.heartbeat(progressMs);
          },
          ...(options.resumeFromCheckpoint && progress !== undefined ? { resumeFromMs: progress } : {}),
        });
      } catch (error) {
        // Transient errors are thrown as they are: Temporal's retry policy applies.
        if (error instanceof PermanentStepError)
          throw ApplicationFailure.nonRetryable(error.message, PERMANENT_FAILURE);
        throw error;
      }
    },

    /** A timer step's firing (a local activity right after the workflow's timer fired). */
    async fireTimer({ runId, stepId, intendedAt, version }: TimerArgs): Promise<void> {
      await runtimeOf(version).fireTimer(
        { runId, stepId, attempt: Context.current().info.attempt },
        intendedAt,
      );
    },

    /** First half of an approval step: ask the world's human. Returns the attempt, for the second half. */
    async requestApproval({ runId, stepId, version }: StepArgs): Promise<number> {
      const { attempt } = Context.current().info;
      await runtimeOf(version).requestApproval({ runId, stepId, attempt });
      return attempt;
    },

    /** Saga: undoes a completed step's effect (the workflow calls it in reverse completion order). */
    async compensateStep({ runId, stepId, version }: StepArgs): Promise<void> {
      await runtimeOf(version).compensate(runId, stepId);
    },

    /** Second half, after the signal: records the step done (a rejection as a permanent error). */
    async completeApproval(args: StepArgs & { attempt: number; approved: boolean }): Promise<void> {
      runtimeOf(args.version).completeApproval(
        { runId: args.runId, stepId: args.stepId, attempt: args.attempt },
        args.approved,
      );
    },
  };
}

export type StepActivities = ReturnType<typeof createActivities>;
