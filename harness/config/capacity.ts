import { z } from 'zod';

/**
 * `faultline capacity` (or an experiment file's `capacity:`): ramp the arrival rate step by
 * step, one cell per step, until the declared SLO breaks, for each adapter and each worker
 * count; then narrow the knee between the last rate that held and the first that broke.
 */
export const CapacitySchema = z
  .object({
    /** The SLO, as gates (k6-style, the metric catalog's names): every one must pass for a rate to hold. */
    slo: z.array(z.string().min(1)).min(1).default(['latency.p99 < 1s', 'lost == 0']),
    /** Worker processes per sweep: how each strategy scales with workers. */
    workers: z.array(z.number().int().min(1).max(64)).min(1).default([1, 2, 4]),
    /** The first rate tried (runs/s). */
    fromRate: z.number().positive().default(20),
    /** Each step multiplies the rate by this until the SLO breaks (divides it, when the first step already broke). */
    factor: z.number().gt(1).max(10).default(2),
    /** Never above this rate: a sweep that holds there says the knee is higher. */
    maxRate: z.number().positive().default(5000),
    /** Never below this rate: a sweep that breaks there says the knee is lower. */
    minRate: z.number().positive().default(1),
    /** Seconds of arrivals per step (at least 20 runs). */
    stepSeconds: z.number().positive().max(600).default(10),
    /** Steps between the last rate that held and the first that broke (geometric middles). */
    refine: z.number().int().min(0).max(10).default(2),
    /** The whole sweep's time budget, shared evenly by its adapter × workers sweeps; no step starts past it. */
    timeBoundMs: z.number().int().positive().default(600_000),
    /** After a step's last arrival, how long its runs get to finish before they count as lost. */
    drainTimeoutMs: z.number().int().positive().default(10_000),
  })
  .strict();

export type CapacitySettings = z.infer<typeof CapacitySchema>;
