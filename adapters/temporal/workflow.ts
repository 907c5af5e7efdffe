/**
 * The workflow code, bundled once per experiment and run in Temporal's deterministic
 * sandbox. It is a DAG interpreter and nothing else: every step instance becomes an
 * activity that starts as soon as its dependencies are done (a fan-out's items run as
 * parallel activities). Imports come only from @temporalio/workflow, plus types.
 */
import {
  type ActivityOptions,
  ApplicationFailure,
  condition,
  defineSignal,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { StepActivities } from './activities.js';
import type { ApprovalSignal, PipelineInput, PipelineOutput, PipelineStep } from './protocol.js';

/** Sent by the driver when the world's approver decided (human in the loop). */
export const approvalSignal = defineSignal<[ApprovalSignal]>('approval');

export async function pipeline(input: PipelineInput): Promise<PipelineOutput> {
  const { runId, activity } = input;
  // A decision may arrive before the workflow reaches the step's wait: keep it until then.
  const decisions = new Map<string, boolean>();
  setHandler(approvalSignal, ({ stepId, approved }) => {
    if (!decisions.has(stepId)) decisions.set(stepId, approved);
  });

  // Activity id = step instance id: readable in the Temporal UI and in failure messages.
  const activities = (activityId: string, heartbeat: boolean) => {
    const options: ActivityOptions = { ...activity, activityId };
    if (!heartbeat) delete options.heartbeatTimeout;
    return proxyActivities<StepActivities>(options);
  };

  const execute = async (step: PipelineStep): Promise<void> => {
    const args = { runId, stepId: step.id };
    if (step.kind !== 'approval') {
      await activities(step.id, step.heartbeat).executeStep(args);
      return;
    }
    const attempt = await activities(`${step.id}:request`, false).requestApproval(args);
    await condition(() => decisions.has(step.id));
    const approved = decisions.get(step.id) === true;
    // An activity, not workflow code, records the decision: only workers write the history.
    await activities(`${step.id}:complete`, false).completeApproval({ ...args, attempt, approved });
    if (!approved) throw ApplicationFailure.nonRetryable(`${step.id} rejected by the approver`, 'Rejected');
  };

  const byId = new Map(input.steps.map((step) => [step.id, step]));
  /** Compensable steps in the order their activities completed, as this workflow saw them. */
  const completed: string[] = [];
  let failed = false;
  const started = new Map<string, Promise<void>>();
  const run = (id: string): Promise<void> => {
    let done = started.get(id);
    if (done === undefined) {
      const step = byId.get(id)!;
      done = Promise.all(step.dependsOn.map(run)).then(async () => {
        // After a failure nothing new starts: a saga must know every effect it undoes.
        if (failed) throw ApplicationFailure.nonRetryable(`${id} not started: the run failed`, 'NotStarted');
        try {
          await execute(step);
        } catch (error) {
          failed = true;
          throw error;
        }
        if (step.compensable) completed.push(id);
      });
      started.set(id, done);
    }
    return done;
  };
  try {
    await Promise.all(input.steps.map((step) => run(step.id)));
  } catch (error) {
    // Without a saga the first failure fails the run; activities still in flight are left to finish.
    if (!input.rollsBackOnFailure) throw error;
    // Saga: let the steps in flight settle, so every completed effect is known, then undo
    // them last completed first, each an activity retried like any other; then fail the run.
    await Promise.allSettled(started.values());
    for (const stepId of [...completed].reverse()) {
      await activities(`${stepId}:compensate`, false).compensateStep({ runId, stepId });
    }
    throw error;
  }
  return { steps: input.steps.length };
}
