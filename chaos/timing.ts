import { InputError } from '../core/errors.js';
import type { Rng } from '../core/random.js';
import type { FaultKind } from './kind.js';

/** Random moments fall within this share of the load window: load before and after. */
const RANDOM_FROM = 0.1;
const RANDOM_TO = 0.8;

/** An entry's `at` in milliseconds after the load starts. */
export function resolveAt(at: number | string | undefined, windowMs: number, rng: Rng): number {
  if (typeof at === 'number') return at;
  if (at === undefined) return Math.round(0.3 * windowMs);
  if (at === 'random') return Math.round((RANDOM_FROM + rng() * (RANDOM_TO - RANDOM_FROM)) * windowMs);
  return Math.round((Number.parseFloat(at) / 100) * windowMs);
}

/** Worker slots (1-based) a kill target names; draws come from the schedule's seed. */
export function pickWorkers(target: string, count: number, rng: Rng): number[] {
  const all = Array.from({ length: count }, (_, i) => i + 1);
  if (target === 'workers') return all;
  const fixed = /^w(\d+)$/.exec(target);
  if (fixed) {
    const slot = Number(fixed[1]);
    if (slot < 1 || slot > count) throw new InputError(`kill target ${target}: there are ${count} workers`);
    return [slot];
  }
  const n = target === 'worker' ? 1 : Math.min(count, Number(target.split(':')[1]));
  // Partial Fisher–Yates: n distinct slots.
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng() * (count - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, n).sort((a, b) => a - b);
}

/** The plan of a fault that starts at `at` and lasts `duration`. */
export const planTimed: FaultKind['plan'] = (entry, ctx, rng) => ({
  atMs: resolveAt(entry.at, ctx.windowMs, rng),
  durationMs: entry.duration ?? 5000,
  target: entry.target,
  params: { ...(entry.params ?? {}) },
});
