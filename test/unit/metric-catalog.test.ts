import { describe, expect, it } from 'vitest';
import { evaluateGate, evaluateGates, parseGate } from '../../analysis/gates/index.js';
import {
  BUILT_IN_METRICS,
  createCatalog,
  METRICS,
  type MetricDefinition,
  metric,
  metricAppliesTo,
} from '../../analysis/metrics/catalog.js';
import { occurrenceStat } from '../../analysis/metrics/occurrence-stats.js';
import { InputError } from '../../core/errors.js';
import type { Results } from '../../core/results.js';
import { summaryTable } from '../../harness/cli/table.js';
import { CELL_ROWS } from '../../reports/cell-rows.js';
import { COMPARED_METRICS, compareResults, renderComparisonMarkdown } from '../../reports/compare.js';
import { FAULT_COLUMNS, faultsCsv, SUMMARY_COLUMNS, summaryCsv } from '../../reports/csv.js';
import { fmtMs, fmtNum, metricText } from '../../reports/format.js';
import { narrate } from '../../reports/narrative.js';
import { cellOf, csvRecords, loadResults } from '../fixtures/results-small.js';

/** The gate vocabulary before the catalog existed (README, gates doc): every name must still resolve. */
const STATS = ['p50', 'p90', 'p95', 'p99', 'max'];
const EARLIER_GATE_NAMES = [
  'lost',
  'failed',
  'duplicates',
  'deduplicated',
  'compensated',
  'duplicateAttempts',
  'anomalies',
  'retryAmplification',
  'throughput',
  ...[...STATS, 'mean'].map((s) => `latency.${s}`),
  ...STATS.map((s) => `recovery.${s}`),
  ...STATS.map((s) => `throughputRecovery.${s}`),
];

const WK = 'rag-ingest/bullmq/worker-kill';

