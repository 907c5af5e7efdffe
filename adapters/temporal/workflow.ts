/**
 * The workflow code, bundled once per experiment and run in Temporal's deterministic
 * sandbox. It is a DAG interpreter and nothing else: every step instance becomes an
 * activity that starts as soon as its dependencies are done (a fan-out's items run as
 * parallel activities), a timer step a durable timer. The DAG is the worker's code
 * (WorkflowCode, protocol.ts): the scenario version the worker was deployed with. Imports
 * come only from @temporalio/workflow, plus types and one constant.
 */
import {
  type ActivityOptions,
  ApplicationFailure,
  condition,
  defineSignal,
  patched,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { StepActivities } from './activities.js';
import {
  type ApprovalSignal,
  type CodePlan,
  type PipelineInput,
  type PipelineOutput,
  type PipelineStep,
  type RunSinks,
  WORKFLOW_CODE_GLOBAL,
  type WorkflowCode,
} from './protocol.js';

const { faultline } = proxySinks<RunSinks>();

/** Sent by the driver when the world's approver decided (human in the loop). */
export const approvalSignal = defineSignal<[ApprovalSignal]>('approval');

/**
 * The plan this run follows: the worker's code, or with `patched()` the previous version's
 * when the run's history was made by the code before it. Asked first, before any command,
 * so every run keeps the path it started on for its whole life.
 */
function planOf(): { plan: CodePlan | null; versioned: boolean } {
  const code = (globalThis as Record<string, unknown>)[WORKFLOW_CODE_GLOBAL] as WorkflowCode | undefined;
  if (code === undefined) return { plan: null, versioned: false };
  const plan = code.patch && !patched(code.patch.patchId) ? code.patch.previous : code;
  return { plan, versioned: code.versionedActivities };
}

export async function pipeline(input: PipelineInput): Promise<PipelineOutput> {
  const { runId, activity } = input;
  // Tells the worker which Temporal run is which of our runs, replays included: core's
  // non-determinism errors name the Temporal run only.
  faultline.run(runId);
  const { plan, versioned } = planOf();
  const steps = plan?.steps ?? input.steps;
  const rollsBackOnFailure = plan?.rollsBackOnFailure ?? input.rollsBackOnFailure;
  const version = versioned && plan ? { version: plan.version } : {};
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
  const localActivities = proxyLocalActivities<StepActivities>({
    startToCloseTimeout: activity.startToCloseTimeout,
    retry: activity.retry,
  });

  const execute = async (step: PipelineStep): Promise<void> => {
    const args = {
      runId,
      stepId: step.id,
      ...(step.inputVersion === undefined ? {} : { inputVersion: step.inputVersion }),
      ...version,
    };
    if (step.kind === 'timer') {
      // A durable timer: the server fires it, whichever worker lives then. Workflow time is
      // the time of the task that set it. A local activity records the firing in this
      // worker at once, as a queue's worker records a delayed job it picked up.
      const delayMs = step.delayMs ?? 0;
      const intendedAt = Date.now() + delayMs;
      if (delayMs > 0) await sleep(delayMs);
      await localActivities.fireTimer({ ...args, intendedAt });
      return;
    }
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

  const byId = new Map(steps.map((step) => [step.id, step]));
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
    await Promise.all(steps.map((step) => run(step.id)));
  } catch (error) {
    // Without a saga the first failure fails the run; activities still in flight are left to finish.
    if (!rollsBackOnFailure) throw error;
    // Saga: let the steps in flight settle, so every completed effect is known, then undo
    // them last completed first, each an activity retried like any other; then fail the run.
    await Promise.allSettled(started.values());
    for (const stepId of [...completed].reverse()) {
      await activities(`${stepId}:compensate`, false).compensateStep({ runId, stepId, ...version });
    }
    throw error;
  }
  return { steps: steps.length };
}
