/**
 * Where the backend binaries are. redis-server comes from the system (apt); the Temporal
 * CLI and Toxiproxy are downloaded by scripts/setup.sh into `.tools/` under the repo root.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfrastructureError } from '../core/errors.js';
import type { ServiceName } from '../core/services.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const TOOLS_DIR = join(REPO_ROOT, '.tools');

export interface ToolPaths {
  redisServer: string;
  temporal: string;
  toxiproxy: string;
}

const SETUP_HINT = 'run `npm run setup`';

/** The binary that runs one service; throws InfrastructureError when it is missing. */
export function toolPath(name: ServiceName): string {
  switch (name) {
    case 'redis': {
      const found = findOnPath('redis-server');
      if (found === undefined) throw new InfrastructureError(`redis-server is not on PATH; ${SETUP_HINT}`);
      return found;
    }
    case 'temporal':
      return requireExecutable(join(TOOLS_DIR, 'temporal', 'bin', 'temporal'), 'Temporal CLI');
    case 'toxiproxy':
      // `go install .../cmd/server` names the binary after its package folder: "server".
      return requireExecutable(join(TOOLS_DIR, 'bin', 'server'), 'Toxiproxy server');
  }
}

/** All three binaries; throws InfrastructureError naming the first one missing. */
export function toolPaths(): ToolPaths {
  return { redisServer: toolPath('redis'), temporal: toolPath('temporal'), toxiproxy: toolPath('toxiproxy') };
}

function requireExecutable(path: string, what: string): string {
  if (!isExecutable(path)) throw new InfrastructureError(`${what} not found at ${path}; ${SETUP_HINT}`);
  return path;
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
