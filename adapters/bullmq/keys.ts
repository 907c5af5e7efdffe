import type { RunPlan } from '../../scenarios/plan.js';

/**
 * Names shared by the driver (in the harness) and the workers (child processes).
 * One queue per cell, so cells of a matrix never see each other's jobs.
 */
export const PREFIX = 'fl';

/**
 * The cell's queue: its id with what a queue name cannot hold (':'; cell ids contain '/')
 * replaced. Prefix and queue name start every key BullMQ's scripts touch (a job's
 * completion passes 14 of them), so they are kept short: with `faultline:steps-` in front
 * of each, a bare BullMQ script ran some 6 % slower (README, "Overhead").
 */
export function queueName(cell: string): string {
  return cell.replaceAll(/[^a-zA-Z0-9-]/g, '_');
}

/** Deterministic job ids make enqueueing a step idempotent (BullMQ ignores a known id). */
export function jobId(runId: string, stepId: string): string {
  return `${runId}.${stepId}`;
}

/**
 * The saga job of a failed run: one per run. Its name and id part start with `_`,
 * which no step id can (step ids start with a letter), so it never meets a step's job.
 */
export const COMPENSATE_JOB = '_compensate';

export function compensateJobId(runId: string): string {
  return jobId(runId, COMPENSATE_JOB);
}

export const keys = {
  /** Set of the run's finished step instances: the fan-in bookkeeping. */
  done: (cell: string, runId: string) => `${PREFIX}:${queueName(cell)}:run:${runId}:done`,
  /**
   * Saga log of a run whose scenario rolls back on failure: its finished compensable
   * steps, scored by completion time (ZADD NX: the first completion counts).
   */
  applied: (cell: string, runId: string) => `${PREFIX}:${queueName(cell)}:run:${runId}:applied`,
  /** The steps the run's compensation job has undone, so a retried job undoes each once. */
  compensated: (cell: string, runId: string) => `${PREFIX}:${queueName(cell)}:run:${runId}:compensated`,
  /** List of runs failed and rolled back (JSON RunFailure), pushed by the compensation job. */
  failures: (cell: string) => `${PREFIX}:${queueName(cell)}:failures`,
  /** Approval decisions delivered by `signal`, read by the waiting approval job. */
  decisions: (cell: string) => `${PREFIX}:${queueName(cell)}:decisions`,
};

/**
 * What a step job returns: the run, when this job's completion completes it (its last sink).
 * BullMQ writes the return value into the job's `completed` event, in the same script that
 * completes the job, so the driver learns a run's end from the queue's own events stream.
 */
export interface StepJobResult {
  completedRun?: string;
}

/**
 * The queue's events stream kept this long at most (BullMQ trims it as it appends; its
 * default is 10,000): longer than any backlog the driver reads behind by, which trims it
 * itself as it reads. Every Queue of a cell, the driver's and the workers', sets it alike.
 */
export const QUEUE_STREAMS = { events: { maxLen: 1_000_000 } };

export interface StepJobData {
  runId: string;
  stepId: string;
  /** Compensation job only: why the run failed, for its announcement. */
  reason?: string;
  /** Timer steps: when the timer should fire (the enqueuer's clock when it set it, plus the delay). */
  intendedAt?: number;
  /** The step's input version in the enqueuer's plan (absent: 1). */
  inputVersion?: number;
  /**
   * Knob `versioning: versioned-jobs`: the scenario version whose plan the enqueuer
   * followed; a worker runs the job with that version's code (absent: the worker's own).
   */
  v?: number;
}

/** A failed run as the compensation job announces it, once its effects are undone. */
export interface RunFailure {
  runId: string;
  /** The step that failed for good. */
  step: string;
  reason: string;
  /** The steps undone, in the order they were undone. */
  compensated: string[];
}

export interface JobSettings {
  attempts: number;
  backoff: { type: 'fixed' | 'exponential'; delay: number };
}

/**
 * A step's job as any enqueuer adds it (the driver for roots, workers for the rest): a
 * timer step is a delayed job that becomes ready once its delay is over, BullMQ's own
 * scheduling; a step whose input is versioned carries the version its payload was built for.
 */
export function stepJob(
  plan: RunPlan,
  runId: string,
  stepId: string,
  settings: JobSettings,
  version?: number,
): { name: string; data: StepJobData; opts: StepJobOptions } {
  const spec = plan.byId.get(stepId)?.spec;
  const data: StepJobData = { runId, stepId };
  const opts: StepJobOptions = stepJobOptions(runId, stepId, settings);
  if (spec?.kind === 'timer') {
    const delay = spec.delayMs ?? 0;
    data.intendedAt = Date.now() + delay;
    if (delay > 0) opts.delay = delay;
  }
  if (spec?.inputVersion !== undefined) data.inputVersion = spec.inputVersion;
  if (version !== undefined) data.v = version;
  return { name: stepId, data, opts };
}

/** A step job's options: a timer's also delay it. */
type StepJobOptions = ReturnType<typeof stepJobOptions> & { delay?: number };

/** Options of every job of a run (stepJob's for its steps, the saga's for its compensation). */
export function stepJobOptions(runId: string, stepId: string, settings: JobSettings) {
  return {
    // Finished jobs are kept, as BullMQ keeps them unless told otherwise (removeOnComplete and
    // removeOnFail unset, here and on the workers): a job id is only deduplicated while its job
    // still exists. Left unset rather than spelt out: every option is stored with the job and
    // parsed again by each worker that takes it.
    jobId: jobId(runId, stepId),
    attempts: settings.attempts,
    backoff: settings.backoff,
  };
}
