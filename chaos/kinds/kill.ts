import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { runsSteps } from '../../core/topology.js';
import { At, KillParams, splitWorkerTarget, WorkerTarget } from '../entry-fields.js';
import type { FaultKind, Injector } from '../kind.js';
import type { ChaosCell, WorkerControl } from '../ports.js';
import { pickWorkers, resolveAt } from '../timing.js';

/** One look at the workers: the steps each has in flight. */
type InFlightLook = ReturnType<WorkerControl['inFlight']>;

/** How often a kill that waits for work in flight looks again. */
const BUSY_POLL_MS = 10;

/**
 * Process faults: SIGKILL (a crash) or SIGTERM (a graceful stop) to workers — their
 * process or their whole process group, as the adapter declares. Nothing to heal: the
 * supervisor restarts dead workers after its delay, as a container orchestrator would.
 *
 * Targets: `worker`, `workers:N`, `workers`, `wN`, each optionally narrowed to one of the
 * adapter's worker roles with `@role` (`worker@activity`, `w1@workflow`). Without a role
 * they span every role; on an adapter with several roles, `wN` and the seed's draws
 * (`busy: false`) must name one, or which worker is meant would be a guess.
 *
 * A kill that hits an idle worker measures nothing, so by default (`busy`) it waits from
 * its moment until a target has steps in flight and then hits the busiest: `worker` is the
 * busiest of all, `workers:N` the N busiest, `wN` that slot once it is busy, `workers`
 * all of them once any is. Workers of a role that runs no steps (a workflow worker whose
 * activities run elsewhere) are never busy in that sense: a kill aimed at them waits until
 * the cell has steps in flight anywhere (runs are under way, so the worker holds some of
 * their orchestration) and then hits the slots drawn from the seed. A kill the load
 * outlasted is recorded as unfired. fault-start records the steps its targets had in
 * flight at that last look (`inFlight`), busy or not.
 */
const kill: FaultKind = {
  kind: 'kill',
  description:
    'SIGKILL (a crash) or SIGTERM (a graceful stop) to workers (of one role with @role), by default once one has steps in flight',
  entry: z
    .object({
      kind: z.literal('kill'),
      at: At,
      target: WorkerTarget.default('worker'),
      params: KillParams,
    })
    .strict(),
  plan(entry, ctx, rng) {
    const atMs = resolveAt(entry.at, ctx.windowMs, rng);
    const { which, role } = splitWorkerTarget(entry.target);
    const workers = pickWorkers(which, ctx.workers, rng);
    const symbolic =
      which === 'worker' || which.startsWith('workers') ? which : workers.map((w) => `w${w}`).join(',');
    return {
      atMs,
      durationMs: null,
      workers,
      ...(role === undefined ? {} : { role }),
      target: role === undefined ? symbolic : `${symbolic}@${role}`,
      params: { ...entry.params },
    };
  },
  check(entry, { topology }) {
    const { which, role } = splitWorkerTarget(entry.target);
    const roles = topology.workers.map((r) => r.role);
    if (role !== undefined && !roles.includes(role))
      return `target ${entry.target}: adapter ${topology.name} has no worker role "${role}" (its roles: ${roles.join(', ')})`;
    const drawn = which !== 'workers' && (/^w\d+$/.test(which) || entry.params?.busy === false);
    if (role === undefined && roles.length > 1 && drawn)
      return `target ${entry.target}: adapter ${topology.name} has worker roles ${roles.join(', ')}: name one (e.g. ${which}@${roles.at(-1)})`;
    return undefined;
  },
  // SIGTERM lets in-flight steps finish: only SIGKILL leaves work to the orchestrator's recovery.
  killsMidStep: (params) => (params.signal ?? 'SIGKILL') === 'SIGKILL',
  injector(fault, cell) {
    const signal = (fault.params.signal as NodeJS.Signals | undefined) ?? 'SIGKILL';
    const mid = kill.killsMidStep(fault.params);
    const { which } = splitWorkerTarget(fault.target);
    const pool = fault.role === undefined ? cell.workers.ids() : cell.workers.ids(fault.role);
    let targets =
      which === 'workers'
        ? [...pool]
        : (fault.workers ?? []).map((slot) => pool[slot - 1]).filter((id): id is string => !!id);
    const stepless = steplessWorkers(cell);
    const injector: Injector = {
      target: targets.join(','),
      instant: true,
      async inject() {
        cell.workers.signal(targets, signal);
      },
    };
    // `killed` names the workers whose steps in flight died: a worker that runs none kills no step.
    const aim = (chosen: string[], look: InFlightLook) => {
      targets = chosen;
      injector.target = targets.join(',');
      injector.inFlight = targets.flatMap((worker) =>
        (look.get(worker) ?? []).map((s) => ({ worker, ...s })),
      );
      const killed = mid ? targets.filter((id) => !stepless.has(id)) : [];
      if (killed.length > 0) injector.killed = killed;
      else delete injector.killed;
    };
    if (fault.params.busy === false) {
      aim(targets, cell.workers.inFlight());
      return injector;
    }
    injector.ready = async (stop) => {
      for (;;) {
        // One look both chooses the targets and records what they held.
        const look = cell.workers.inFlight();
        const chosen = busyTargets(which, pool, targets, look, stepless);
        if (chosen.length > 0) {
          aim(chosen, look);
          return true;
        }
        if (stop.aborted) return false;
        await sleep(BUSY_POLL_MS, undefined, { signal: stop }).catch(() => {});
      }
    };
    return injector;
  },
};

/** The cell's workers whose role runs no steps (never in flight, never `killed`). */
function steplessWorkers(cell: ChaosCell): Set<string> {
  return new Set(cell.topology.workers.filter((r) => !runsSteps(r)).flatMap((r) => cell.workers.ids(r.role)));
}

/**
 * The workers to hit now that some have steps in flight, or none while every candidate is
 * idle. `pool` holds the candidates (the role's workers, or all), `planned` the slots drawn.
 */
function busyTargets(
  which: string,
  pool: readonly string[],
  planned: readonly string[],
  look: InFlightLook,
  stepless: ReadonlySet<string>,
): string[] {
  const counts = new Map([...look].map(([id, steps]) => [id, steps.length]));
  const candidates = pool.filter((id) => counts.has(id));
  // Orchestration-only candidates: busy means runs are under way, i.e. any step in flight in the cell.
  if (candidates.length > 0 && candidates.every((id) => stepless.has(id))) {
    const cellBusy = [...counts.values()].some((n) => n > 0);
    return cellBusy ? [...planned] : [];
  }
  const ranked = candidates.map((id) => [id, counts.get(id)!] as const).sort((a, b) => b[1] - a[1]);
  const busiest = ranked.filter(([, n]) => n > 0);
  if (which === 'worker') return busiest.slice(0, 1).map(([id]) => id);
  const many = /^workers:(\d+)$/.exec(which);
  if (many) return busiest.length === 0 ? [] : ranked.slice(0, Number(many[1])).map(([id]) => id);
  // `workers` and `wN`: the planned ones, once one of them is busy.
  return planned.some((id) => (counts.get(id) ?? 0) > 0) ? [...planned] : [];
}

export default kill;
