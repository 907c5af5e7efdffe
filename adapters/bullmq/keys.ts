/**
 * Names shared by the driver (in the harness) and the workers (child processes).
 * One queue per cell, so cells of a matrix never see each other's jobs.
 */
export const PREFIX = 'faultline';

export function queueName(cell: string): string {
  // Queue names cannot contain ':'; cell ids contain '/'.
  return `steps-${cell.replaceAll(/[^a-zA-Z0-9-]/g, '_')}`;
}

/** Deterministic job ids make enqueueing a step idempotent (BullMQ ignores a known id). */
export function jobId(runId: string, stepId: string): string {
  return `${runId}.${stepId}`;
}

export const keys = {
  /** Set of the run's finished step instances: the fan-in bookkeeping. */
  done: (cell: string, runId: string) => `${PREFIX}:${queueName(cell)}:run:${runId}:done`,
  /** List the workers push finished runs onto; the driver pops it. */
  completions: (cell: string) => `${PREFIX}:${queueName(cell)}:completions`,
  /** Approval decisions delivered by `signal`, read by the waiting approval job. */
  decisions: (cell: string) => `${PREFIX}:${queueName(cell)}:decisions`,
};

export interface StepJobData {
  runId: string;
  stepId: string;
}

export interface JobSettings {
  attempts: number;
  backoff: { type: 'fixed' | 'exponential'; delay: number };
}

/** Options of every step job, whoever enqueues it (the driver for roots, workers for the rest). */
export function stepJobOptions(runId: string, stepId: string, settings: JobSettings) {
  return {
    jobId: jobId(runId, stepId),
    attempts: settings.attempts,
    backoff: settings.backoff,
    // Finished jobs are kept: a job id is only deduplicated while its job still exists.
    removeOnComplete: false,
    removeOnFail: false,
  };
}
