import { z } from 'zod';

/**
 * A fault schedule entry, as a user writes it in an experiment's `faultSchedule`
 * (and as the named faults are built): a kind, when, for how long, against what,
 * with what parameters. Pure data, validated with errors naming the field.
 */

/** Toxiproxy toxics with their attributes and a default for a quick run. */
export const TOXICS = {
  latency: { latency: 200, jitter: 50 },
  bandwidth: { rate: 16 }, // KB/s
  // Data is dropped and the connection closed after `timeout` ms. Not 0 by default: with 0
  // the connection survives and carries on after the toxic goes, minus the dropped bytes,
  // which no real TCP stream does (a Redis client then matches replies to the wrong commands).
  timeout: { timeout: 2000 },
  reset_peer: { timeout: 0 },
  slow_close: { delay: 1000 },
  slicer: { average_size: 16, size_variation: 8, delay: 10 },
  limit_data: { bytes: 1024 },
} as const;
export type ToxicKind = keyof typeof TOXICS;
const TOXIC_KINDS = Object.keys(TOXICS) as ToxicKind[];

/**
 * `orchestrator` is the link to the adapter's own backend (BullMQ: `broker`,
 * Temporal: `server`), so one schedule applies to every adapter alike.
 */
export const LINK_TARGETS = ['orchestrator', 'broker', 'server', 'world'] as const;
export type LinkTarget = (typeof LINK_TARGETS)[number];

/** `backend` is the adapter's own server (Redis for BullMQ, Temporal for Temporal). */
export const BACKEND_TARGETS = ['backend', 'redis', 'temporal'] as const;

/**
 * When: milliseconds after the load starts, a share of the load window ("30%"),
 * or "random" (drawn from the seed within 10%–80% of the window).
 */
const AtValue = z.union([
  z.number().int().min(0),
  z.string().regex(/^(\d+(\.\d+)?%|random)$/, 'expected milliseconds, a share such as "30%", or "random"'),
]);
const At = AtValue.default('30%');
const Duration = z.number().int().positive().default(5000);

const networkEntry = (kind: ToxicKind) => {
  const attributes = Object.fromEntries(
    Object.entries(TOXICS[kind]).map(([name, value]) => [name, z.number().min(0).default(value)]),
  );
  return z
    .object({
      kind: z.literal(kind),
      at: At,
      duration: Duration,
      target: z.enum(LINK_TARGETS).default('orchestrator'),
      params: z
        .object({
          /** downstream: server → client (the default); upstream: client → server. */
          stream: z.enum(['upstream', 'downstream', 'both']).default('downstream'),
          /** Share of connections affected. */
          toxicity: z.number().min(0).max(1).default(1),
          ...attributes,
        })
        .strict()
        .default({} as never),
    })
    .strict();
};

const PartitionEntry = z
  .object({
    kind: z.literal('partition'),
    at: At,
    duration: Duration,
    target: z.enum(LINK_TARGETS).default('orchestrator'),
  })
  .strict();

/** `worker`: one drawn from the seed; `workers:N`: N of them; `workers`: all; `w2`: the second. */
export const WorkerTarget = z
  .string()
  .regex(/^(worker|workers|workers:\d+|w\d+)$/, 'expected worker, workers, workers:N or wN (e.g. w1)');

const KillEntry = z
  .object({
    kind: z.literal('kill'),
    at: At,
    target: WorkerTarget.default('worker'),
    params: z
      .object({ signal: z.enum(['SIGKILL', 'SIGTERM']).default('SIGKILL') })
      .strict()
      .default({ signal: 'SIGKILL' }),
  })
  .strict();

/**
 * Armed in every worker, from `at` (or from the start): the worker kills itself at the
 * Nth time it reaches the point after that. `once`: a worker slot fires it once, restarts
 * included. A trigger plus a time, so it fires mid-load even on an adapter whose runs lag.
 */
const FailpointEntry = z
  .object({
    kind: z.literal('failpoint'),
    at: AtValue.optional(),
    target: z.literal('workers').default('workers'),
    params: z
      .object({
        point: z.enum(['before-effect', 'after-effect', 'after-step']),
        /** Step id or instance id; default: the scenario's first step with an effect. */
        step: z.string().min(1).optional(),
        nth: z.number().int().min(1).optional(),
        probability: z.number().min(0).max(1).optional(),
        once: z.boolean().default(true),
      })
      .strict()
      .refine((p) => p.nth === undefined || p.probability === undefined, 'give nth or probability, not both'),
  })
  .strict();

const BackendRestartEntry = z
  .object({
    kind: z.literal('backend-restart'),
    at: At,
    target: z.enum(BACKEND_TARGETS).default('backend'),
    params: z
      .object({ downMs: z.number().int().min(0).default(1000) })
      .strict()
      .default({ downMs: 1000 }),
  })
  .strict();

const ModelErrorsEntry = z
  .object({
    kind: z.literal('model-errors'),
    at: At,
    duration: Duration,
    target: z.literal('model').default('model'),
    params: z
      .object({
        rate: z.number().min(0).max(1).default(1),
        status: z.number().int().min(400).max(599).default(503),
        /** Sent as Retry-After with 429s. */
        retryAfterSeconds: z.number().int().min(0).default(1),
      })
      .strict()
      .default({ rate: 1, status: 503, retryAfterSeconds: 1 }),
  })
  .strict();

const ModelLatencyEntry = z
  .object({
    kind: z.literal('model-latency'),
    at: At,
    duration: Duration,
    target: z.literal('model').default('model'),
    params: z
      .object({ extraLatencyMs: z.number().int().min(0).default(1000) })
      .strict()
      .default({ extraLatencyMs: 1000 }),
  })
  .strict();

export const FaultEntrySchema = z.discriminatedUnion('kind', [
  PartitionEntry,
  ...TOXIC_KINDS.map(networkEntry),
  KillEntry,
  FailpointEntry,
  BackendRestartEntry,
  ModelErrorsEntry,
  ModelLatencyEntry,
] as unknown as [typeof PartitionEntry, ...z.ZodObject[]]);

export const FaultScheduleSchema = z.array(FaultEntrySchema).min(1);

export const FAULT_KINDS = [
  'partition',
  ...TOXIC_KINDS,
  'kill',
  'failpoint',
  'backend-restart',
  'model-errors',
  'model-latency',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A validated entry, every default filled in. */
export interface FaultEntry {
  kind: FaultKind;
  at?: number | string;
  duration?: number;
  target: string;
  params?: Record<string, unknown>;
}

export function isToxic(kind: string): kind is ToxicKind {
  return kind in TOXICS;
}
