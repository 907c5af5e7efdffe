/**
 * The adapter registry: an adapter is a folder here with an `index.ts` whose default
 * export is its AdapterDefinition (the folder's name is the adapter's public name), or a
 * module of the user's, named by path. Nothing else in the code names an adapter.
 */
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InputError, unknownName } from '../core/errors.js';
import type { AdapterDefinition } from './types.js';

// biome-ignore lint/suspicious/noExplicitAny: each adapter has its own knob type
export type AnyAdapter = AdapterDefinition<any>;

const ADAPTERS_DIR = fileURLToPath(new URL('.', import.meta.url));

/** The built-in adapters' names: the folders holding an index.ts. */
export function adapterNames(): string[] {
  return readdirSync(ADAPTERS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(ADAPTERS_DIR, entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort();
}

export async function builtInAdapters(): Promise<AnyAdapter[]> {
  return Promise.all(adapterNames().map((name) => loadAdapter(name)));
}

const looksLikePath = (name: string) => name.includes('/') || /\.(ts|js|mjs)$/.test(name);

/** A built-in adapter by name, or a user's adapter by module path (its default export). */
export async function loadAdapter(name: string): Promise<AnyAdapter> {
  if (adapterNames().includes(name)) {
    return checked(await importDefault(join(ADAPTERS_DIR, name, 'index.ts')), `adapters/${name}`, name);
  }
  if (!looksLikePath(name)) throw unknownName('adapter', name, [...adapterNames(), '<path to a module>']);
  const path = isAbsolute(name) ? name : resolve(name);
  let adapter: unknown;
  try {
    adapter = await importDefault(path);
  } catch (error) {
    throw new InputError(`adapter module ${path} could not be loaded: ${(error as Error).message}`);
  }
  return checked(adapter, path);
}

async function importDefault(path: string): Promise<unknown> {
  return ((await import(pathToFileURL(path).href)) as { default?: unknown }).default;
}

const REQUIRED = [
  'name',
  'services',
  'links',
  'orchestrator',
  'workers',
  'knobs',
  'recovery',
  'createDriver',
] as const;

function checked(value: unknown, source: string, folder?: string): AnyAdapter {
  const adapter = value as Partial<AnyAdapter> | undefined;
  const missing = REQUIRED.filter((key) => adapter?.[key] === undefined);
  if (!adapter || missing.length > 0) {
    throw new InputError(
      `adapter module ${source}: default export lacks ${missing.join(', ')} (see adapters/types.ts)`,
    );
  }
  if (folder !== undefined && adapter.name !== folder)
    throw new InputError(`adapter ${source}: its name "${adapter.name}" must be its folder's name`);
  return adapter as AnyAdapter;
}
