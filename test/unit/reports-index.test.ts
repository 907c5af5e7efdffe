import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatesExitCode } from '../../analysis/gates/index.js';
import { InputError } from '../../core/errors.js';
import {
  appendStepSummary,
  approvalScenarios,
  REPORT_FILES,
  rebuildReports,
  writeReports,
} from '../../reports/index.js';
import { cellOf, loadResults, tempRunDir } from '../fixtures/results-small.js';

const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');

describe('writeReports', () => {
  it('writes every output into the run folder, gates from the recorded config', async () => {
    const dir = tempRunDir();
    const written = await writeReports(dir, loadResults());
    expect(Object.keys(written.files).sort()).toEqual([...REPORT_FILES].sort());
    expect(written.gates.map((g) => `${g.gate.expression} ${g.status}`)).toEqual([
      'lost == 0 FAIL',
      'duplicates == 0 FAIL',
      'recovery.p95 < 30s PASS',
      'latency.p99 < 2s FAIL',
    ]);
    expect(gatesExitCode(written.gates)).toBe(1);
    expect(read(dir, 'report.md')).toContain('| lost runs | 1 | 0 |');
    expect(read(dir, 'report.html')).toContain('<svg class="chart chart-line"');
    expect(read(dir, 'junit.xml').match(/<testcase /g)).toHaveLength(4);
    expect(read(dir, 'runs.csv').trim().split('\n')).toHaveLength(97);
    expect(read(dir, 'summary.csv').trim().split('\n')).toHaveLength(7);
    expect(read(dir, 'faults.csv').trim().split('\n')).toHaveLength(5);
    expect(JSON.parse(read(dir, 'readiness.json')).entries).toHaveLength(2);
    expect(read(dir, 'readiness.md')).toContain('# Production readiness');
    expect(written.summaryMarkdown).toContain('| `lost == 0` | **FAIL** |');
  });

  it('passing gates give exit code 0, and options override the config', async () => {
    const written = await writeReports(tempRunDir(), loadResults(), {
      gates: ['lost == 0', 'duplicates == 0'],
      gateSelector: { adapter: 'temporal' },
      readiness: { criteria: ['durability'] },
    });
    expect(written.gates.map((g) => g.status)).toEqual(['PASS', 'PASS']);
    expect(gatesExitCode(written.gates)).toBe(0);
    expect(written.readiness.entries[1]!.criteria.map((c) => c.id)).toEqual(['durability']);
  });

  it('with a baseline, writes comparison.md and a regression testcase', async () => {
    const dir = tempRunDir();
    const current = loadResults();
    cellOf(current, 'rag-ingest/temporal/none').runs.lost = 3;
    const written = await writeReports(dir, current, { baseline: loadResults(), tolerance: 0.1 });
    expect(written.comparison!.regressions).toBe(1);
    expect(read(dir, 'comparison.md')).toContain(
      '| rag-ingest/temporal/none | lost | 0 | 3 | +3 | **REGRESSION** |',
    );
    expect(read(dir, 'junit.xml')).toContain('name="no regression against the baseline"');
    expect(written.summaryMarkdown).toContain('### Faultline comparison');
  });

  it('needs the history', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'faultline-nohistory-'));
    await expect(writeReports(empty, loadResults())).rejects.toThrow(InputError);
  });
});

describe('rebuildReports (faultline report DIR)', () => {
  it('gives byte-identical outputs to the original writeReports', async () => {
    const original = tempRunDir();
    await writeReports(original, loadResults());
    const rebuilt = tempRunDir();
    let recomputedFrom = '';
    const { results } = await rebuildReports(rebuilt, async (dir) => {
      recomputedFrom = dir;
      return loadResults();
    });
    expect(recomputedFrom).toBe(rebuilt);
    expect(JSON.parse(read(rebuilt, 'results.json'))).toEqual(results);
    for (const name of REPORT_FILES) expect(read(rebuilt, name), name).toBe(read(original, name));
  });
});

describe('GitHub step summary', () => {
  it('appends only when GITHUB_STEP_SUMMARY is set', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'faultline-summary-')), 'summary.md');
    writeFileSync(path, '# earlier step\n');
    expect(appendStepSummary('## Faultline\n', { GITHUB_STEP_SUMMARY: path })).toBe(true);
    expect(appendStepSummary('more', { GITHUB_STEP_SUMMARY: path })).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('# earlier step\n## Faultline\nmore\n');
    expect(appendStepSummary('ignored', {})).toBe(false);
  });
});

describe('approvalScenarios', () => {
  it('reads the scenario definitions config.json recorded, not scenario files', () => {
    // rag-ingest has no approval step.
    expect(approvalScenarios(loadResults())).toEqual([]);
    const withApproval = loadResults();
    const definitions = withApproval.config.scenarioDefinitions as { name: string; steps: object[] }[];
    definitions.push({
      name: 'my-own-approval',
      steps: [{ id: 'approve', kind: 'approval', dependsOn: [] }],
    });
    expect(approvalScenarios(withApproval)).toEqual(['my-own-approval']);
  });
});
