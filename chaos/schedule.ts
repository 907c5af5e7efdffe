import { describeZodError, InputError, REPORT_INPUT, unknownName } from '../core/errors.js';
import { deriveSeed, seededRng } from '../core/random.js';
import { NAMED_FAULTS, type NamedFaultContext } from './catalog.js';
import type { FaultEntry, PlannedFault, ScheduleContext } from './kind.js';
import { FaultEntrySchema, FaultScheduleSchema, faultKind } from './registry.js';

/**
 * Turns a named fault or a schedule into timed occurrences. Pure: the same seed and
 * load give the same schedule, for every adapter of the matrix, so adapters are
 * compared under the same faults (only the symbolic targets differ, resolved live).
 */

function namedFaultNames(): string[] {
  return NAMED_FAULTS.map((f) => f.name);
}

/** The entries a named fault stands for, validated like a user's schedule. */
export function namedEntries(name: string, ctx: NamedFaultContext): FaultEntry[] {
  const fault = NAMED_FAULTS.find((f) => f.name === name);
  if (!fault) throw unknownName('fault', name, namedFaultNames());
  return fault.entries(ctx).map((entry) => FaultEntrySchema.parse(entry) as unknown as FaultEntry);
}

/** Validates a schedule given as data; errors name the field (`faultSchedule[1].params.nth`). */
export function parseSchedule(data: unknown, source = 'faultSchedule'): FaultEntry[] {
  const parsed = FaultScheduleSchema.safeParse(data, REPORT_INPUT);
  if (!parsed.success) throw new InputError(describeZodError(parsed.error, source, FaultScheduleSchema));
  return parsed.data as unknown as FaultEntry[];
}

export function planFaults(entries: readonly FaultEntry[], ctx: ScheduleContext): PlannedFault[] {
  for (const kind of new Set(entries.map((e) => e.kind))) {
    const max = faultKind(kind).maxPerCell;
    const count = entries.filter((e) => e.kind === kind).length;
    if (max !== undefined && count > max)
      throw new InputError(`fault ${ctx.salt}: ${count} ${kind} entries; a cell takes at most ${max}`);
  }
  const rng = seededRng(deriveSeed('faults', ctx.seed, ctx.salt));
  const planned = entries.map((entry) => ({
    kind: entry.kind,
    ...faultKind(entry.kind).plan(entry, ctx, rng),
  }));
  // In time order (failpoints first), then numbered: f1 is the first to happen.
  const order = planned
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.atMs ?? -1) - (b.p.atMs ?? -1) || a.i - b.i);
  return order.map(({ p }, i) => ({ ...p, id: `f${i + 1}` }));
}
