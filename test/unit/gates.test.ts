import { describe, expect, it } from 'vitest';
import {
  evaluateGate,
  evaluateGates,
  gatesExitCode,
  gatesFromConfig,
  parseGate,
} from '../../analysis/gates/index.js';
import { METRICS, type MetricName, metric } from '../../analysis/metrics/catalog.js';
import { percentile } from '../../analysis/metrics/occurrence-stats.js';
import { InputError } from '../../core/errors.js';
import { cellOf, loadResults } from '../fixtures/results-small.js';

describe('parseGate', () => {
  it.each([
    ['lost == 0', 'lost', '==', 0],
    ['duplicates == 0', 'duplicates', '==', 0],
    ['recovery.p95 < 30s', 'recovery.p95', '<', 30_000],
    ['latency.p99 < 2s', 'latency.p99', '<', 2000],
    ['latency.p95 <= 750ms', 'latency.p95', '<=', 750],
    ['latency.max < 1.5m', 'latency.max', '<', 90_000],
    ['latency.p50<300', 'latency.p50', '<', 300],
    ['throughput > 100', 'throughput', '>', 100],
    ['retryAmplification < 1.5', 'retryAmplification', '<', 1.5],
    ['throughputRecovery.max != 0', 'throughputRecovery.max', '!=', 0],
  ])('%s', (expression, metric, op, threshold) => {
    const gate = parseGate(expression);
    expect(gate).toMatchObject({ expression, metric, op, threshold, selector: {} });
  });

  it('reads k6-style tags as a cell selector', () => {
    const gate = parseGate('latency.p99{fault:none, adapter:bullmq} < 2s');
    expect(gate.selector).toEqual({ fault: 'none', adapter: 'bullmq' });
    expect(gate.threshold).toBe(2000);
  });

  it('names the bad expression and lists the valid metrics', () => {
    const error = (() => {
      try {
        parseGate('latncy.p99 < 2s');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain('gate "latncy.p99 < 2s"');
    expect(error?.message).toContain('unknown metric "latncy.p99"');
    for (const name of METRICS.names) expect(error?.message).toContain(name);
  });

  it.each([
    ['lost == 0s', 'not a time metric'],
    ['latency.p99 < 2h', 'unknown unit "h"'],
    ['lost = 0', 'not a gate expression'],
    ['lost == ', 'not a gate expression'],
    ['lost{cell:x} == 0', 'unknown tag "cell"'],
    ['lost{fault} == 0', 'is not KEY:VALUE'],
  ])('rejects %s', (expression, why) => {
    expect(() => parseGate(expression)).toThrow(InputError);
    expect(() => parseGate(expression)).toThrow(why);
  });

  it('reads the thresholds of a recorded config', () => {
    expect(gatesFromConfig(loadResults().config).map((g) => g.metric)).toEqual([
      'lost',
      'duplicates',
      'recovery.p95',
      'latency.p99',
    ]);
    expect(gatesFromConfig({})).toEqual([]);
    expect(() => gatesFromConfig({ thresholds: 'lost == 0' })).toThrow(InputError);
  });
});

describe('metric values', () => {
  it('reads the CellResult fields', () => {
    const cell = cellOf(loadResults(), 'rag-ingest/bullmq/worker-kill');
    const value = (name: MetricName) => metric(name).read(cell);
    expect(value('lost')).toBe(1);
    expect(value('duplicates')).toBe(1);
    expect(value('latency.p99')).toBe(cell.latencyMs.p99);
    expect(value('throughput')).toBe(cell.throughputPerSec);
    expect(value('recovery.max')).toBe(cell.faults[0]!.timeToFirstProgressMs);
    expect(value('throughputRecovery.p95')).toBe(cell.faults[0]!.timeToThroughputRecoveryMs);
    // lost-run and duplicate-effect fail a verdict; duplicate attempts do not.
    expect(value('anomalies')).toBe(2);
  });

  it('nearest-rank percentiles', () => {
    expect(percentile([], 95)).toBeNull();
    expect(percentile([5], 50)).toBe(5);
    expect(percentile([4, 1, 3, 2], 50)).toBe(2);
    expect(percentile([4, 1, 3, 2], 95)).toBe(4);
    expect(percentile([4, 1, 3, 2], 100)).toBe(4);
  });
});

describe('evaluateGates on the fixture', () => {
  const results = loadResults();

  it('fails lost == 0 on the cell that lost a run, with the observed value', () => {
    const [gate] = evaluateGates(['lost == 0'], results);
    expect(gate!.status).toBe('FAIL');
    expect(gate!.cells).toHaveLength(6);
    const failing = gate!.cells.filter((c) => c.status === 'FAIL');
    expect(failing).toEqual([{ cell: 'rag-ingest/bullmq/worker-kill', status: 'FAIL', observed: 1 }]);
    expect(gate!.message).toContain('rag-ingest/bullmq/worker-kill (lost=1)');
  });

  it('passes when the tags (or a selector) leave out the failing cell', () => {
    expect(evaluateGates(['lost{adapter:temporal} == 0'], results)[0]!.status).toBe('PASS');
    expect(evaluateGates(['duplicates == 0'], results, { adapter: 'temporal' })[0]!.status).toBe('PASS');
    expect(evaluateGates(['latency.p99{fault:none} < 2s'], results)[0]!.status).toBe('PASS');
  });

  it('judges recovery only on cells with a fault', () => {
    const gate = evaluateGate(parseGate('recovery.p95 < 30s'), results);
    expect(gate.status).toBe('PASS');
    expect(gate.cells.map((c) => c.cell)).not.toContain('rag-ingest/bullmq/none');
    expect(gate.cells).toHaveLength(4);
    const observed = gate.cells.find((c) => c.cell === 'rag-ingest/bullmq/worker-kill')!.observed;
    expect(observed).toBe(
      results.cells.find((c) => c.id === 'rag-ingest/bullmq/worker-kill')!.faults[0]!.timeToFirstProgressMs,
    );
    expect(gate.message).toContain(`recovery.p95=${observed} ms`);
    expect(evaluateGate(parseGate(`recovery.p95 < ${observed}ms`), results).status).toBe('FAIL');
  });

  it('is UNKNOWN, never PASS, without samples', () => {
    const noCell = evaluateGate(parseGate('recovery.p95{fault:none} < 30s'), results);
    expect(noCell.status).toBe('UNKNOWN');
    expect(noCell.message).toContain('no samples');

    const empty = loadResults();
    const cell = cellOf(empty, 'rag-ingest/temporal/none');
    cell.runs = {
      ...{ submitted: 0, completed: 0, failed: 0, lost: 0, warmup: 0, refused: 0 },
      lostBy: { noOutcome: 0, missingEffects: 0, gaveUp: 0 },
      interrupted: 0,
    };
    cell.latencyMs = { count: 0, p50: null, p90: null, p95: null, p99: null, max: null, mean: null };
    const [lost, latency] = evaluateGates(['lost{fault:none} == 0', 'latency.p99{fault:none} < 2s'], empty);
    expect(lost!.status).toBe('UNKNOWN');
    expect(lost!.cells.find((c) => c.cell === cell.id)).toEqual({
      cell: cell.id,
      status: 'UNKNOWN',
      observed: null,
    });
    expect(latency!.status).toBe('UNKNOWN');

    const faultNeverFired = loadResults();
    cellOf(faultNeverFired, 'rag-ingest/temporal/worker-kill').faults = [];
    expect(evaluateGates(['recovery.p95 < 30s'], faultNeverFired)[0]!.status).toBe('UNKNOWN');
  });

  it('FAIL wins over UNKNOWN', () => {
    const mixed = loadResults();
    cellOf(mixed, 'rag-ingest/temporal/worker-kill').faults = [];
    expect(evaluateGates(['recovery.p95 < 100ms'], mixed)[0]!.status).toBe('FAIL');
  });

  it('compares ratios', () => {
    const [throughput, amplification] = evaluateGates(
      ['throughput > 100', 'retryAmplification < 1.5'],
      results,
    );
    expect(throughput!.status).toBe('FAIL');
    expect(amplification!.status).toBe('PASS');
  });
});

describe('gatesExitCode (faultline ci)', () => {
  const results = loadResults();
  it('is 1 when a gate fails and 0 when all pass', () => {
    expect(gatesExitCode(evaluateGates(['lost == 0', 'retryAmplification < 1.5'], results))).toBe(1);
    expect(
      gatesExitCode(evaluateGates(['lost{adapter:temporal} == 0', 'retryAmplification < 1.5'], results)),
    ).toBe(0);
    expect(gatesExitCode([])).toBe(0);
  });

  it('treats UNKNOWN as failing unless told otherwise', () => {
    const unknown = evaluateGates(['recovery.p95{fault:none} < 30s'], results);
    expect(gatesExitCode(unknown)).toBe(1);
    expect(gatesExitCode(unknown, { unknownFails: false })).toBe(0);
  });
});
