import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { At, KillParams } from '../entry-fields.js';
import type { FaultKind, Injector } from '../kind.js';
import type { PoolChild, WorkerControl } from '../ports.js';
import { pickWorkers, resolveAt } from '../timing.js';

/** How often a child kill that waits for a busy child looks again. */
const BUSY_POLL_MS = 10;

/**
 * One pool child of a worker dies, not the worker: what the kernel's OOM killer does to the
 * child holding a large model in memory. Only for adapters whose workers run their steps in
 * pool children (`poolChildren: true`); the main process lives on, sees its child die and
 * decides what becomes of the child's task (that decision is the finding).
 *
 * Like a kill, by default (`busy`) it waits from its moment for a child with a step in flight
 * (its worker's history: an open `attempt` carrying the child's `pid`) and kills that one:
 * of the busiest worker for `worker`, of the planned slot for `wN`. Without `busy` it kills
 * the planned worker's child with the lowest pid at once, busy or not. fault-start records
 * the child's pid (`pids`) and the step it ran.
 */
const childKill: FaultKind = {
  kind: 'child-kill',
  description:
    'SIGKILL one pool child of a worker (as the OOM killer does), not the worker; pool adapters only',
  entry: z
    .object({
      kind: z.literal('child-kill'),
      at: At,
      target: z
        .string()
        .regex(/^(worker|w\d+)$/, 'expected worker (the busiest) or wN (e.g. w1)')
        .default('worker'),
      params: KillParams,
    })
    .strict(),
  plan(entry, ctx, rng) {
    const atMs = resolveAt(entry.at, ctx.windowMs, rng);
    const workers = pickWorkers(entry.target, ctx.workers, rng);
    const target = entry.target === 'worker' ? entry.target : workers.map((w) => `w${w}`).join(',');
    return { atMs, durationMs: null, workers, target, params: { ...entry.params } };
  },
  check(_entry, { topology }) {
    if (topology.workers.some((w) => w.poolChildren)) return undefined;
    return `adapter ${topology.name}'s workers have no pool children (poolChildren: false), so there is no child to kill; use the kill fault for whole workers`;
  },
  // Either signal ends the child's step mid-flight: a pool child does not drain on SIGTERM.
  killsMidStep: () => true,
  injector(fault, cell) {
    const ids = cell.workers.ids();
    const planned = (fault.workers ?? []).map((slot) => ids[slot - 1]).filter((id): id is string => !!id);
    const signal = (fault.params.signal as NodeJS.Signals | undefined) ?? 'SIGKILL';
    let victim: { worker: string; child: PoolChild } | undefined;
    const injector: Injector = {
      target: planned.join(','),
      instant: true,
      async inject() {
        if (victim) cell.workers.signalPoolChild(victim.worker, victim.child.pid, signal);
      },
    };
    const aim = (chosen: { worker: string; child: PoolChild } | undefined) => {
      victim = chosen;
      if (!chosen) return;
      injector.target = chosen.worker;
      injector.killed = [chosen.worker];
      injector.pids = [chosen.child.pid];
      // Which child, and what it ran: in fault-start, before the kill.
      injector.params = { pid: chosen.child.pid, inFlight: chosen.child.inFlight };
    };
    if (fault.params.busy === false) {
      const worker = planned[0];
      const child = worker === undefined ? undefined : choosePoolChild(cell.workers.poolChildren(worker));
      aim(worker !== undefined && child ? { worker, child } : undefined);
      return injector;
    }
    injector.ready = async (stop) => {
      for (;;) {
        const chosen = busyChild(fault.target, planned, cell.workers);
        if (chosen) {
          aim(chosen);
          return true;
        }
        if (stop.aborted) return false;
        await sleep(BUSY_POLL_MS, undefined, { signal: stop }).catch(() => {});
      }
    };
    return injector;
  },
};

/** The child to kill: one with a step in flight first, then the lowest pid. Pure. */
export function choosePoolChild(children: readonly PoolChild[]): PoolChild | undefined {
  const busy = children.filter((c) => c.inFlight !== null);
  const pool = busy.length > 0 ? busy : children;
  return [...pool].sort((a, b) => a.pid - b.pid)[0];
}

/** A child with a step in flight: of the busiest worker (`worker`) or of the planned one. */
function busyChild(
  target: string,
  planned: readonly string[],
  workers: WorkerControl,
): { worker: string; child: PoolChild } | undefined {
  const candidates =
    target === 'worker'
      ? [...workers.inFlight()]
          .filter(([, steps]) => steps.length > 0)
          .sort((a, b) => b[1].length - a[1].length)
          .map(([id]) => id)
      : planned;
  for (const worker of candidates) {
    const child = choosePoolChild(workers.poolChildren(worker).filter((c) => c.inFlight !== null));
    if (child) return { worker, child };
  }
  return undefined;
}

export default childKill;
