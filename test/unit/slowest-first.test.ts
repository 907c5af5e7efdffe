/** The test sequencer: the slowest files start first, fresh clone (no durations cached) or not. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestSpecification, Vitest } from 'vitest/node';
import SlowestFirst, { SLOWEST_FILES } from '../sequencer/slowest-first.js';

const root = '/repo';
const spec = (path: string) => ({ moduleId: join(root, path), project: { name: '' } }) as TestSpecification;

/** A vitest with no durations cached (a fresh clone): its own order is the largest file first. */
function freshClone(sizes: Record<string, number>): Vitest {
  return {
    config: { root },
    cache: {
      getFileTestResults: () => undefined,
      getFileStats: (key: string) => ({ size: sizes[key.slice(1)] ?? 0 }),
    },
  } as unknown as Vitest;
}

describe('SlowestFirst', () => {
  it('names files that exist (a renamed file would silently lose its place)', () => {
    for (const file of SLOWEST_FILES) expect(existsSync(file), file).toBe(true);
  });

  it('starts the slowest files first, in their order, then the rest as vitest orders them', async () => {
    const [slowest, second] = SLOWEST_FILES as [string, string];
    const sizes = { 'test/unit/big.test.ts': 900, 'test/unit/small.test.ts': 10, [second]: 50, [slowest]: 5 };
    const sorted = await new SlowestFirst(freshClone(sizes)).sort(
      ['test/unit/small.test.ts', second, 'test/unit/big.test.ts', slowest].map(spec),
    );
    expect(sorted.map((s) => s.moduleId)).toEqual(
      [slowest, second, 'test/unit/big.test.ts', 'test/unit/small.test.ts'].map((p) => join(root, p)),
    );
  });
});
