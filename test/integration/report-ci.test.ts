import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recomputeResults, writeResults } from '../../harness/runner/recompute.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { REPORT_FILES, rebuildReports, writeReports } from '../../reports/index.js';
import { runForTest } from '../helpers/run.js';

const BIN = join(import.meta.dirname, '../../bin/faultline.js');

describe('faultline report', () => {
  it('rebuilds results.json and every report byte for byte from the history and config alone', async () => {
    const { results, outDir } = await runForTest({
      scenarios: ['rag-ingest'],
      adapters: [{ name: 'bullmq' }],
      load: { runs: 30, ratePerSec: 40 },
      thresholds: ['lost == 0', 'latency.p99 < 10s'],
    });
    writeResults(outDir, results);
    await writeReports(outDir, results);
    const files = ['results.json', ...REPORT_FILES];
    const original = new Map(files.map((f) => [f, readFileSync(join(outDir, f), 'utf8')]));
    await rebuildReports(outDir, recomputeResults);
    for (const file of files) expect(readFileSync(join(outDir, file), 'utf8'), file).toBe(original.get(file));
  });
});

describe('faultline ci', () => {
  const ci = (threshold: string) => {
    const out = join(mkdtempSync(join(tmpdir(), 'faultline-ci-')), 'run');
    const args = ['ci', '--scenario', 'rag-ingest', '--adapter', 'bullmq', '--runs', '20', '--rate', '40'];
    const result = spawnSync(process.execPath, [BIN, ...args, '--threshold', threshold, '--out', out], {
      encoding: 'utf8',
      env: { ...process.env, GITHUB_STEP_SUMMARY: join(out, '..', 'step-summary.md') },
    });
    return { ...result, out };
  };

  it('exits 0 when every gate passes, and appends the summary for GitHub', () => {
    const result = ci('lost == 0');
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(join(result.out, 'junit.xml'), 'utf8')).not.toContain('<failure');
    expect(readFileSync(join(result.out, '..', 'step-summary.md'), 'utf8')).toContain('lost == 0');
  });

  it('exits 1 when a gate fails, and junit.xml says which', () => {
    // No run of rag-ingest finishes in under a millisecond: its steps alone take tens of ms.
    const result = ci('latency.p50 < 1ms');
    expect(result.status, result.stderr).toBe(1);
    const junit = readFileSync(join(result.out, 'junit.xml'), 'utf8');
    expect(junit).toContain('latency.p50 &lt; 1ms');
    expect(junit).toContain('<failure');
  });

  it('rejects a malformed gate before starting anything, with exit 2', () => {
    const result = ci('latency.p42 <');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/latency\.p42/);
  });
});

describe('faultline report, from the run folder alone', () => {
  it('rebuilds byte for byte with no scenario file and no adapter code in reach', async () => {
    const { results, outDir } = await runForTest({
      scenarios: ['rag-ingest'],
      adapters: [{ name: 'bullmq', knobs: { lockDuration: 2000, stalledInterval: 1000 } }],
      faults: ['none', 'worker-kill'],
      load: { runs: 20, ratePerSec: 20, drainTimeoutMs: 20_000 },
      thresholds: ['lost{fault:none} == 0'],
    });
    // The recovery facts came from the adapter at run time; the rebuild must take them from config.json.
    const kill = results.cells.find((c) => c.fault === 'worker-kill')!.faults[0]!;
    expect(kill.governedBy).toEqual({ lockDuration: 2000, stalledInterval: 1000 });
    writeResults(outDir, results);
    await writeReports(outDir, results);
    const files = ['results.json', ...REPORT_FILES];
    const original = new Map(files.map((f) => [f, readFileSync(join(outDir, f), 'utf8')]));
    for (const file of files) rmSync(join(outDir, file));

    // A copy of the code without the scenario files and without any adapter's folder.
    const code = mkdtempSync(join(tmpdir(), 'faultline-code-'));
    cpSync(REPO_ROOT, code, {
      recursive: true,
      filter: (src) => !/[/\\](node_modules|\.tools|\.git|results)$/.test(src),
    });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(code, 'node_modules'));
    for (const file of readdirSync(join(code, 'scenarios')).filter((f) => f.endsWith('.json')))
      rmSync(join(code, 'scenarios', file));
    for (const entry of readdirSync(join(code, 'adapters'), { withFileTypes: true }))
      if (entry.isDirectory()) rmSync(join(code, 'adapters', entry.name), { recursive: true });

    const rebuilt = spawnSync(process.execPath, [join(code, 'bin', 'faultline.js'), 'report', outDir], {
      encoding: 'utf8',
    });
    expect(rebuilt.stderr).not.toMatch(/Error|at .*\.ts:/);
    for (const file of files) expect(readFileSync(join(outDir, file), 'utf8'), file).toBe(original.get(file));
    rmSync(code, { recursive: true, force: true });
  });
});
