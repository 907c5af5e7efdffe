import { NO_WORLD_FAULTS } from '../core/world-protocol.js';
import type { WorldProcess } from '../harness/world/process.js';
import type { Injector } from './injector.js';
import type { PlannedFault } from './schedule.js';

/**
 * World faults: the simulated model API misbehaves (error bursts: 5xx, or 429 with
 * Retry-After; slow answers). Each heals only the fields it set, so an error burst
 * and a slowdown can overlap.
 */
export function worldInjector(fault: PlannedFault, world: WorldProcess): Injector {
  const p = fault.params;
  if (fault.kind === 'model-latency') {
    return {
      target: 'model',
      async inject() {
        world.setFaults({ extraLatencyMs: Number(p.extraLatencyMs) });
      },
      async heal() {
        world.setFaults({ extraLatencyMs: NO_WORLD_FAULTS.extraLatencyMs });
      },
    };
  }
  return {
    target: 'model',
    async inject() {
      world.setFaults({
        modelErrorRate: Number(p.rate),
        modelErrorStatus: Number(p.status),
        retryAfterSeconds: Number(p.retryAfterSeconds),
      });
    },
    async heal() {
      world.setFaults({ modelErrorRate: 0 });
    },
  };
}
