import { ApplicationFailure, Context } from '@temporalio/activity';
import { PermanentStepError, type StepRuntime } from '../../scenarios/runtime.js';
import { PERMANENT_FAILURE, type StepArgs } from './protocol.js';

/**
 * The activities a worker registers: thin wrappers over the shared step runtime, which
 * decides what a step does. Temporal's attempt counter is the StepCall's attempt.
 */
export function createActivities(runtime: StepRuntime) {
  return {
    async executeStep({ runId, stepId }: StepArgs): Promise<void> {
      const context = Context.current();
      try {
        await runtime.execute({
          runId,
          stepId,
          attempt: context.info.attempt,
          // Only steps that declare `heartbeat` call it; their activity has a heartbeat timeout.
          heartbeat: () => context.heartbeat(),
        });
      } catch (error) {
        // Transient errors are thrown as they are: Temporal's retry policy applies.
        if (error instanceof PermanentStepError)
          throw ApplicationFailure.nonRetryable(error.message, PERMANENT_FAILURE);
        throw error;
      }
    },

    /** First half of an approval step: ask the world's human. Returns the attempt, for the second half. */
    async requestApproval({ runId, stepId }: StepArgs): Promise<number> {
      const { attempt } = Context.current().info;
      await runtime.requestApproval({ runId, stepId, attempt });
      return attempt;
    },

    /** Second half, after the signal: records the step done (a rejection as a permanent error). */
    async completeApproval(args: StepArgs & { attempt: number; approved: boolean }): Promise<void> {
      runtime.completeApproval(
        { runId: args.runId, stepId: args.stepId, attempt: args.attempt },
        args.approved,
      );
    },
  };
}

export type StepActivities = ReturnType<typeof createActivities>;
