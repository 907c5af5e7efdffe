import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../tools.js';
import { bundledEntry } from './node-bundle.js';

/**
 * Arguments that run a TypeScript entry point in a fresh Node process: its bundle
 * (node-bundle.ts) when it has one, else the entry under the tsx loader. The loader is
 * given as an absolute URL so the child finds it from any cwd (and so this works under
 * vitest, where import.meta.resolve is not available).
 */
const TSX_LOADER = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');

/**
 * FAULTLINE_CPU_PROF=DIR: every Node process faultline starts (world, workers, bare bench
 * scripts) writes a V8 CPU profile into DIR when it exits normally (SIGTERM included; a
 * SIGKILL writes none). Node refuses --cpu-prof in NODE_OPTIONS, hence this variable.
 */
const CPU_PROFILE_ENV = 'FAULTLINE_CPU_PROF';

export function nodeArgsFor(entry: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const profileDir = env[CPU_PROFILE_ENV];
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const bundle = bundledEntry(entry);
  if (bundle !== undefined) return [...profile, bundle];
  if (!existsSync(TSX_LOADER)) throw new Error(`tsx loader missing at ${TSX_LOADER}: run npm run setup`);
  return [...profile, '--import', pathToFileURL(TSX_LOADER).href, entry];
}
