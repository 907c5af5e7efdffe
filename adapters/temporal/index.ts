import { fileURLToPath } from 'node:url';
import type { AdapterDefinition } from '../types.js';
import { prepareWorkflowBundle } from './bundle.js';
import { TemporalDriver } from './driver.js';
import { type TemporalKnobs, TemporalKnobsSchema } from './knobs.js';

export const temporalAdapter: AdapterDefinition<TemporalKnobs> = {
  name: 'temporal',
  description:
    'Durable workflows: Temporal, a run as a workflow, a step as an activity (fan-out in parallel)',
  services: ['temporal'],
  knobs: TemporalKnobsSchema,
  // A dead worker's activity is retried once its timeout passes: the heartbeat timeout for
  // steps that heartbeat, the start-to-close timeout for the others.
  recoveryKnob: (k) =>
    `startToCloseTimeout=${k.startToCloseTimeout} (heartbeatTimeout=${k.heartbeatTimeout} for heartbeating steps)`,
  prepare: prepareWorkflowBundle,
  createDriver: (ctx) => new TemporalDriver(ctx),
  workerModule: fileURLToPath(new URL('./worker.ts', import.meta.url)),
};
