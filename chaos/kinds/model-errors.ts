import { z } from 'zod';
import { At, Duration } from '../entry-fields.js';
import type { FaultKind } from '../kind.js';
import { planTimed } from '../timing.js';

/** The world's model API answers errors: 5xx, or 429 with Retry-After (a rate limit). */
const modelErrors: FaultKind = {
  kind: 'model-errors',
  description: "the world's model API answers a share of calls with an error status",
  entry: z
    .object({
      kind: z.literal('model-errors'),
      at: At,
      duration: Duration,
      target: z.literal('model').default('model'),
      params: z
        .object({
          rate: z.number().min(0).max(1).default(1),
          status: z.number().int().min(400).max(599).default(503),
          /** Sent as Retry-After with 429s. */
          retryAfterSeconds: z.number().int().min(0).max(3600).default(1),
        })
        .strict()
        .default({ rate: 1, status: 503, retryAfterSeconds: 1 }),
    })
    .strict(),
  plan: planTimed,
  killsMidStep: () => false,
  // Each heals only the fields it set, so an error burst and a slowdown can overlap.
  injector: (fault, cell) => ({
    target: 'model',
    async inject() {
      cell.world.setFaults({
        modelErrorRate: Number(fault.params.rate),
        modelErrorStatus: Number(fault.params.status),
        retryAfterSeconds: Number(fault.params.retryAfterSeconds),
      });
    },
    async heal() {
      cell.world.setFaults({ modelErrorRate: 0 });
    },
  }),
};

export default modelErrors;
