import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunPlan } from '../../scenarios/plan.js';
import type { StepRuntime } from '../../scenarios/runtime.js';
import type { StepJobData } from './keys.js';
import type { BullmqKnobs } from './knobs.js';

/**
 * What the parts of a BullMQ worker share: the connection of its own bookkeeping, the
 * Worker's, its queue, the cell's plan and knobs.
 */
export interface WorkerParts {
  cell: string;
  plan: RunPlan;
  knobs: BullmqKnobs;
  runtime: StepRuntime;
  /** The adapter's own bookkeeping (fan-in sets, the saga log), auto-pipelined. */
  connection: Redis;
  /**
   * The connection the Worker completes its jobs on (moveToFinished): Redis runs one
   * connection's commands in the order they were sent, so a command sent on it before the
   * processor returns takes effect before the job's completion, without waiting for its reply.
   */
  jobConnection: Redis;
  queue: Queue<StepJobData>;
}
