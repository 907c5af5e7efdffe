import { fileURLToPath } from 'node:url';
import type { AdapterDefinition } from '../types.js';
import { BullmqDriver } from './driver.js';
import { type BullmqKnobs, BullmqKnobsSchema } from './knobs.js';

const adapter: AdapterDefinition<BullmqKnobs> = {
  name: 'bullmq',
  description: 'Job queue: BullMQ on Redis, a run as a chain of step jobs with fan-in bookkeeping',
  services: ['redis'],
  links: [{ name: 'broker', fronts: 'redis' }],
  orchestrator: { link: 'broker', service: 'redis' },
  workers: [
    {
      role: 'worker',
      command: { runtime: 'node', entry: fileURLToPath(new URL('./worker-main.ts', import.meta.url)) },
      killScope: 'process',
      poolChildren: false,
    },
  ],
  knobs: BullmqKnobsSchema,
  // A dead worker's job is found once its lock expired, at the next stalled check: up to
  // lockDuration plus one stalledInterval after the death.
  recovery: (k) => ({
    boundMs: k.lockDuration + k.stalledInterval,
    governedBy: { lockDuration: k.lockDuration, stalledInterval: k.stalledInterval },
  }),
  createDriver: (ctx) => new BullmqDriver(ctx),
};

export default adapter;
