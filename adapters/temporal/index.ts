import { fileURLToPath } from 'node:url';
import type { AdapterDefinition } from '../types.js';
import { prepareWorkflowBundle } from './bundle.js';
import { TemporalDriver } from './driver.js';
import { type TemporalKnobs, TemporalKnobsSchema } from './knobs.js';

const bareEntry = (path: string) => ({
  runtime: 'node' as const,
  entry: fileURLToPath(new URL(path, import.meta.url)),
});

const adapter: AdapterDefinition<TemporalKnobs> = {
  name: 'temporal',
  description:
    'Durable workflows: Temporal, a run as a workflow, a step as an activity (fan-out in parallel)',
  lineage: { family: 'temporal', language: 'typescript' },
  services: ['temporal'],
  links: [{ name: 'server', fronts: 'temporal' }],
  orchestrator: { link: 'server', service: 'temporal' },
  workers: [
    {
      role: 'worker',
      command: { runtime: 'node', entry: fileURLToPath(new URL('./worker-main.ts', import.meta.url)) },
      killScope: 'process',
      poolChildren: false,
    },
  ],
  knobs: TemporalKnobsSchema,
  recovery: (k) => ({
    // A dead worker's activity times out after startToCloseTimeout (heartbeatTimeout for
    // steps that heartbeat: the two are alternatives, the longer one bounds both), then
    // its retry waits the first retry interval. The workflow task that the retry's result
    // schedules goes to the sticky queue of the worker that last ran the workflow, and when
    // that worker is the dead one it waits out the sticky queue's schedule-to-start timeout
    // before any worker may take it: after the retry, not meanwhile (a default comparison's
    // kill cell waited 5 s + 1 s, then 10 s more), so the bound is the sum.
    boundMs:
      Math.max(k.startToCloseTimeout, k.heartbeatTimeout) +
      k.retry.initialInterval +
      k.stickyQueueScheduleToStartTimeout,
    governedBy: {
      startToCloseTimeout: k.startToCloseTimeout,
      heartbeatTimeout: k.heartbeatTimeout,
      'retry.initialInterval': k.retry.initialInterval,
      stickyQueueScheduleToStartTimeout: k.stickyQueueScheduleToStartTimeout,
    },
  }),
  prepare: prepareWorkflowBundle,
  createDriver: (ctx) => new TemporalDriver(ctx),
  bench: {
    // A client starting no-op workflows of one no-op activity and awaiting their results, one Worker.
    bare: { producer: bareEntry('./bare/producer.ts'), worker: bareEntry('./bare/worker.ts') },
    // Activity slots are the concurrency; workflow-task slots stay Temporal's, in both.
    knobs: (concurrency) => ({ maxConcurrentActivityTaskExecutions: concurrency }),
    // A workflow costs the server several round trips: fewer runs than BullMQ's make seconds of load.
    defaultRuns: 1_000,
  },
};

export default adapter;
