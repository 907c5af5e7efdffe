import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../../core/errors.js';
import type { FailpointName } from '../../scenarios/runtime.js';
import { AtValue } from '../entry-fields.js';
import { armFailpointFile } from '../failpoint.js';
import type { FaultKind } from '../kind.js';
import { resolveAt } from '../timing.js';

/**
 * A worker SIGKILLs itself at a named point of the step runtime, armed in every worker
 * from `at` (or from the start): at the Nth time it reaches the point after that, or with
 * a probability. `once`: a worker fires it once, restarts included. A trigger plus a time,
 * so it fires mid-load even on an adapter whose runs lag behind.
 */
const failpoint: FaultKind = {
  kind: 'failpoint',
  description:
    'a worker SIGKILLs itself at a point of the step runtime (before-effect, after-effect, after-step)',
  entry: z
    .object({
      kind: z.literal('failpoint'),
      at: AtValue.optional(),
      target: z.literal('workers').default('workers'),
      params: z
        .object({
          point: z.enum(['before-effect', 'after-effect', 'after-step']),
          /** Step id or instance id; default: the scenario's first step with an effect. */
          step: z.string().min(1).optional(),
          nth: z.number().int().min(1).max(1_000_000).optional(),
          probability: z.number().min(0).max(1).optional(),
          once: z.boolean().default(true),
        })
        .strict()
        .refine(
          (p) => p.nth === undefined || p.probability === undefined,
          'give nth or probability, not both',
        ),
    })
    .strict(),
  plan(entry, ctx, rng) {
    const params = { ...(entry.params ?? {}) };
    if (params.step === undefined) {
      if (ctx.effectStep === undefined)
        throw new InputError('a failpoint needs params.step: this scenario has no step with an effect');
      params.step = ctx.effectStep;
    }
    return {
      atMs: entry.at === undefined ? null : resolveAt(entry.at, ctx.windowMs, rng),
      durationMs: null,
      target: entry.target,
      params,
    };
  },
  killsMidStep: () => true,
  workerFailpoint(fault, markerDir) {
    const p = fault.params as {
      point: FailpointName;
      step?: string;
      nth?: number;
      probability?: number;
      once?: boolean;
    };
    return {
      point: p.point,
      ...(p.step === undefined ? {} : { stepId: p.step }),
      ...(p.probability === undefined ? { nth: p.nth ?? 1 } : { probability: p.probability }),
      faultId: fault.id,
      once: p.once ?? true,
      markerDir,
      ...(fault.atMs === null ? {} : { armedFile: join(markerDir, `${fault.id}.armed`) }),
    };
  },
  // At its moment the nemesis arms it; each worker writes its own fault-start when it fires.
  injector: (fault, cell) => ({
    target: 'workers',
    instant: true,
    recordedByWorkers: true,
    async inject() {
      armFailpointFile(failpoint.workerFailpoint!(fault, cell.chaosDir));
    },
  }),
};

export default failpoint;
