import { fileURLToPath } from 'node:url';
import type { AdapterDefinition } from '../types.js';
import { BullmqDriver } from './driver.js';
import { type BullmqKnobs, BullmqKnobsSchema } from './knobs.js';

const entry = (path: string) => ({
  runtime: 'node' as const,
  entry: fileURLToPath(new URL(path, import.meta.url)),
});

const adapter: AdapterDefinition<BullmqKnobs> = {
  name: 'bullmq',
  description: 'Job queue: BullMQ on Redis, a run as a chain of step jobs with fan-in bookkeeping',
  services: ['redis'],
  links: [{ name: 'broker', fronts: 'redis' }],
  orchestrator: { link: 'broker', service: 'redis' },
  workers: [
    {
      role: 'worker',
      command: entry('./worker-main.ts'),
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
  bench: {
    // A producer adding no-op jobs and counting completions from QueueEvents, one Worker.
    bare: { producer: entry('./bare/producer.ts'), worker: entry('./bare/worker.ts') },
    knobs: (concurrency) => ({ concurrency }),
    defaultRuns: 20_000,
  },
};

export default adapter;
