import { describe, expect, it } from 'vitest';
import type { Results } from '../../core/results.js';
import {
  COMPARED_METRICS,
  compareResults,
  comparisonExitCode,
  renderComparisonMarkdown,
} from '../../reports/compare.js';
import { cellOf, loadResults } from '../fixtures/results-small.js';

function metric(comparison: ReturnType<typeof compareResults>, cell: string, name: string) {
  return comparison.cells.find((c) => c.cell === cell)!.metrics.find((m) => m.metric === name)!;
}

/** The fixture with a few numbers made worse or better. */
function changed(): Results {
  const current = loadResults();
  const none = cellOf(current, 'rag-ingest/bullmq/none');
  none.latencyMs.p99 = 1160 * 1.5; // +50%
  none.throughputPerSec = 3.1818 / 2; // halved
  cellOf(current, 'rag-ingest/temporal/none').runs.lost = 1; // 0 → 1
  cellOf(current, 'rag-ingest/temporal/none').verdict = 'fail';
  cellOf(current, 'rag-ingest/bullmq/worker-kill').runs.lost = 0; // 1 → 0
  return current;
}

describe('compareResults', () => {
  it('finds nothing when the results are the same', () => {
    const c = compareResults(loadResults(), loadResults(), 0.1);
    expect(c.regressions).toBe(0);
    expect(c.improvements).toBe(0);
    expect(c.cells).toHaveLength(6);
    expect(c.cells[0]!.metrics.map((m) => m.metric)).toEqual(COMPARED_METRICS.map((m) => m.metric));
    expect(
      c.cells
        .flatMap((cell) => cell.metrics)
        .every((m) => m.status === 'unchanged' || m.status === 'unknown'),
    ).toBe(true);
    expect(comparisonExitCode(c)).toBe(0);
  });

  it('flags regressions beyond the tolerance, in the right direction per metric', () => {
    const c = compareResults(loadResults(), changed(), 0.1);
    expect(metric(c, 'rag-ingest/bullmq/none', 'latency.p99')).toMatchObject({
      baseline: 1160,
      current: 1740,
      delta: 580,
      relative: 0.5,
      status: 'regression',
    });
    expect(metric(c, 'rag-ingest/bullmq/none', 'throughput').status).toBe('regression');
    expect(metric(c, 'rag-ingest/temporal/none', 'lost')).toMatchObject({
      delta: 1,
      relative: null,
      status: 'regression',
    });
    expect(metric(c, 'rag-ingest/bullmq/worker-kill', 'lost').status).toBe('improvement');
    expect(c.cells.find((x) => x.cell === 'rag-ingest/temporal/none')!.verdict).toEqual({
      baseline: 'pass',
      current: 'fail',
      regressed: true,
    });
    expect(c.regressions).toBe(4); // latency, throughput, lost, verdict
    expect(c.improvements).toBe(1);
    expect(comparisonExitCode(c)).toBe(1);
  });

  it('a wider or absolute tolerance lets small changes pass', () => {
    const wide = compareResults(loadResults(), changed(), 0.6);
    expect(metric(wide, 'rag-ingest/bullmq/none', 'latency.p99').status).toBe('unchanged');
    expect(metric(wide, 'rag-ingest/bullmq/none', 'throughput').status).toBe('unchanged');
    // a baseline of 0 has no relative slack: one lost run still regresses
    expect(metric(wide, 'rag-ingest/temporal/none', 'lost').status).toBe('regression');
    const absolute = compareResults(loadResults(), changed(), {
      relative: 0,
      absolute: { lost: 1, 'latency.p99': 600 },
    });
    expect(metric(absolute, 'rag-ingest/temporal/none', 'lost').status).toBe('unchanged');
    expect(metric(absolute, 'rag-ingest/bullmq/none', 'latency.p99').status).toBe('unchanged');
  });

  it('cannot compare a metric without samples, and lists unmatched cells', () => {
    const baseline = loadResults();
    const current = loadResults();
    cellOf(current, 'rag-ingest/temporal/none').latencyMs.p99 = null;
    current.cells = current.cells.filter((c) => c.fault !== 'backend-restart');
    current.cells.push({
      ...cellOf(baseline, 'rag-ingest/bullmq/none'),
      id: 'rag-ingest/celery/none',
      adapter: 'celery',
    });
    const c = compareResults(baseline, current);
    expect(metric(c, 'rag-ingest/temporal/none', 'latency.p99')).toMatchObject({
      status: 'unknown',
      delta: null,
    });
    expect(c.onlyInBaseline).toEqual([
      'rag-ingest/bullmq/backend-restart',
      'rag-ingest/temporal/backend-restart',
    ]);
    expect(c.onlyInCurrent).toEqual(['rag-ingest/celery/none']);
  });
});

describe('renderComparisonMarkdown', () => {
  it('shows the changes beyond the tolerance with their deltas', () => {
    const md = renderComparisonMarkdown(compareResults(loadResults(), changed(), 0.1));
    expect(md).toContain('Tolerance: ±10% of the baseline.');
    expect(md).toContain('4 regression(s), 1 improvement(s) over 6 matched cell(s).');
    expect(md).toContain(
      '| rag-ingest/bullmq/none | latency.p99 | 1.16 s | 1.74 s | +580 ms (+50%) | **REGRESSION** |',
    );
    expect(md).toContain('| rag-ingest/temporal/none | lost | 0 | 1 | +1 | **REGRESSION** |');
    expect(md).toContain('| rag-ingest/temporal/none | verdict | pass | fail | – | **REGRESSION** |');
    expect(md).toContain('| rag-ingest/bullmq/worker-kill | lost | 1 | 0 | -1 (-100%) | improvement |');
  });

  it('says so when nothing changed', () => {
    expect(renderComparisonMarkdown(compareResults(loadResults(), loadResults()))).toContain(
      'No metric changed beyond the tolerance.',
    );
  });
});
