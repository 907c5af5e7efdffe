/**
 * Where the binaries are. redis-server comes from the system (apt); the Temporal CLI,
 * Toxiproxy and the Python virtual environment are installed by scripts/setup.sh into
 * `.tools/` under the repo root.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfrastructureError } from '../core/errors.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const TOOLS_DIR = join(REPO_ROOT, '.tools');

const SETUP_HINT = 'run `npm run setup`';

/** An executable under `.tools/`; throws InfrastructureError naming it and the setup step. */
export function requireTool(relativePath: string, what: string): string {
  const path = join(TOOLS_DIR, relativePath);
  if (!isExecutable(path)) throw new InfrastructureError(`${what} not found at ${path}; ${SETUP_HINT}`);
  return path;
}

/** A command on PATH; throws InfrastructureError when it is not there. */
export function findOnPath(command: string, what: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  throw new InfrastructureError(`${what} is not on PATH; ${SETUP_HINT}`);
}

/** The project's Python (the virtual environment setup creates), for Python workers. */
export function pythonExecutable(): string {
  return requireTool(join('venv', 'bin', 'python'), 'the Python virtual environment');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
