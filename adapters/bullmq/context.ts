import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunPlan } from '../../scenarios/plan.js';
import type { StepRuntime } from '../../scenarios/runtime.js';
import type { StepJobData } from './keys.js';
import type { BullmqKnobs } from './knobs.js';

/**
 * What the parts of a BullMQ worker share: the connection of its own bookkeeping (not the
 * Worker's), its queue, the cell's plan and knobs (with versioned jobs, the plan and runtime
 * of one scenario version).
 */
export interface WorkerParts {
  cell: string;
  plan: RunPlan;
  knobs: BullmqKnobs;
  runtime: StepRuntime;
  /** The adapter's own bookkeeping (fan-in sets, the saga log), auto-pipelined. */
  connection: Redis;
  queue: Queue<StepJobData>;
  /** Knob versioning `versioned-jobs`: the scenario version these parts run, stamped on the jobs they add. */
  version?: number;
}
