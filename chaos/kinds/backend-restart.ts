import { z } from 'zod';
import { At } from '../entry-fields.js';
import type { FaultKind } from '../kind.js';
import { resolveService } from '../targets.js';
import { resolveAt } from '../timing.js';

/**
 * Backend faults: the services provider SIGKILLs the server (a crash), keeps it down
 * `downMs`, and starts it on the same port; with persistence off it comes back empty.
 * The fault lasts until the server answers again, so fault-end marks the moment clients
 * can reconnect (ioredis, kombu and the Temporal SDKs do so by themselves).
 */
const backendRestart: FaultKind = {
  kind: 'backend-restart',
  description: "crash and restart a service: `backend` (the adapter's own) or one it uses",
  entry: z
    .object({
      kind: z.literal('backend-restart'),
      at: At,
      target: z
        .string()
        .regex(/^[a-z][a-z0-9-]*$/, 'a service: backend, or one the adapter uses')
        .default('backend'),
      params: z
        .object({ downMs: z.number().int().min(0).max(600_000).default(1000) })
        .strict()
        .default({ downMs: 1000 }),
    })
    .strict(),
  plan: (entry, ctx, rng) => ({
    atMs: resolveAt(entry.at, ctx.windowMs, rng),
    durationMs: null,
    target: entry.target,
    params: { ...entry.params },
  }),
  check(entry, { topology, servicesProvider, canRestart }) {
    const service = resolveService(entry.target, topology);
    if (!topology.services.includes(service))
      return `adapter ${topology.name} does not use "${service}"; its services: backend, ${topology.services.join(', ')}`;
    if (!canRestart(service))
      return `the ${servicesProvider} services provider cannot restart ${service} (a server it does not own); run backend restarts with --services local or testcontainers`;
    return undefined;
  },
  killsMidStep: () => false,
  injector(fault, cell) {
    const service = resolveService(fault.target, cell.topology);
    const downMs = Number(fault.params.downMs ?? 1000);
    return {
      target: service,
      async inject() {
        await cell.services.restart(service, { downMs });
      },
    };
  },
};

export default backendRestart;