function refusal(expression: string, catalog = METRICS): InputError {
  try {
    parseGate(expression, catalog);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error(`"${expression}" was accepted`);
}

describe('the metric catalog', () => {
  it('resolves every gate name, earlier ones included, and parses a gate on each', () => {
    for (const name of EARLIER_GATE_NAMES) expect(METRICS.names, name).toContain(name);
    for (const m of METRICS.metrics) {
      expect(parseGate(`${m.name} >= 0`).metric).toBe(m.name);
      expect(METRICS.get(m.name)).toBe(m);
      expect(m.description.length, m.name).toBeGreaterThan(0);
    }
  });

  it('evaluates every metric through its declaration, on the cells it applies to', () => {
    const results = loadResults();
    for (const m of METRICS.metrics) {
      const gate = evaluateGate(parseGate(`${m.name} >= 0`), results);
      const applies = results.cells.filter((c) => metricAppliesTo(c, m));
      expect(gate.cells.map((c) => c.cell)).toEqual(applies.map((c) => c.id));
      expect(gate.cells.map((c) => c.observed)).toEqual(applies.map((c) => m.read(c)));
    }
  });

  it('refuses a made-up name and lists every valid one', () => {
    const error = refusal('latency.p42 < 1s');
    expect(error.message).toContain('unknown metric "latency.p42"');
    for (const name of METRICS.names) expect(error.message).toContain(name);
  });

  it('takes the time-ness of a gate from the unit', () => {
    for (const m of METRICS.metrics) {
      if (m.unit === 'ms') expect(parseGate(`${m.name} < 2s`).threshold, m.name).toBe(2000);
      else expect(refusal(`${m.name} < 2s`).message).toContain(`"${m.name}" is not a time metric`);
    }
  });

  it('refuses repeated names or CSV columns, and a compared metric without direction', () => {
    const lost = metric('lost');
    expect(() => createCatalog([lost, lost])).toThrow('"lost" is declared twice');
    expect(() => createCatalog([lost, { ...lost, name: 'lost2' }])).toThrow('"runsLost" is used twice');
    expect(() => createCatalog([{ ...lost, better: 'neither' }])).toThrow('no better direction');
  });

  it('applies recovery metrics only to cells that had or were meant to have a fault', () => {
    const results = loadResults();
    const none = cellOf(results, 'rag-ingest/bullmq/none');
    const wk = cellOf(results, WK);
    for (const m of METRICS.metrics) {
      expect(metricAppliesTo(wk, m), m.name).toBe(true);
      expect(metricAppliesTo(none, m), m.name).toBe(m.scope === 'all');
    }
    expect(metric('recovery.p95').scope).toBe('faulted');
    expect(metric('latency.p99').scope).toBe('all');
    wk.faults = [];
    expect(metricAppliesTo(wk, metric('recovery.max'))).toBe(true); // meant to have one: UNKNOWN, not left out
    expect(metric('recovery.max').read(wk)).toBeNull();
  });
});

describe('recovery stats over fault occurrences: one function, every writer agrees', () => {
  /** The worker-kill cell with a second, slower occurrence: the max is the second one's. */
  function twoKills(): Results {
    const results = loadResults();
    const wk = cellOf(results, WK);
    const first = wk.faults[0]!;
    wk.faults.push({
      ...first,
      id: 'f2',
      timeToFirstProgressMs: first.timeToFirstProgressMs! + 1234,
      timeToThroughputRecoveryMs: null,
    });
    return results;
  }

  it('max recovery is the largest known time, p50 the nearest-rank median', () => {
    const wk = cellOf(twoKills(), WK);
    const [a, b] = wk.faults.map((f) => f.timeToFirstProgressMs!) as [number, number];
    expect(occurrenceStat(wk, 'timeToFirstProgressMs', 'max')).toBe(Math.max(a, b));
    expect(occurrenceStat(wk, 'timeToFirstProgressMs', 'p50')).toBe(Math.min(a, b));
    // a recovery that never came is no sample
    expect(occurrenceStat(wk, 'timeToThroughputRecoveryMs', 'max')).toBe(
      wk.faults[0]!.timeToThroughputRecoveryMs,
    );
    expect(occurrenceStat(wk, 'affectedRuns', 'sum')).toBe(2 * wk.faults[0]!.affectedRuns);
    expect(occurrenceStat(cellOf(twoKills(), 'rag-ingest/bullmq/none'), 'affectedRuns', 'sum')).toBeNull();
  });

  it('gates, summary.csv, the report table, the narrative and the printed summary show that max', () => {
    const results = twoKills();
    const wk = cellOf(results, WK);
    const max = wk.faults[1]!.timeToFirstProgressMs!;
    const gate = evaluateGates(['recovery.max < 1m'], results)[0]!;
    expect(gate.cells.find((c) => c.cell === WK)!.observed).toBe(max);
    const row = csvRecords(summaryCsv(results)).records.find((r) => r.cell === WK)!;
    expect(row.recoveryFirstProgressMaxMs).toBe(String(max));
    const [, value] = CELL_ROWS.find(([label]) => label === 'recovery: first progress (max)')!;
    expect(value(wk)).toBe(fmtMs(max));
    expect(narrate(wk).join(' ')).toContain(`at most ${fmtMs(max)} after the fault`);
    const printed = summaryTable([wk]).split('\n');
    const at = printed[0]!.indexOf('recovery.max');
    expect(
      printed[2]!
        .slice(at)
        .trim()
        .split(/\s{2,}/)[0],
    ).toBe(fmtMs(max));
  });
});

describe('direction and unit drive compare and formatting', () => {
  it('compares what it compared before the catalog', () => {
    expect(COMPARED_METRICS.map((m) => `${m.metric} ${m.worse}`).sort()).toEqual(
      [
        'lost higher',
        'duplicates higher',
        'failed higher',
        'anomalies higher',
        'retryAmplification higher',
        'latency.p50 higher',
        'latency.p95 higher',
        'latency.p99 higher',
        'throughput lower',
        'recovery.p95 higher',
        'throughputRecovery.p95 higher',
        // Added with timer steps (#15).
        'timers.lost higher',
        'timers.firedTwice higher',
        'timers.drift.p99 higher',
        // Added with deploys (#15).
        'deploy.failed higher',
        'deploy.stuck higher',
        'deploy.duplicates higher',
      ].sort(),
    );
  });

  it('compares exactly the catalog metrics marked compared, worse opposite to better', () => {
    const compared = METRICS.metrics.filter((m) => m.compared);
    expect(COMPARED_METRICS.map((m) => m.metric)).toEqual(compared.map((m) => m.name));
    for (const c of COMPARED_METRICS) {
      expect(c.worse).toBe(METRICS.get(c.metric).better === 'lower' ? 'higher' : 'lower');
    }
  });

  it('a drop regresses a higher-is-better metric and improves a lower-is-better one', () => {
    const baseline = loadResults();
    const current = loadResults();
    cellOf(current, 'rag-ingest/bullmq/none').throughputPerSec! /= 2;
    const probe = (better: 'lower' | 'higher') =>
      createCatalog([{ ...metric('throughput'), name: 'probe', better, csv: null }]);
    const statusOf = (better: 'lower' | 'higher') =>
      compareResults(baseline, current, 0.1, probe(better))
        .cells.find((c) => c.cell === 'rag-ingest/bullmq/none')!
        .metrics.find((m) => m.metric === 'probe')!.status;
    expect(statusOf('higher')).toBe('regression');
    expect(statusOf('lower')).toBe('improvement');
  });

  it('formats by unit: ms as times, everything else as numbers', () => {
    const wk = cellOf(loadResults(), WK);
    expect(metricText(metric('latency.p99'), wk)).toBe(fmtMs(wk.latencyMs.p99));
    expect(metricText(metric('latency.p99'), wk)).toMatch(/ s$/);
    expect(metricText(metric('throughput'), wk)).toBe(fmtNum(wk.throughputPerSec));
    expect(metricText(metric('lost'), wk)).toBe(String(wk.runs.lost));
    const asCount = { ...metric('latency.p99'), unit: 'count' as const };
    expect(metricText(asCount, wk)).toBe(fmtNum(wk.latencyMs.p99));
    // and so in compare's Markdown: the same delta, once as a time and once as a count
    const baseline = loadResults();
    const current = loadResults();
    const p99 = cellOf(baseline, WK).latencyMs.p99!;
    cellOf(current, WK).latencyMs.p99 = p99 + 1500;
    const render = (unit: 'ms' | 'count') =>
      renderComparisonMarkdown(
        compareResults(baseline, current, 0, createCatalog([{ ...metric('latency.p99'), unit }])),
      );
    expect(render('ms')).toContain(
      `| ${WK} | latency.p99 | ${fmtMs(p99)} | ${fmtMs(p99 + 1500)} | +${fmtMs(1500)} (`,
    );
    expect(render('count')).toContain(`| ${WK} | latency.p99 | ${p99} | ${p99 + 1500} | +1500 (`);
    expect(fmtMs(1500)).not.toBe('1500');
  });

  it('heads the printed summary with gate names, units where the value has none', () => {
    const [header] = summaryTable(loadResults().cells).split('\n');
    expect(header).toContain('latency.p99');
    expect(header).toContain('recovery.max');
    expect(header).toContain('throughput (runs/s)');
  });
});

describe('a new metric is one declaration', () => {
  const worldRequests: MetricDefinition = {
    name: 'worldRequests',
    unit: 'count',
    better: 'lower',
    description: 'requests the simulated world served',
    label: 'world requests',
    scope: 'all',
    csv: 'worldRequests',
    compared: true,
    read: (c) => c.world?.requests ?? null,
  };
  const catalog = createCatalog([...BUILT_IN_METRICS, worldRequests]);

  function withWorld(): Results {
    const results = loadResults();
    results.cells.forEach((c, i) => {
      c.world = { requests: 100 * (i + 1), cpuUtilisation: null };
    });
    return results;
  }

  it('is a gate, with its values read through the declaration', () => {
    expect(refusal('worldRequests < 250').message).toContain('unknown metric "worldRequests"');
    const results = withWorld();
    const [gate] = evaluateGates(['worldRequests < 250'], results, undefined, catalog);
    expect(gate!.cells.map((c) => c.observed)).toEqual(results.cells.map((c) => c.world!.requests));
    expect(gate!.status).toBe('FAIL');
    expect(gate!.cells.filter((c) => c.status === 'PASS')).toHaveLength(2);
  });

  it('is compared in its direction', () => {
    const baseline = withWorld();
    const current = withWorld();
    cellOf(current, WK).world!.requests *= 2;
    const comparison = compareResults(baseline, current, 0.1, catalog);
    const delta = comparison.cells
      .find((c) => c.cell === WK)!
      .metrics.find((m) => m.metric === 'worldRequests')!;
    expect(delta).toMatchObject({ status: 'regression', delta: cellOf(baseline, WK).world!.requests });
  });

  it('is a summary.csv column after the built-in metrics, and leaves faults.csv alone', () => {
    const results = withWorld();
    const { header, records } = csvRecords(summaryCsv(results, catalog));
    expect(header).toEqual([
      ...SUMMARY_COLUMNS.slice(0, SUMMARY_COLUMNS.indexOf('governedBy')),
      'worldRequests',
      ...SUMMARY_COLUMNS.slice(SUMMARY_COLUMNS.indexOf('governedBy')),
    ]);
    expect(records.map((r) => Number(r.worldRequests))).toEqual(results.cells.map((c) => c.world!.requests));
    expect(csvRecords(faultsCsv(results, catalog)).header).toEqual(FAULT_COLUMNS);
  });

  it('may not take a column summary.csv already has', () => {
    const clash = createCatalog([...BUILT_IN_METRICS, { ...worldRequests, csv: 'knobs' }]);
    expect(() => summaryCsv(loadResults(), clash)).toThrow('column "knobs" twice');
  });
});

describe('summary.csv keeps its columns', () => {
  it('has the names and order it had before the catalog, new columns after them', () => {
    expect(SUMMARY_COLUMNS).toEqual([
      'cell',
      'scenario',
      'adapter',
      'fault',
      'verdict',
      'runsSubmitted',
      'runsCompleted',
      'runsFailed',
      'runsLost',
      'runsWarmup',
      'stepsCompleted',
      'effectsApplied',
      'effectsDuplicates',
      'effectsDeduplicated',
      'effectsCompensated',
      'attempts',
      'duplicateAttempts',
      'retryAmplification',
      'redoneWorkMs',
      'latencyCount',
      'latencyP50Ms',
      'latencyP90Ms',
      'latencyP95Ms',
      'latencyP99Ms',
      'latencyMaxMs',
      'latencyMeanMs',
      'throughputPerSec',
      'faultOccurrences',
      'recoveryFirstProgressP50Ms',
      'recoveryFirstProgressP95Ms',
      'recoveryFirstProgressMaxMs',
      'recoveryThroughputP95Ms',
      'recoveryThroughputMaxMs',
      'affectedRuns',
      'affectedRunsMaxDelayMs',
      // Added since, at the end of the metric columns (#15): timer steps.
      'timersDue',
      'timersLost',
      'timersFiredTwice',
      'timerDriftP50Ms',
      'timerDriftP99Ms',
      'timerDriftMaxMs',
      // The operational footprint (#15).
      'cpuMsPer1000Runs',
      'backendCpuMs',
      'workersCpuMs',
      'backendPeakRssMB',
      'workersPeakRssMB',
      'stackStartMs',
      // Version drift (#15).
      'deployInFlight',
      'deployOldPath',
      'deployNewPath',
      'deployMixed',
      'deployFailed',
      'deployStuck',
      'deployDuplicateEffects',
      'deployVersionConflicts',
      'governedBy',
      'anomalies',
      'knobs',
      // Added after it, at the end so older readers keep their columns: interrupted cells.
      'interrupted',
      'runsInterrupted',
    ]);
  });
});

describe('faultline list', () => {
  it('prints every metric with its unit and description', async () => {
    const { listCommand } = await import('../../harness/cli/list.js');
    const text = await listCommand();
    const section = text.slice(text.indexOf('metrics (for gates'));
    for (const m of METRICS.metrics) {
      const line = section.split('\n').find((l) => l.trim().startsWith(`${m.name} `));
      expect(line, m.name).toBeDefined();
      expect(line).toContain(`${m.unit}, `);
      expect(line).toContain(m.description);
    }
  });
});
