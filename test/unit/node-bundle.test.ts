/**
 * Node entries run from an esbuild bundle of the repository's code (packages external) when
 * they can, and under tsx when they read their own location: either way the process does
 * what the TypeScript says.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeArgsFor } from '../../harness/supervisor/node.js';
import { bundledEntry } from '../../harness/supervisor/node-bundle.js';
import { REPO_ROOT } from '../../harness/tools.js';

const ENTRIES = join(import.meta.dirname, '../fixtures/node-entries');
const run = (args: string[]) => spawnSync(process.execPath, args, { encoding: 'utf8' });

describe('node entries', () => {
  it('an entry without import.meta runs from its bundle under node_modules, with the same output', () => {
    const entry = join(ENTRIES, 'plain.ts');
    const bundle = bundledEntry(entry)!;
    expect(bundle.startsWith(join(REPO_ROOT, 'node_modules', '.cache', 'faultline'))).toBe(true);
    // The repository's modules are inside it; packages are left for Node to load.
    expect(readFileSync(bundle, 'utf8')).toMatch(/from "yaml"/);
    const args = nodeArgsFor(entry, {});
    expect(args).toEqual([bundle]);
    const fromBundle = run(args);
    expect(fromBundle.status).toBe(0);
    expect(fromBundle.stdout).toBe('cell: rag-ingest/bullmq/none\n');
    // Same build, same file: the name is the content's hash.
    expect(bundledEntry(entry)).toBe(bundle);
  });

  it('an entry that reads import.meta runs under tsx from its own file', () => {
    const entry = join(ENTRIES, 'located.ts');
    expect(bundledEntry(entry)).toBeUndefined();
    const args = nodeArgsFor(entry, {});
    expect(args.at(-1)).toBe(entry);
    expect(args).toContain('--import');
    const located = run(args);
    expect(located.status).toBe(0);
    expect(located.stdout).toBe(`${entry}\n`);
  });

  it('FAULTLINE_CPU_PROF profiles the bundle too', () => {
    const entry = join(ENTRIES, 'plain.ts');
    expect(nodeArgsFor(entry, { FAULTLINE_CPU_PROF: '/tmp/p' })).toEqual([
      '--cpu-prof',
      '--cpu-prof-dir=/tmp/p',
      bundledEntry(entry),
    ]);
  });
});
