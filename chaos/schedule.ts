import { describeZodError, InputError, unknownName } from '../core/errors.js';
import { deriveSeed, type Rng, seededRng } from '../core/random.js';
import { NAMED_FAULTS, type NamedFaultContext } from './catalog.js';
import { type FaultEntry, FaultEntrySchema, type FaultKind, FaultScheduleSchema } from './spec.js';

/**
 * Turns a named fault or a schedule into timed occurrences. Pure: the same seed and
 * load give the same schedule, for every adapter of the matrix, so adapters are
 * compared under the same faults (only the symbolic targets differ, resolved live).
 */

export interface ScheduleContext extends NamedFaultContext {
  seed: number;
  /** From the first to the last intended submit. */
  windowMs: number;
  /** The scenario's first step with an effect: failpoints' default step. */
  effectStep?: string;
  /** Mixed into the seed, so two faults of one experiment do not draw alike. */
  salt: string;
}

export interface PlannedFault {
  /** The faultId of its fault-start / fault-end events. */
  id: string;
  kind: FaultKind;
  /** Milliseconds after the load starts; null for failpoints armed all along. */
  atMs: number | null;
  /** How long until healed; null for instant faults (kill) and backend restarts (done when back). */
  durationMs: number | null;
  /** Symbolic: orchestrator, broker, server, world, backend, redis, temporal, model, workers, wN. */
  target: string;
  /** Kill: worker slots, 1-based. */
  workers?: number[];
  params: Record<string, unknown>;
}

/** Random moments fall within this share of the load window: load before and after. */
const RANDOM_FROM = 0.1;
const RANDOM_TO = 0.8;

export function namedFaultNames(): string[] {
  return NAMED_FAULTS.map((f) => f.name);
}

/** The entries a named fault stands for, validated like a user's schedule. */
export function namedEntries(name: string, ctx: NamedFaultContext): FaultEntry[] {
  const fault = NAMED_FAULTS.find((f) => f.name === name);
  if (!fault) throw unknownName('fault', name, namedFaultNames());
  return fault.entries(ctx).map((entry) => FaultEntrySchema.parse(entry) as FaultEntry);
}

/** Validates a schedule given as data; errors name the field (`faultSchedule[1].params.nth`). */
export function parseSchedule(data: unknown, source = 'faultSchedule'): FaultEntry[] {
  const parsed = FaultScheduleSchema.safeParse(data);
  if (!parsed.success) throw new InputError(describeZodError(parsed.error, source));
  return parsed.data as FaultEntry[];
}

export function planFaults(entries: readonly FaultEntry[], ctx: ScheduleContext): PlannedFault[] {
  const rng = seededRng(deriveSeed('faults', ctx.seed, ctx.salt));
  const planned = entries.map((entry) => planEntry(entry, ctx, rng));
  // In time order (failpoints first), then numbered: f1 is the first to happen.
  const order = planned
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.atMs ?? -1) - (b.p.atMs ?? -1) || a.i - b.i);
  return order.map(({ p }, i) => ({ ...p, id: `f${i + 1}` }));
}

function planEntry(entry: FaultEntry, ctx: ScheduleContext, rng: Rng): PlannedFault {
  const params = { ...(entry.params ?? {}) };
  const base = { id: '', kind: entry.kind, target: entry.target, params };
  switch (entry.kind) {
    case 'failpoint':
      if (params.step === undefined) {
        if (ctx.effectStep === undefined)
          throw new InputError('a failpoint needs params.step: this scenario has no step with an effect');
        params.step = ctx.effectStep;
      }
      return {
        ...base,
        atMs: entry.at === undefined ? null : resolveAt(entry.at, ctx.windowMs, rng),
        durationMs: null,
      };
    case 'kill': {
      const atMs = resolveAt(entry.at, ctx.windowMs, rng);
      const workers = pickWorkers(entry.target, ctx.workers, rng);
      return { ...base, atMs, durationMs: null, workers, target: workers.map((w) => `w${w}`).join(',') };
    }
    case 'backend-restart':
      return { ...base, atMs: resolveAt(entry.at, ctx.windowMs, rng), durationMs: null };
    default:
      return { ...base, atMs: resolveAt(entry.at, ctx.windowMs, rng), durationMs: entry.duration ?? 5000 };
  }
}

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
