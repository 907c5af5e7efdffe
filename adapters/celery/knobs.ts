import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

/**
 * The Celery settings and Redis broker transport options that exist in the pinned celery and
 * kombu, generated from the libraries by `python -m faultline_celery.names --write` (a test
 * keeps the file current). The worker checks again at start-up against the live libraries.
 */
interface CeleryNames {
  celery: string;
  kombu: string;
  settings: string[];
  wiredSettings: Record<string, string>;
  knobSettings: Record<string, string>;
  brokerTransportOptions: string[];
  wiredTransportOptions: Record<string, string>;
}

export const CELERY_NAMES = JSON.parse(
  readFileSync(new URL('./names.json', import.meta.url), 'utf8'),
) as CeleryNames;

/** A record of names the libraries know, each name checked: the message names it and the valid names. */
function namesOf(valid: readonly string[], refused: Record<string, string>) {
  const known = new Set(valid);
  return z
    .record(z.string(), z.json())
    .default({})
    .superRefine((values, ctx) => {
      for (const name of Object.keys(values)) {
        const reason = refused[name];
        if (reason !== undefined)
          ctx.addIssue({ code: 'custom', path: [name], message: `not settable here: ${reason}` });
        else if (!known.has(name))
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: `unknown name; valid names: ${valid.join(', ')}`,
          });
      }
    });
}

const seconds = z.number().nonnegative();

/**
 * Celery's delivery knobs, named as Celery names them, with Celery's own defaults, so a
 * result reflects what a team gets out of the box; every value used is recorded in
 * results.json. Two knobs are Faultline's (camelCase): idempotencyKeys and resumeFromCheckpoint.
 * Seconds where Celery takes seconds.
 */
export const CeleryKnobsSchema = z
  .object({
    /** Pool processes (prefork) or threads per worker; Celery's default is the number of CPUs. */
    concurrency: z.number().int().min(1).default(availableParallelism()),
    /** prefork: a pool of child processes (Celery's default); threads: one process. */
    pool: z.enum(['prefork', 'threads']).default('prefork'),
    /** Acknowledge after the task ran, not when a pool child accepted it. */
    acks_late: z.boolean().default(false),
    /** With acks_late: a task whose pool child died is requeued instead of failed. */
    task_reject_on_worker_lost: z.boolean().default(false),
    /** Messages a worker reserves per pool process (0: as many as it can). */
    worker_prefetch_multiplier: z.number().int().min(0).default(4),
    /**
     * Errors the task decorator retries (`autoretry_for`). Celery retries nothing by
     * default; tasks that call a model API are written with it, as Celery's documentation
     * shows, so the runtime's transient error is the default here. [] is Celery bare.
     */
    autoretry_for: z
      .array(z.enum(['TransientStepError', 'PermanentStepError', 'Exception']))
      .default(['TransientStepError']),
    /** Retries after the first attempt; null retries for ever. */
    max_retries: z.number().int().min(0).nullable().default(3),
    /** false: a retry waits default_retry_delay; true or N: exponential backoff, factor 1 or N s. */
    retry_backoff: z.union([z.boolean(), z.number().int().positive()]).default(false),
    retry_backoff_max: z.number().int().positive().default(600),
    /** Full jitter on the backoff. */
    retry_jitter: z.boolean().default(true),
    /** Seconds a retry waits without backoff. */
    default_retry_delay: seconds.default(180),
    /**
     * Seconds a message delivered to a worker stays unacknowledged before Redis hands it out
     * again (kombu's Redis transport): what a dead worker's unacknowledged work waits for.
     */
    visibility_timeout: seconds.default(3600),
    /** Worker start-up options (`celery worker --without-mingle` ...), Celery's defaults. */
    without_mingle: z.boolean().default(false),
    without_gossip: z.boolean().default(false),
    without_heartbeat: z.boolean().default(false),
    /** Effects carry the runtime's idempotency key on this adapter even without --idempotent. */
    idempotencyKeys: z.boolean().default(false),
    /** A checkpointed step resumes from the progress an earlier delivery kept in the result backend. */
    resumeFromCheckpoint: z.boolean().default(true),
    /** A waiting approval task re-checks for the human's decision this often (a countdown retry). */
    approvalRecheckMs: z.number().positive().default(200),
    /**
     * Against a rolling deploy of changed code: `versioned-tasks` puts the version of the
     * code that built a run's canvas into every task's payload, and workers keep the older
     * versions' step definitions, so a run in flight finishes with the code it started with
     * (as a Celery user versions task names or payloads). `none`: whatever code takes a task runs it.
     */
    versioning: z.enum(['none', 'versioned-tasks']).default('none'),
    /** Any other Celery setting, by its Celery name (e.g. task_time_limit). */
    settings: namesOf(CELERY_NAMES.settings, {
      ...CELERY_NAMES.wiredSettings,
      ...Object.fromEntries(
        Object.entries(CELERY_NAMES.knobSettings).map(([setting, knob]) => [
          setting,
          `it is the knob ${knob}`,
        ]),
      ),
    }),
    /** Any other Redis transport option, by kombu's name (e.g. unacked_restore_interval). */
    broker_transport_options: namesOf(
      CELERY_NAMES.brokerTransportOptions,
      CELERY_NAMES.wiredTransportOptions,
    ),
  })
  .strict();

export type CeleryKnobs = z.infer<typeof CeleryKnobsSchema>;

/** kombu's defaults for the periodic restore of unacknowledged messages (kombu/transport/redis.py). */
export const KOMBU_UNACKED_RESTORE_INTERVAL_S = 10;
export const KOMBU_UNACKED_RESTORE_THROTTLE = 10;
/** How long the lock a worker takes for its restore sweep lives, if nobody releases it (kombu's default). */
export const KOMBU_UNACKED_MUTEX_EXPIRE_S = 300;

type TransportOptions = Pick<CeleryKnobs, 'broker_transport_options'>;

/** A numeric Redis transport option as kombu reads it: the knob's, else kombu's default. */
function transportOption(k: TransportOptions, name: string, fallback: number): number {
  const value = k.broker_transport_options[name];
  return typeof value === 'number' && value > 0 ? value : fallback;
}

/**
 * How often, in seconds, some live worker sweeps the unacknowledged messages for those past
 * their visibility timeout: every unacked_restore_interval, but only every
 * unacked_restore_throttle-th sweep scans Redis (kombu 5.7's defaults: 10 s × 10).
 */
export function restoreSweepSeconds(k: TransportOptions): number {
  const interval = transportOption(k, 'unacked_restore_interval', KOMBU_UNACKED_RESTORE_INTERVAL_S);
  const throttle = Math.max(
    1,
    Math.floor(transportOption(k, 'unacked_restore_throttle', KOMBU_UNACKED_RESTORE_THROTTLE)),
  );
  return interval * throttle;
}

/**
 * How long, in seconds, no worker can sweep after one was SIGKILLed inside its sweep: the
 * sweep runs under a Redis lock (kombu's `unacked_mutex`) that only the sweeper releases,
 * so the dead worker's lock stands until it expires (unacked_mutex_expire, 300 s by default).
 */
export function restoreLockSeconds(k: TransportOptions): number {
  return transportOption(k, 'unacked_mutex_expire', KOMBU_UNACKED_MUTEX_EXPIRE_S);
}
