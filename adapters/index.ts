import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError, unknownName } from '../core/errors.js';
import { bullmqAdapter } from './bullmq/index.js';
import { temporalAdapter } from './temporal/index.js';
import type { AdapterDefinition } from './types.js';

// biome-ignore lint/suspicious/noExplicitAny: each adapter has its own knob type
type AnyAdapter = AdapterDefinition<any>;

const BUILT_IN: Record<string, AnyAdapter> = {
  bullmq: bullmqAdapter,
  temporal: temporalAdapter,
};

export function adapterNames(): string[] {
  return Object.keys(BUILT_IN).sort();
}

export function builtInAdapters(): AnyAdapter[] {
  return adapterNames().map((name) => BUILT_IN[name]!);
}

const looksLikePath = (name: string) => name.includes('/') || /\.(ts|js|mjs)$/.test(name);

/** A built-in adapter by name, or a user's adapter by module path (its default export). */
export async function loadAdapter(name: string): Promise<AnyAdapter> {
  const builtIn = BUILT_IN[name];
  if (builtIn) return builtIn;
  if (!looksLikePath(name)) throw unknownName('adapter', name, [...adapterNames(), '<path to a module>']);
  const path = isAbsolute(name) ? name : resolve(name);
  let module: { default?: AnyAdapter };
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: AnyAdapter };
  } catch (error) {
    throw new InputError(`adapter module ${path} could not be loaded: ${(error as Error).message}`);
  }
  const adapter = module.default;
  const missing = ['name', 'knobs', 'createDriver', 'workerModule', 'services'].filter(
    (key) => adapter?.[key as keyof AnyAdapter] === undefined,
  );
  if (!adapter || missing.length > 0) {
    throw new InputError(
      `adapter module ${path}: default export lacks ${missing.join(', ')} (see adapters/types.ts)`,
    );
  }
  return adapter;
}
