import { z } from 'zod';
import { FaultScheduleSchema, SCHEDULE_FAULT } from '../../chaos/index.js';
import {
  MAX_DURATION_MS,
  MAX_RATE_PER_SEC,
  MAX_RUNS,
  MAX_SEED,
  MAX_WORKERS,
  MIN_RATE_PER_SEC,
} from '../../core/limits.js';
import { PROVIDER_KINDS } from '../services/index.js';
import { CapacitySchema } from './capacity.js';

/**
 * An experiment: which scenarios, through which adapters (with their knobs), under
 * which faults, with what load, judged by which thresholds. Load lives here and
 * never in a scenario, so one scenario serves every profile.
 */
const LoadSchema = z
  .object({
    /** Runs per cell, warm-up included. */
    runs: z.number().int().min(1).max(MAX_RUNS).default(200),
    /** Mean arrival rate (Poisson, open loop). */
    ratePerSec: z.number().min(MIN_RATE_PER_SEC).max(MAX_RATE_PER_SEC).default(20),
    /** The first runs, left out of latency and throughput. Default: 10% of runs. */
    warmupRuns: z.number().int().min(0).max(MAX_RUNS).optional(),
    /** Worker processes per adapter. */
    workers: z.number().int().min(1).max(MAX_WORKERS).default(2),
    /** After the last submit, how long to wait for runs to finish before calling them lost. */
    drainTimeoutMs: z.number().int().min(1).max(MAX_DURATION_MS).default(60_000),
  })
  .strict()
  .superRefine((load, ctx) => {
    if (load.warmupRuns !== undefined && load.warmupRuns >= load.runs) {
      ctx.addIssue({
        code: 'custom',
        path: ['warmupRuns'],
        message: `${load.warmupRuns} warm-up runs leave none of the ${load.runs} runs to measure; must be less than runs`,
      });
    }
    // The arrivals span about (runs - 1) / rate seconds; every timer of the run lives inside it.
    if (load.runs > MAX_RUNS || load.ratePerSec < MIN_RATE_PER_SEC) return; // already out of range
    const spanMs = ((load.runs - 1) / load.ratePerSec) * 1000;
    if (spanMs > MAX_DURATION_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['ratePerSec'],
        message: `${load.runs} runs at ${load.ratePerSec}/s take about ${Math.round(spanMs / 3_600_000)} h of arrivals; at most 24 h (raise the rate or lower the runs)`,
      });
    }
  });
export type Load = z.infer<typeof LoadSchema>;

/** A list whose entries must differ: `scenarios: [a, a]` would run one cell twice under one id. */
function noDuplicates<T>(key: (item: T) => string, what: string) {
  return (items: readonly T[], ctx: z.core.$RefinementCtx<readonly T[]>) => {
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      const name = key(item);
      const at = first.get(name);
      if (at === undefined) first.set(name, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `${what} "${name}" is listed twice (also [${at}])`,
        });
    });
  };
}

const AdapterEntrySchema = z
  .object({
    /** Built-in adapter name, or a module path exporting an AdapterDefinition as default. */
    name: z.string().min(1),
    /**
     * The name its cells and reports use instead of the adapter's, so one adapter can run
     * side by side with two knob sets (e.g. `temporal-patched`, with versioning: patched).
     */
    as: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and dashes, starting with a letter')
      .optional(),
    knobs: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const ExperimentSchema = z
  .object({
    description: z.string().optional(),
    seed: z.number().int().min(0).max(MAX_SEED).default(1),
    /** Runs every cell this many times, each with a seed derived from `seed`; reports pool them with intervals. */
    repeat: z.number().int().min(1).max(100).default(1),
    scenarios: z
      .array(z.string().min(1))
      .min(1)
      .superRefine(noDuplicates((s: string) => s, 'scenario')),
    adapters: z
      .array(AdapterEntrySchema)
      .min(1)
      // By the name its cells go by: one adapter may run twice under two names (`as`).
      .superRefine(noDuplicates((a: { name: string; as?: string | undefined }) => a.as ?? a.name, 'adapter')),
    /** Named faults (faultline list); "schedule" runs `faultSchedule`. Default: ["schedule"] with one, else ["none"]. */
    faults: z
      .array(z.string().min(1))
      .min(1)
      .superRefine(noDuplicates((f: string) => f, 'fault'))
      .optional(),
    /** A fault schedule: entries of kind, at, duration, target, params (see chaos/spec.ts). */
    faultSchedule: FaultScheduleSchema.optional(),
    load: LoadSchema.default(LoadSchema.parse({})),
    /** Every effect carries an idempotency key derived from (run, step). */
    idempotent: z.boolean().default(false),
    /** The world's human approver: answers approval requests after delayMs, rejects a share. */
    approver: z
      .object({
        delayMs: z.number().int().min(0).max(MAX_DURATION_MS).default(50),
        rejectRate: z.number().min(0).max(1).default(0),
      })
      .strict()
      .optional(),
    /** Redis AOF and Temporal's SQLite file; off means a backend restart loses work. */
    backendPersistence: z.boolean().default(true),
    /** Supervisor restarts a dead worker after this long; null never restarts. */
    workerRestartDelayMs: z.number().int().min(0).max(MAX_DURATION_MS).nullable().default(1000),
    /**
     * Workers reach Redis, Temporal and the world through Toxiproxy links, so network
     * faults can hit them. Off only to measure what the proxy hop costs (faultline bench).
     */
    proxyWorkers: z.boolean().default(true),
    /** k6-style gates, e.g. "lost == 0", "latency.p99 < 2s". */
    thresholds: z
      .array(z.string().min(1))
      .superRefine(noDuplicates((t: string) => t.trim(), 'threshold'))
      .default([]),
    /**
     * Where Redis, Temporal and Toxiproxy come from: binaries started here (`local`), Docker
     * containers started through testcontainers, or servers someone else runs (`external`,
     * addresses and credentials from FAULTLINE_* environment variables).
     */
    services: z.enum(PROVIDER_KINDS).default('local'),
    /** testcontainers: images built from the binaries setup installed (nothing pulled), or the public images. */
    containerImages: z.enum(['local', 'public']).default('local'),
    /**
     * OpenTelemetry: each run a trace, each step attempt a span, through the orchestrators'
     * own instrumentation; written to traces/ in the run folder, and sent over OTLP when
     * OTEL_EXPORTER_OTLP_ENDPOINT is set. Off only to measure the harness (faultline bench).
     */
    traces: z.boolean().default(true),
    /** `faultline capacity` with this file: the SLO, the ramp and the worker counts (harness/config/capacity.ts). */
    capacity: CapacitySchema.optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    const at = e.faults?.indexOf(SCHEDULE_FAULT) ?? -1;
    if (at >= 0 && !e.faultSchedule)
      ctx.addIssue({
        code: 'custom',
        path: ['faults', at],
        message: `"${SCHEDULE_FAULT}" needs a faultSchedule`,
      });
  })
  // A file with a faultSchedule and no faults runs its schedule.
  .transform((e) => ({ ...e, faults: e.faults ?? [e.faultSchedule ? SCHEDULE_FAULT : 'none'] }));

export type Experiment = z.infer<typeof ExperimentSchema>;
export type ExperimentInput = z.input<typeof ExperimentSchema>;

export function warmupRunsOf(load: Load): number {
  return load.warmupRuns ?? Math.floor(load.runs * 0.1);
}
