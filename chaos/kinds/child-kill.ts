import { z } from 'zod';
import { At, WorkerTarget } from '../entry-fields.js';
import type { FaultKind } from '../kind.js';
import type { PoolChild } from '../ports.js';
import { pickWorkers, resolveAt } from '../timing.js';

/**
 * One pool child of a worker dies, not the worker: what the kernel's OOM killer does to
 * the child that holds a large model in memory. Only for adapters whose workers run their
 * steps in pool children (`poolChildren: true`); the main process survives, sees its child
 * die, and decides what becomes of the child's task (that decision is the finding). The
 * child is chosen when the fault fires: one with a step in flight (its history's last open
 * `attempt` with the child's `pid`) before an idle one, the lowest pid among equals.
 */
const childKill: FaultKind = {
  kind: 'child-kill',
  description:
    'SIGKILL one pool child of a worker (as the OOM killer does), not the worker; pool adapters only',
  entry: z
    .object({
      kind: z.literal('child-kill'),
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
  check(_entry, { topology }) {
    if (topology.workers.some((w) => w.poolChildren)) return undefined;
    return `adapter ${topology.name}'s workers have no pool children (poolChildren: false), so there is no child to kill; use the kill fault for whole workers`;
  },
  // Either signal ends the child's step mid-flight (a child does not drain on SIGTERM).
  killsMidStep: () => true,
  injector(fault, cell) {
    const ids = cell.workers.ids();
    const targets = (fault.workers ?? []).map((slot) => ids[slot - 1]).filter((id): id is string => !!id);
    const signal = (fault.params.signal as NodeJS.Signals | undefined) ?? 'SIGKILL';
    const chosen = targets.flatMap((id) => {
      const child = choosePoolChild(cell.workers.poolChildren(id));
      return child ? [{ id, child }] : [];
    });
    return {
      target: targets.join(','),
      instant: true,
      ...(chosen.length > 0 ? { killed: chosen.map((c) => c.id), pids: chosen.map((c) => c.child.pid) } : {}),
      // Which child, and what it was running: recorded in fault-start before the kill.
      params: {
        children: chosen.map(({ id, child }) => ({ worker: id, pid: child.pid, inFlight: child.inFlight })),
      },
      async inject() {
        for (const { id, child } of chosen) cell.workers.signalPoolChild(id, child.pid, signal);
      },
    };
  },
};

/** The child to kill: one with a step in flight first, then the lowest pid. Pure. */
export function choosePoolChild(children: readonly PoolChild[]): PoolChild | undefined {
  const busy = children.filter((c) => c.inFlight !== null);
  const pool = busy.length > 0 ? busy : children;
  return [...pool].sort((a, b) => a.pid - b.pid)[0];
}

export default childKill;
