import { existsSync, mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../../core/errors.js';

/**
 * Makes the run folder `--out` names, or says in one line why it cannot: a file in the
 * way, a folder that already holds a run, a place nobody may write (`/sys`, `/proc`).
 * The missing levels are created one at a time: Node's recursive mkdir loops forever on
 * a path under /proc (mkdir answers ENOENT for a parent that exists), so it is never used
 * on a path the user gave.
 */
export function createRunFolder(outDir: string, flag = '--out'): void {
  if (outDir.trim() === '')
    throw new InputError(`${flag}: give a folder (an empty path would be the current one)`);
  const missing: string[] = [];
  let at = resolve(outDir);
  while (!existsSync(at)) {
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  if (existsSync(at) && !statSync(at).isDirectory()) {
    throw new InputError(`${flag} ${outDir}: ${at} is a file, not a folder`);
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (error) {
      throw new InputError(`${flag} ${outDir}: cannot create ${dir} (${errorCode(error)})`);
    }
  }
  // Never mix two runs' histories, and never delete what a user may still want.
  if (existsSync(join(outDir, 'history.d')) || existsSync(join(outDir, 'history.jsonl'))) {
    throw new InputError(`${flag} ${outDir} already holds a run; choose another folder or remove it`);
  }
  // A folder that exists but takes no files (read-only, a pseudo file system) fails here, before anything starts.
  try {
    const probe = join(outDir, '.faultline-write-test');
    writeFileSync(probe, '');
    unlinkSync(probe);
    mkdirSync(join(outDir, 'logs'), { recursive: true });
  } catch (error) {
    throw new InputError(`${flag} ${outDir}: cannot write there (${errorCode(error)})`);
  }
}

function errorCode(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return code ?? message;
}
