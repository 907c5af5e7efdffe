import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { At, WorkerTarget } from '../entry-fields.js';
import type { FaultKind, Injector } from '../kind.js';
import type { WorkerControl } from '../ports.js';
import { pickWorkers, resolveAt } from '../timing.js';

/** How often a kill that waits for work in flight looks again. */
const BUSY_POLL_MS = 10;

/**
 * Process faults: SIGKILL (a crash) or SIGTERM (a graceful stop) to worker slots — their
 * process or their whole process group, as the adapter declares. Nothing to heal: the
 * supervisor restarts dead workers after its delay, as a container orchestrator would.
 *
 * A kill that hits an idle worker measures nothing, so by default (`busy`) it waits from
 * its moment until a target has steps in flight and then hits the busiest: `worker` is the
 * busiest of all, `workers:N` the N busiest, `wN` that slot once it is busy, `workers`
 * all of them once any is. A kill the load outlasted is recorded as unfired.
 */
const kill: FaultKind = {
  kind: 'kill',
  description:
    'SIGKILL (a crash) or SIGTERM (a graceful stop) to workers, by default once one has steps in flight',
  entry: z
    .object({
      kind: z.literal('kill'),
      at: At,
      target: WorkerTarget.default('worker'),
      params: z
        .object({
          signal: z.enum(['SIGKILL', 'SIGTERM']).default('SIGKILL'),
          /** Wait for a target with steps in flight and hit the busiest (false: the slots drawn from the seed, busy or not). */
          busy: z.boolean().default(true),
        })
        .strict()
        .default({ signal: 'SIGKILL', busy: true }),
    })
    .strict(),
  plan(entry, ctx, rng) {
    const atMs = resolveAt(entry.at, ctx.windowMs, rng);
    const workers = pickWorkers(entry.target, ctx.workers, rng);
    const target =
      entry.target === 'worker' || /^workers:/.test(entry.target)
        ? entry.target
        : workers.map((w) => `w${w}`).join(',');
    return { atMs, durationMs: null, workers, target, params: { ...entry.params } };
  },
  // SIGTERM lets in-flight steps finish: only SIGKILL leaves work to the orchestrator's recovery.
  killsMidStep: (params) => (params.signal ?? 'SIGKILL') === 'SIGKILL',
  injector(fault, cell) {
    const ids = cell.workers.ids();
    const signal = (fault.params.signal as NodeJS.Signals | undefined) ?? 'SIGKILL';
    const mid = kill.killsMidStep(fault.params);
    let targets = (fault.workers ?? []).map((slot) => ids[slot - 1]).filter((id): id is string => !!id);
    const injector: Injector = {
      target: targets.join(','),
      instant: true,
      ...(mid ? { killed: targets } : {}),
      async inject() {
        cell.workers.signal(targets, signal);
      },
    };
    if (fault.params.busy === false) return injector;
    injector.ready = async (stop) => {
      for (;;) {
        const chosen = busyTargets(fault.target, targets, cell.workers);
        if (chosen.length > 0) {
          targets = chosen;
          injector.target = targets.join(',');
          if (mid) injector.killed = targets;
          return true;
        }
        if (stop.aborted) return false;
        await sleep(BUSY_POLL_MS, undefined, { signal: stop }).catch(() => {});
      }
    };
    return injector;
  },
};

/** The workers to hit now that some have steps in flight, or none while every candidate is idle. */
function busyTargets(target: string, planned: readonly string[], workers: WorkerControl): string[] {
  const counts = workers.inFlight();
  const busiest = [...counts].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  if (target === 'worker') return busiest.slice(0, 1).map(([id]) => id);
  const many = /^workers:(\d+)$/.exec(target);
  if (many) return busiest.length === 0 ? [] : rankAll(counts).slice(0, Number(many[1]));
  // `workers` and `wN`: the planned ones, once one of them is busy.
  return planned.some((id) => (counts.get(id) ?? 0) > 0) ? [...planned] : [];
}

function rankAll(counts: ReadonlyMap<string, number>): string[] {
  return [...counts].sort((a, b) => b[1] - a[1]).map(([id]) => id);
}

export default kill;
