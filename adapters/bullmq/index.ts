import { fileURLToPath } from 'node:url';
import type { AdapterDefinition } from '../types.js';
import { BullmqDriver } from './driver.js';
import { type BullmqKnobs, BullmqKnobsSchema } from './knobs.js';

export const bullmqAdapter: AdapterDefinition<BullmqKnobs> = {
  name: 'bullmq',
  description: 'Job queue: BullMQ on Redis, a run as a chain of step jobs with fan-in bookkeeping',
  services: ['redis'],
  knobs: BullmqKnobsSchema,
  // A dead worker's job is found once its lock expires, at the next stalled check.
  recoveryKnob: (k) => `lockDuration=${k.lockDuration}, stalledInterval=${k.stalledInterval}`,
  createDriver: (ctx) => new BullmqDriver(ctx),
  workerModule: fileURLToPath(new URL('./worker.ts', import.meta.url)),
};
