import { z } from 'zod';
import { MAX_ATTEMPTS, MAX_CONCURRENCY, MAX_DURATION_MS } from '../../core/limits.js';

const ms = z.number().int().min(1).max(MAX_DURATION_MS);

/**
 * Temporal's delivery knobs. Defaults are Temporal's own where it has one (retry policy,
 * worker slots), so a result reflects what a team gets out of the box; where Temporal
 * insists on a choice (an activity needs startToClose or scheduleToClose) the default
 * matches BullMQ's lockDuration, so a dead worker costs both adapters the same 30 s.
 * Every value used is recorded in results.json.
 */
export const TemporalKnobsSchema = z
  .object({
    /** Longest one activity attempt may take; a dead worker's step is retried after it. */
    startToCloseTimeout: ms.default(30_000),
    /** Longest a step may take over all its attempts; null: no limit (Temporal's default). */
    scheduleToCloseTimeout: ms.nullable().default(null),
    /** Steps that heartbeat (`heartbeat` in the scenario) are retried this long after their last beat. */
    heartbeatTimeout: ms.default(5_000),
    /** Activity retry policy; maximumAttempts 0 means unlimited (Temporal's default). */
    retry: z
      .object({
        initialInterval: ms.default(1_000),
        backoffCoefficient: z.number().min(1).max(100).default(2),
        maximumInterval: ms.default(100_000),
        maximumAttempts: z.number().int().min(0).max(MAX_ATTEMPTS).default(0),
      })
      .strict()
      .default({
        initialInterval: 1_000,
        backoffCoefficient: 2,
        maximumInterval: 100_000,
        maximumAttempts: 0,
      }),
    /** Task queue name prefix; each cell gets its own queue (`<taskQueue>.<cell>`). */
    taskQueue: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .default('faultline'),
    /** Activity slots per worker process. */
    maxConcurrentActivityTaskExecutions: z.number().int().min(1).max(MAX_CONCURRENCY).default(100),
    /** Workflow-task slots per worker process (at least 2 with the workflow cache on). */
    maxConcurrentWorkflowTaskExecutions: z.number().int().min(2).max(MAX_CONCURRENCY).default(40),
    /**
     * A dead worker's cached workflows get their next task after this long (then any
     * worker may take it): it adds to recovery after a kill, so it is recorded too.
     */
    stickyQueueScheduleToStartTimeout: ms.default(10_000),
    /**
     * The SDK sends at most one heartbeat per min(0.8 × heartbeatTimeout, this), with the
     * latest details: a checkpoint reaches the server up to that late, and a dead worker's
     * next attempt resumes from what the server has. Temporal's default.
     */
    maxHeartbeatThrottleInterval: ms.default(60_000),
    /** Effects carry the runtime's idempotency key for this adapter even without --idempotent. */
    idempotencyKeys: z.boolean().default(false),
    /**
     * Checkpointed steps save their progress as heartbeat details and a retried attempt
     * resumes from `info.heartbeatDetails`. Off: every attempt starts from scratch (the
     * baseline that shows what checkpoints save).
     */
    resumeFromCheckpoint: z.boolean().default(true),
    /**
     * How new workflow code meets runs in flight at a deploy. `none`: the new code replays
     * their histories as it is (Temporal's default; a changed command is a non-determinism
     * error, and the run waits for compatible code). `patched`: the new code is written with
     * `patched()`, so a run whose history was made by the old code keeps the old path, and
     * its activities run with the old step definitions.
     */
    versioning: z.enum(['none', 'patched']).default('none'),
  })
  .strict();

export type TemporalKnobs = z.infer<typeof TemporalKnobsSchema>;
