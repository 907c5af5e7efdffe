import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExperiment, readExperimentFile } from '../../harness/config/load-experiment.js';
import { resolveExperiment } from '../../harness/runner/resolve.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/faultline.js');
const shipped = readdirSync(join(ROOT, 'experiments')).filter(
  (f) => /\.(ya?ml|json)$/.test(f) && !f.endsWith('.schema.json'),
);

describe('shipped experiment files', () => {
  it.each(shipped)('%s validates: every scenario, adapter, knob, fault and gate is known', async (file) => {
    const path = join(ROOT, 'experiments', file);
    const experiment = parseExperiment(readExperimentFile(path), path);
    const resolved = await resolveExperiment(experiment);
    // The whole matrix, each cell once, every cell with the arrivals the load asks for.
    const { scenarios, adapters, faults } = experiment;
    expect(resolved.cells).toHaveLength(scenarios.length * adapters.length * faults.length);
    expect(new Set(resolved.cells.map((c) => c.id)).size).toBe(resolved.cells.length);
    for (const cell of resolved.cells) expect(cell.arrivals).toHaveLength(experiment.load.runs);
  });

  it('include smoke and default', () => {
    expect(shipped).toEqual(expect.arrayContaining(['smoke.yaml', 'default.yaml']));
  });
});

describe('bad experiment files', () => {
  const run = (file: string) =>
    spawnSync(process.execPath, [BIN, 'run', join('test/fixtures/experiments', file)], {
      cwd: ROOT,
      encoding: 'utf8',
    });

  it.each([
    ['unknown-scenario.yaml', /unknown scenario "rag-ingets"; valid scenarios: .*rag-ingest/],
    ['wrong-type.yaml', /load\.runs: .*number/],
    ['missing-field.yaml', /adapters: .*(required|expected array)/i],
    ['dependency-cycle.yaml', /steps\[1\]\.dependsOn: dependency cycle: review -> publish -> review/],
    ['bad-knob.yaml', /adapters\[0\]\.knobs \(bullmq\): lockDuration: .*number/],
  ])('%s: names the field, exit 2, no stack trace, nothing started', (file, message) => {
    const result = run(file);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toContain('starting services');
  });
});
