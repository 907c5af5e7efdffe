import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../tools.js';

/**
 * Arguments that run a TypeScript entry point in a fresh Node process. The tsx
 * loader is given as an absolute URL so the child finds it from any cwd (and so
 * this works under vitest, where import.meta.resolve is not available).
 */
const TSX_LOADER = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');

export function nodeArgsFor(entry: string): string[] {
  if (!existsSync(TSX_LOADER)) throw new Error(`tsx loader missing at ${TSX_LOADER}: run npm run setup`);
  return ['--import', pathToFileURL(TSX_LOADER).href, entry];
}
