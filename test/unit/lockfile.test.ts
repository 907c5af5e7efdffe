/**
 * The committed package-lock.json is complete: it lists every optional binary of every
 * platform (biome, esbuild, rollup, swc…), so `npm ci` installs from it on any machine and
 * `npm install` on a fresh clone has nothing to add. A lock that listed only the platform
 * it was made on is what once left every new clone with a rewritten lock (the CI step in
 * .ci/run catches any other file setup would change).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../harness/tools.js';

interface LockEntry {
  version?: string;
  optionalDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
};
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Where npm would find `name` for the package at `from`: its own node_modules, then each parent's. */
function resolves(from: string, name: string): boolean {
  let base = from;
  for (;;) {
    if (lock.packages[`${base ? `${base}/` : ''}node_modules/${name}`]) return true;
    if (base === '') return false;
    const at = base.lastIndexOf('node_modules/');
    base = at <= 0 ? '' : base.slice(0, at - 1);
  }
}

describe('package-lock.json', () => {
  it('is in step with package.json: the same direct dependencies, pinned alike', () => {
    expect(lock.lockfileVersion).toBe(3);
    const root = lock.packages['']!;
    expect(root.dependencies).toEqual(pkg.dependencies);
    expect(root.devDependencies).toEqual(pkg.devDependencies);
  });

  it('lists every optional dependency of every package, for every platform', () => {
    const missing: string[] = [];
    let optional = 0;
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        optional++;
        if (!resolves(path, name)) missing.push(`${path || '(root)'} → ${name}`);
      }
    }
    // Not vacuous: esbuild alone has two dozen platform packages.
    expect(optional).toBeGreaterThan(20);
    expect(missing).toEqual([]);
    for (const platform of ['darwin-arm64', 'win32-x64', 'linux-arm64'])
      expect(lock.packages[`node_modules/@esbuild/${platform}`], platform).toBeDefined();
  });
});
