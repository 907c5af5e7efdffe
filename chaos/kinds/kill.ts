import { z } from 'zod';
import { At, WorkerTarget } from '../entry-fields.js';
import type { FaultKind } from '../kind.js';
import { pickWorkers, resolveAt } from '../timing.js';

/**
 * Process faults: SIGKILL (a crash) or SIGTERM (a graceful stop) to worker slots — their
 * process or their whole process group, as the adapter declares. Nothing to heal: the
 * supervisor restarts dead workers after its delay, as a container orchestrator would,
 * and writes worker-exit; the restarted worker writes worker-start.
 */
const kill: FaultKind = {
  kind: 'kill',
  description: 'SIGKILL (a crash) or SIGTERM (a graceful stop) to worker slots',
  entry: z
    .object({
      kind: z.literal('kill'),
      at: At,
      target: WorkerTarget.default('worker'),
      params: z
        .object({ signal: z.enum(['SIGKILL', 'SIGTERM']).default('SIGKILL') })
        .strict()
        .default({ signal: 'SIGKILL' }),
    })
    .strict(),
  plan(entry, ctx, rng) {
    const atMs = resolveAt(entry.at, ctx.windowMs, rng);
    const workers = pickWorkers(entry.target, ctx.workers, rng);
    return {
      atMs,
      durationMs: null,
      workers,
      target: workers.map((w) => `w${w}`).join(','),
      params: { ...entry.params },
    };
  },
  // SIGTERM lets in-flight steps finish: only SIGKILL leaves work to the orchestrator's recovery.
  killsMidStep: (params) => (params.signal ?? 'SIGKILL') === 'SIGKILL',
  injector(fault, cell) {
    const ids = cell.workers.ids();
    const targets = (fault.workers ?? []).map((slot) => ids[slot - 1]).filter((id): id is string => !!id);
    const signal = (fault.params.signal as NodeJS.Signals | undefined) ?? 'SIGKILL';
    const killed = kill.killsMidStep(fault.params) ? targets : undefined;
    return {
      target: targets.join(','),
      instant: true,
      ...(killed ? { killed } : {}),
      async inject() {
        cell.workers.signal(targets, signal);
      },
    };
  },
};

export default kill;
