import { describe, expect, it } from 'vitest';
import { evaluateGates } from '../../analysis/gates/index.js';
import { renderCiSummary } from '../../reports/ci-summary.js';
import { fmtMs, fmtNum } from '../../reports/format.js';
import { cellOf, loadResults } from '../fixtures/results-small.js';

describe('renderCiSummary', () => {
  const results = loadResults();
  const md = renderCiSummary(results, evaluateGates(['lost == 0'], results));

  it('puts the gates first, with their status', () => {
    expect(md.indexOf('| `lost == 0` | **FAIL** |')).toBeGreaterThan(0);
    expect(md.indexOf('| `lost == 0`')).toBeLessThan(md.indexOf('| cell | verdict |'));
  });

  it('gives a line per cell with catalog metrics formatted by unit', () => {
    expect(md).toContain('| cell | verdict | lost | duplicates | latency.p99 | throughput (runs/s) |');
    const wk = cellOf(results, 'rag-ingest/bullmq/worker-kill');
    expect(md).toContain(
      `| ${wk.id} | FAIL | ${wk.runs.lost} | ${wk.effects.duplicates} | ${fmtMs(wk.latencyMs.p99)} | ${fmtNum(wk.throughputPerSec)} |`,
    );
  });
});
