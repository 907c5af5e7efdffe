/**
 * The fault-kind registry: every file in chaos/kinds/ is a kind, its file name the kind's
 * name, its default export a FaultKind. Adding a kind is adding a file. Loaded once, at
 * import, so the schedule schema (a union of every kind's entry) is ready when the
 * experiment schema is built.
 */
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { unknownName } from '../core/errors.js';
import type { FaultKind } from './kind.js';

const KINDS_DIR = new URL('./kinds/', import.meta.url);

const files = readdirSync(fileURLToPath(KINDS_DIR))
  .filter((file) => /\.(ts|js)$/.test(file) && !file.endsWith('.d.ts'))
  .sort();
const KINDS: ReadonlyMap<string, FaultKind> = new Map(
  await Promise.all(
    files.map(async (file) => {
      const kind = ((await import(new URL(file, KINDS_DIR).href)) as { default: FaultKind }).default;
      const name = basename(file).replace(/\.(ts|js)$/, '');
      if (kind?.kind !== name)
        throw new Error(`chaos/kinds/${file}: its default export must be the "${name}" kind`);
      return [name, kind] as const;
    }),
  ),
);

function faultKindNames(): string[] {
  return [...KINDS.keys()];
}

export function faultKinds(): FaultKind[] {
  return [...KINDS.values()];
}

export function faultKind(name: string): FaultKind {
  const kind = KINDS.get(name);
  if (!kind) throw unknownName('fault kind', name, faultKindNames());
  return kind;
}

/** One schedule entry: a union of every kind's entry, told apart by `kind`. */
export const FaultEntrySchema = z.discriminatedUnion(
  'kind',
  faultKinds().map((k) => k.entry) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

export const FaultScheduleSchema = z.array(FaultEntrySchema).min(1).max(1000);
