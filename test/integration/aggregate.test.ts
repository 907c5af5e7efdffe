import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Results } from '../../core/results.js';
import { FIXTURE_DIR } from '../fixtures/results-small.js';

const BIN = join(import.meta.dirname, '../../bin/faultline.js');
const faultline = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

/** Two run folders of one experiment: the fixture, and a copy of it with another seed. */
function twoRuns(): [string, string] {
  const root = mkdtempSync(join(tmpdir(), 'faultline-aggregate-'));
  const a = join(root, 'a');
  const b = join(root, 'b');
  cpSync(FIXTURE_DIR, a, { recursive: true });
  cpSync(FIXTURE_DIR, b, { recursive: true });
  const results = JSON.parse(readFileSync(join(b, 'results.json'), 'utf8')) as Results;
  results.config.seed = 8;
  writeFileSync(join(b, 'results.json'), JSON.stringify(results));
  return [a, b];
}

describe('faultline aggregate', () => {
  it('merges runs of one experiment into one report, each run a repeat of every cell', () => {
    const [a, b] = twoRuns();
    const out = join(a, '..', 'merged');
    const merged = faultline(['aggregate', a, b, '--out', out]);
    expect(merged.stderr).not.toMatch(/Error|at .*\.ts:/);
    const source = JSON.parse(readFileSync(join(a, 'results.json'), 'utf8')) as Results;
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(results.cells).toHaveLength(2 * source.cells.length);
    expect(results.cells.map((c) => c.id)).toContain('rag-ingest/bullmq/none@2');
    expect(results.config.aggregatedFrom).toEqual([
      { dir: a, seed: 7, createdAt: source.createdAt },
      { dir: b, seed: 8, createdAt: source.createdAt },
    ]);
    // The report pools the two: twice the runs of one, in one column per adapter.
    const submitted = source.cells.filter((c) => c.adapter === 'temporal' && c.fault !== 'none');
    const n = 2 * submitted.reduce((t, c) => t + c.runs.submitted, 0);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain(`0 of ${n} runs (0%)`);
    expect(readFileSync(join(out, 'runs.csv'), 'utf8')).toContain('rag-ingest/bullmq/none@2');
    // The same exit code as `faultline report` on this data: a verdict failed (bullmq lost a run).
    expect(merged.status).toBe(1);
  });

  it('refuses runs of different experiments, naming what differs', () => {
    const [a, b] = twoRuns();
    const results = JSON.parse(readFileSync(join(b, 'results.json'), 'utf8')) as Results;
    results.config.faults = ['none'];
    writeFileSync(join(b, 'results.json'), JSON.stringify(results));
    const refused = faultline(['aggregate', a, b, '--out', join(a, '..', 'merged')]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/is not a run of the same experiment as .*: config\.faults differs/);
    expect(faultline(['aggregate', a]).status).toBe(2);
  });
});
