import { z } from 'zod';
import { MAX_ATTEMPTS, MAX_CONCURRENCY, MAX_DURATION_MS } from '../../core/limits.js';

const ms = z.number().int().min(1).max(MAX_DURATION_MS);

/**
 * BullMQ's delivery knobs. Defaults are BullMQ's own where it has one, so a result
 * reflects what a team gets out of the box; every value used is recorded in results.
 */
export const BullmqKnobsSchema = z
  .object({
    /** Jobs one worker process runs at once. */
    concurrency: z.number().int().min(1).max(MAX_CONCURRENCY).default(10),
    /** How long a job's lock lasts without renewal; a dead worker's job is stalled after it. */
    lockDuration: ms.default(30_000),
    /** How often workers look for stalled jobs. */
    stalledInterval: ms.default(30_000),
    /** Stalls tolerated before a job is failed for good ("job stalled more than allowable limit"). */
    maxStalledCount: z.number().int().min(0).max(MAX_ATTEMPTS).default(1),
    /** Attempts per job for thrown errors (retries = attempts - 1). */
    attempts: z.number().int().min(1).max(MAX_ATTEMPTS).default(3),
    backoff: z
      .object({ type: z.enum(['fixed', 'exponential']), delay: z.number().int().min(0).max(MAX_DURATION_MS) })
      .strict()
      .default({ type: 'exponential', delay: 100 }),
    /** Effects carry an idempotency key derived from (run, step), as with --idempotent. */
    idempotencyKeys: z.boolean().default(false),
    /** Approval steps re-check for a decision this often (delayed re-check). */
    approvalRecheckMs: ms.default(200),
    /**
     * Checkpointed steps save their progress with job.updateProgress and a re-run job
     * resumes from job.progress. Off: every attempt starts from scratch (the baseline
     * that shows what checkpoints save).
     */
    resumeFromCheckpoint: z.boolean().default(true),
    /**
     * How new worker code meets runs in flight at a deploy. `none`: every job runs with the
     * code of the worker that takes it (what a queue does out of the box). `versioned-jobs`:
     * jobs carry the scenario version whose plan enqueued them, a worker runs a job with that
     * version's code (a new worker keeps the old step handlers), and an old worker hands a
     * newer job back for later instead of running code it does not have.
     */
    versioning: z.enum(['none', 'versioned-jobs']).default('none'),
  })
  .strict();

export type BullmqKnobs = z.infer<typeof BullmqKnobsSchema>;
