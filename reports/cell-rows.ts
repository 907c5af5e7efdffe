import { type MetricName, metric } from '../analysis/metrics/catalog.js';
import type { CellResult } from '../core/results.js';
import { DASH, fmtMs, fmtNum, governedBy, metricText, verdictText } from './format.js';

type CellRow = [label: string, value: (cell: CellResult) => string];

/** One catalog metric: its label, its value formatted by its unit. */
const row = (name: MetricName): CellRow => {
  const m = metric(name);
  return [m.label, (c) => metricText(m, c)];
};

/** Several catalog metrics in one row, `a / b / c`, each formatted by its unit. */
const rowOf = (label: string, names: MetricName[]): CellRow => {
  const metrics = names.map(metric);
  return [label, (c) => metrics.map((m) => metricText(m, c)).join(' / ')];
};

/** Rows of the side-by-side table: a label and how a cell fills it. */
export const CELL_ROWS: CellRow[] = [
  ['verdict', verdictText],
  rowOf('runs submitted / completed / failed', ['submitted', 'completed', 'failed']),
  row('lost'),
  row('duplicates'),
  row('deduplicated'),
  rowOf('effects applied / compensated', ['applied', 'compensated']),
  row('retryAmplification'),
  row('redoneWork'),
  rowOf('latency p50 / p95 / p99', ['latency.p50', 'latency.p95', 'latency.p99']),
  row('latency.max'),
  row('throughput'),
  row('faultOccurrences'),
  row('recovery.max'),
  row('throughputRecovery.max'),
  [
    'world (simulated APIs): requests, CPU',
    (c) =>
      c.world
        ? `${c.world.requests}, ${fmtNum(c.world.cpuUtilisation === null ? null : c.world.cpuUtilisation * 100)}% of a core`
        : DASH,
  ],
  ['recovery governed by', (c) => governedBy(c).join(', ') || DASH],
  [
    'worker CPU: serving / start-up',
    (c) =>
      c.workerUsage
        ? `${fmtMs(c.workerUsage.cpuMs - c.workerUsage.startupCpuMs)} / ${fmtMs(c.workerUsage.startupCpuMs)}`
        : DASH,
  ],
  [
    'worker peak memory (largest)',
    (c) => (c.workerUsage ? `${fmtNum(c.workerUsage.maxPeakRssKb / 1024)} MiB` : DASH),
  ],
];
