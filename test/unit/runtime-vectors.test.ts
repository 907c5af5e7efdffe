import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildRuntimeVectors, formatVectors, VECTORS_PATH } from '../fixtures/runtime-vectors.js';

describe('runtime test vectors for the Python port', () => {
  it('are current: the committed JSON is what the TypeScript reference computes now', () => {
    const committed = readFileSync(VECTORS_PATH, 'utf8');
    expect(
      committed === formatVectors(buildRuntimeVectors()),
      'test/fixtures/runtime-vectors.json is stale: run `node --import tsx test/fixtures/runtime-vectors.ts` and commit it',
    ).toBe(true);
  });
});
