import type { Sinks } from '@temporalio/workflow';
import type { StepKind } from '../../scenarios/model.js';
import type { RunPlan } from '../../scenarios/plan.js';
import type { TemporalKnobs } from './knobs.js';

/**
 * What the driver (harness), the workflow (sandbox) and the activities (worker) agree on.
 * The workflow imports only the types from here, so its bundle stays free of Node code.
 */

/** One step instance as the workflow sees it: enough to walk the DAG, nothing to execute. */
export interface PipelineStep {
  id: string;
  kind: StepKind;
  dependsOn: string[];
  /** The step heartbeats, so its activity gets the heartbeat timeout. */
  heartbeat: boolean;
  /** The step declares a compensation: a failed run undoes it (saga) once it completed. */
  compensable: boolean;
  /** Timer steps: the workflow sleeps this long (a durable timer) before the step fires. */
  delayMs?: number;
  /** The step's input version, sent with its activity (absent: 1). */
  inputVersion?: number;
}

/** Activity options as plain JSON (milliseconds), so they travel in the workflow input. */
interface ActivitySettings {
  /** Where the activities go when other workers than the workflow's run them; absent: the workflow's queue. */
  taskQueue?: string;
  startToCloseTimeout: number;
  scheduleToCloseTimeout?: number;
  heartbeatTimeout: number;
  retry: {
    initialInterval: number;
    backoffCoefficient: number;
    maximumInterval: number;
    /** Absent: unlimited (the SDK refuses 0). */
    maximumAttempts?: number;
    nonRetryableErrorTypes: string[];
  };
}

export interface PipelineInput {
  runId: string;
  steps: PipelineStep[];
  activity: ActivitySettings;
  /** RunPlan.rollsBackOnFailure: a failed run compensates its completed steps (saga) before it fails. */
  rollsBackOnFailure: boolean;
}

export interface PipelineOutput {
  steps: number;
}

export interface StepArgs {
  runId: string;
  stepId: string;
  /** The input version the workflow's plan gives the step (absent: 1). */
  inputVersion?: number;
  /**
   * Knob versioning `patched`: the scenario version whose plan the workflow follows, so the
   * activity runs the step with that version's definition (absent: the worker's own).
   */
  version?: number;
}

/** A timer step's firing: when the workflow set the timer, plus its delay (workflow time). */
export interface TimerArgs extends StepArgs {
  intendedAt: number;
}

/** One scenario version's plan as workflow code carries it. */
export interface CodePlan {
  version: number;
  steps: PipelineStep[];
  rollsBackOnFailure: boolean;
}

/**
 * The pipeline as the worker's workflow code knows it: a workflow is code, and the code a
 * worker runs is the scenario version it was deployed with. The worker puts this on the
 * bundle's global scope (WORKFLOW_CODE_GLOBAL) before loading it, so a deploy that changes
 * the scenario changes the workflow code of runs already in flight, as editing a workflow
 * function would: replaying their history with the new code is where non-determinism
 * errors come from. The workflow input's steps are only the fallback for a bundle loaded
 * without it.
 */
export interface WorkflowCode extends CodePlan {
  /** Knob versioning `patched`: activities carry the plan's version (old step definitions stay runnable). */
  versionedActivities: boolean;
  /**
   * Knob versioning `patched`, on a version after the first: the previous version's plan,
   * which a run takes when `patched(patchId)` says its history was made without this code.
   */
  patch?: { patchId: string; previous: CodePlan };
}

/** What the workflow tells its worker, outside the history (sinks): which of our runs it is. */
export interface RunSinks extends Sinks {
  faultline: { run(runId: string): void };
}

/** The global name the worker gives its WorkflowCode in the workflow sandbox. */
export const WORKFLOW_CODE_GLOBAL = '__faultlineWorkflowCode';

/** The approver's decision, delivered as a workflow signal. */
export interface ApprovalSignal {
  stepId: string;
  approved: boolean;
}

/** Failure type of a step that must not be retried (PermanentStepError, a rejection). */
export const PERMANENT_FAILURE = 'PermanentStepError';

/** Workflow name: the exported function in workflow.ts. */
export const PIPELINE_WORKFLOW = 'pipeline';

const safe = (text: string) => text.replaceAll(/[^A-Za-z0-9._:-]/g, '_');

/** One workflow per (cell, run): a re-submission of the run names the same execution. */
export function workflowId(cell: string, runId: string): string {
  return safe(`${cell}:${runId}`);
}

/** One task queue per cell, so a cell's workers never pick up an earlier cell's leftovers. */
export function taskQueueName(prefix: string, cell: string): string {
  return `${prefix}.${safe(cell).replaceAll(':', '_')}`;
}

/** A plan's step instances as the workflow walks them. */
export function pipelineSteps(plan: RunPlan): PipelineStep[] {
  return plan.instances.map((i) => ({
    id: i.id,
    kind: i.spec.kind,
    dependsOn: i.dependsOn,
    heartbeat: i.spec.heartbeat !== undefined,
    compensable: i.spec.compensation !== undefined,
    ...(i.spec.delayMs === undefined ? {} : { delayMs: i.spec.delayMs }),
    ...(i.spec.inputVersion === undefined ? {} : { inputVersion: i.spec.inputVersion }),
  }));
}

/**
 * Worker roles of an adapter that splits a run's work (the way teams put model code in
 * Python behind an orchestrator in another language): `workflow` workers run workflows
 * only, `activity` workers run activities only, on a queue of their own. A `worker` does both.
 */
export const WORKFLOW_ROLE = 'workflow';
export const ACTIVITY_ROLE = 'activity';

/** The cell's activity task queue when its activities run in workers of their own. */
export function activityTaskQueueName(prefix: string, cell: string): string {
  return `${taskQueueName(prefix, cell)}.activities`;
}

/**
 * The workflow input of every run of a cell, but for its run id. `activityTaskQueue`: the
 * queue the activities go to, when workers of their own run them.
 */
export function pipelineTemplate(
  plan: RunPlan,
  knobs: TemporalKnobs,
  activityTaskQueue?: string,
): Omit<PipelineInput, 'runId'> {
  const { retry } = knobs;
  return {
    steps: pipelineSteps(plan),
    rollsBackOnFailure: plan.rollsBackOnFailure,
    activity: {
      ...(activityTaskQueue === undefined ? {} : { taskQueue: activityTaskQueue }),
      startToCloseTimeout: knobs.startToCloseTimeout,
      ...(knobs.scheduleToCloseTimeout === null
        ? {}
        : { scheduleToCloseTimeout: knobs.scheduleToCloseTimeout }),
      heartbeatTimeout: knobs.heartbeatTimeout,
      retry: {
        initialInterval: retry.initialInterval,
        backoffCoefficient: retry.backoffCoefficient,
        maximumInterval: retry.maximumInterval,
        ...(retry.maximumAttempts > 0 ? { maximumAttempts: retry.maximumAttempts } : {}),
        nonRetryableErrorTypes: [PERMANENT_FAILURE],
      },
    },
  };
}
