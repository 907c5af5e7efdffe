import { z } from 'zod';

/**
 * Fields every kind's schedule entry shares, so they read and validate alike.
 *
 * When: milliseconds after the load starts, a share of the load window ("30%"), or
 * "random" (drawn from the seed within 10%–80% of the window).
 */
export const AtValue = z.union([
  z.number().int().min(0).max(86_400_000),
  z.string().regex(/^(\d+(\.\d+)?%|random)$/, 'expected milliseconds, a share such as "30%", or "random"'),
]);
export const At = AtValue.default('30%');
export const Duration = z.number().int().positive().max(86_400_000).default(5000);

/**
 * A link: `orchestrator` (the adapter's own backend link), `world`, or a link an adapter
 * declares (`broker`, `server`); checked against the adapter before the run.
 */
export const LinkTarget = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'a link name: orchestrator, world, or a link the adapter declares')
  .default('orchestrator');

/**
 * `worker`: one drawn from the seed; `workers:N`: N of them; `workers`: all; `w2`: the
 * second. `@role` narrows any of them to one of the adapter's worker roles (`worker@activity`,
 * `w1@workflow`); without it they span every role.
 */
export const WorkerTarget = z
  .string()
  .regex(
    /^(worker|workers|workers:\d+|w\d+)(@[a-z][a-z0-9-]*)?$/,
    'expected worker, workers, workers:N or wN (e.g. w1), optionally @role (e.g. worker@activity)',
  );

/** A worker target's two parts: which workers (`worker`, `workers:2`, `w1`…) and the role, if named. */
export function splitWorkerTarget(target: string): { which: string; role?: string } {
  const at = target.indexOf('@');
  return at < 0 ? { which: target } : { which: target.slice(0, at), role: target.slice(at + 1) };
}

/**
 * The parameters of a kill (of a worker or of one pool child): the signal, and whether it
 * waits for its target to have a step in flight (`busy`, the default: a kill of an idle
 * process measures nothing) or strikes the planned target at the planned time.
 */
export const KillParams = z
  .object({
    signal: z.enum(['SIGKILL', 'SIGTERM']).default('SIGKILL'),
    busy: z.boolean().default(true),
  })
  .strict()
  .default({ signal: 'SIGKILL', busy: true });
