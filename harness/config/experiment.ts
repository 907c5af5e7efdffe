import { z } from 'zod';
import { FaultScheduleSchema, SCHEDULE_FAULT } from '../../chaos/index.js';
import { CapacitySchema } from './capacity.js';

/**
 * An experiment: which scenarios, through which adapters (with their knobs), under
 * which faults, with what load, judged by which thresholds. Load lives here and
 * never in a scenario, so one scenario serves every profile.
 */
export const LoadSchema = z
  .object({
    /** Runs per cell, warm-up included. */
    runs: z.number().int().min(1).default(200),
    /** Mean arrival rate (Poisson, open loop). */
    ratePerSec: z.number().positive().default(20),
    /** The first runs, left out of latency and throughput. Default: 10% of runs. */
    warmupRuns: z.number().int().min(0).optional(),
    /** Worker processes per adapter. */
    workers: z.number().int().min(1).max(64).default(2),
    /** After the last submit, how long to wait for runs to finish before calling them lost. */
    drainTimeoutMs: z.number().int().positive().default(60_000),
  })
  .strict();
export type Load = z.infer<typeof LoadSchema>;

export const AdapterEntrySchema = z
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
    seed: z.number().int().default(1),
    /** Runs every cell this many times, each with a seed derived from `seed`; reports pool them with intervals. */
    repeat: z.number().int().min(1).max(100).default(1),
    scenarios: z.array(z.string().min(1)).min(1),
    adapters: z.array(AdapterEntrySchema).min(1),
    /** Named faults (faultline list); "schedule" runs `faultSchedule`. Default: ["schedule"] with one, else ["none"]. */
    faults: z.array(z.string().min(1)).min(1).optional(),
    /** A fault schedule: entries of kind, at, duration, target, params (see chaos/spec.ts). */
    faultSchedule: FaultScheduleSchema.optional(),
    load: LoadSchema.default(LoadSchema.parse({})),
    /** Every effect carries an idempotency key derived from (run, step). */
    idempotent: z.boolean().default(false),
    /** The world's human approver: answers approval requests after delayMs, rejects a share. */
    approver: z
      .object({
        delayMs: z.number().int().min(0).default(50),
        rejectRate: z.number().min(0).max(1).default(0),
      })
      .strict()
      .optional(),
    /** Redis AOF and Temporal's SQLite file; off means a backend restart loses work. */
    backendPersistence: z.boolean().default(true),
    /** Supervisor restarts a dead worker after this long; null never restarts. */
    workerRestartDelayMs: z.number().int().min(0).nullable().default(1000),
    /**
     * Workers reach Redis, Temporal and the world through Toxiproxy links, so network
     * faults can hit them. Off only to measure what the proxy hop costs (faultline bench).
     */
    proxyWorkers: z.boolean().default(true),
    /** k6-style gates, e.g. "lost == 0", "latency.p99 < 2s". */
    thresholds: z.array(z.string()).default([]),
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
