import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, extname, join } from 'node:path';
import { REPO_ROOT } from '../tools.js';

/**
 * Where bundles go: under the repository's node_modules, so the bare imports a bundle
 * leaves to Node (`bullmq`, `@temporalio/worker`) resolve as they do from the sources.
 */
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'faultline');
/**
 * esbuild's command line, run once per bundle and waited for: its synchronous JS API would
 * keep a service process alive beside the workers, a child no run record names. (No import
 * names the package, so knip.json lists it in ignoreDependencies.)
 */
const ESBUILD = createRequire(import.meta.url).resolve('esbuild/bin/esbuild');
const ESBUILD_ARGS = [
  '--bundle',
  '--platform=node',
  '--format=esm',
  '--target=node20',
  '--packages=external',
  // Stack traces map back to the TypeScript with NODE_OPTIONS=--enable-source-maps.
  '--sourcemap=inline',
  '--log-level=error',
];

/** Entries bundled in this process: the bundle's path, or undefined when the entry runs under tsx. */
const built = new Map<string, string | undefined>();

/**
 * A TypeScript entry point (a worker, the world) as one ESM file of this repository's code,
 * its packages left external. Node then starts it without the tsx loader, whose resolve and
 * load hooks run on a second thread and answer every import across it: loading a Temporal
 * worker's modules took 1.4 s of CPU (1.1 s wall) under tsx and 0.8 s (0.65 s) from its
 * bundle on the 2-core machine. Every worker start pays it, restarts after a kill included,
 * so the loader would otherwise be part of the recovery times the harness measures.
 *
 * Built once per entry per process with esbuild (the transformer tsx itself runs), named by
 * its content's hash so concurrent processes and stale files never mix. An entry whose code
 * reads `import.meta` (its own location) is not bundled: in one file every module would
 * share the bundle's location. Any failure leaves the entry to tsx, which runs it as before.
 */
export function bundledEntry(entry: string): string | undefined {
  if (built.has(entry)) return built.get(entry);
  let path: string | undefined;
  try {
    path = bundle(entry);
  } catch {
    path = undefined;
  }
  built.set(entry, path);
  return path;
}

function bundle(entry: string): string | undefined {
  const esbuild = spawnSync(ESBUILD, [entry, ...ESBUILD_ARGS], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const code = esbuild.status === 0 ? esbuild.stdout : undefined;
  if (!code || code.includes('import.meta')) return undefined;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const path = join(CACHE_DIR, `${basename(entry, extname(entry))}-${hash}.mjs`);
  if (!existsSync(path)) {
    mkdirSync(CACHE_DIR, { recursive: true });
    // Written aside, then renamed: a process starting the same bundle never reads half a file.
    const partial = `${path}.${process.pid}.tmp`;
    writeFileSync(partial, code);
    renameSync(partial, path);
  }
  return path;
}
