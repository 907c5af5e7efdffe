import { z } from 'zod';
import { NO_WORLD_FAULTS } from '../../core/world-protocol.js';
import { At, Duration } from '../entry-fields.js';
import type { FaultKind } from '../kind.js';
import { planTimed } from '../timing.js';

/** The world's model and tool calls take longer. */
const modelLatency: FaultKind = {
  kind: 'model-latency',
  description: "the world's model and tool calls take `extraLatencyMs` longer",
  entry: z
    .object({
      kind: z.literal('model-latency'),
      at: At,
      duration: Duration,
      target: z.literal('model').default('model'),
      params: z
        .object({ extraLatencyMs: z.number().int().min(0).max(600_000).default(1000) })
        .strict()
        .default({ extraLatencyMs: 1000 }),
    })
    .strict(),
  plan: planTimed,
  killsMidStep: () => false,
  injector: (fault, cell) => ({
    target: 'model',
    async inject() {
      cell.world.setFaults({ extraLatencyMs: Number(fault.params.extraLatencyMs) });
    },
    async heal() {
      cell.world.setFaults({ extraLatencyMs: NO_WORLD_FAULTS.extraLatencyMs });
    },
  }),
};

export default modelLatency;
