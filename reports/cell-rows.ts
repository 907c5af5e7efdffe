import { type MetricName, metric } from '../analysis/metrics/catalog.js';
import type { CellResult } from '../core/results.js';
import { DASH, fmtMs, fmtNum, governedBy, metricText, verdictText } from './format.js';

/** A label, how a cell fills it, and whether the row is left out when no cell has a figure for it. */
type CellRow = [label: string, value: (cell: CellResult) => string, optional?: boolean];

/** One catalog metric: its label, its value formatted by its unit. */
const row = (name: MetricName): CellRow => {
  const m = metric(name);
  return [m.label, (c) => metricText(m, c)];
};

/** Several catalog metrics in one row, `a / b / c`, each formatted by its unit. */
const rowOf = (label: string, names: MetricName[], optional = false): CellRow => {
  const metrics = names.map(metric);
  return [label, (c) => metrics.map((m) => metricText(m, c)).join(' / '), optional];
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
  rowOf('timers due / lost / fired twice', ['timers.due', 'timers.lost', 'timers.firedTwice'], true),
  rowOf('timer drift p50 / p99 / max', ['timers.drift.p50', 'timers.drift.p99', 'timers.drift.max'], true),
  rowOf(
    'deploy: in flight / old path / new path / mixed',
    ['deploy.inFlight', 'deploy.oldPath', 'deploy.newPath', 'deploy.mixed'],
    true,
  ),
  rowOf(
    'deploy: failed / stuck / effects twice / version conflicts',
    ['deploy.failed', 'deploy.stuck', 'deploy.duplicates', 'deploy.versionConflicts'],
    true,
  ),
  rowOf('CPU per 1,000 runs (backend + workers)', ['footprint.cpuPer1000Runs'], true),
  rowOf('CPU during the cell: backend / workers', ['footprint.backendCpu', 'footprint.workersCpu'], true),
  rowOf(
    'peak memory during the cell: backend / workers (MB)',
    ['footprint.backendPeakRss', 'footprint.workersPeakRss'],
    true,
  ),
  rowOf('stack start (services, setup, workers, first run)', ['stackStart'], true),
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
    // Over each worker process's whole life (worker-usage), start-up apart; the rows above are the cell's span.
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

/** The rows for these cells: an optional row only when some cell has a figure for it. */
export function cellRowsFor(cells: readonly CellResult[]): CellRow[] {
  return CELL_ROWS.filter(
    ([, value, optional]) =>
      !optional ||
      cells.some((c) =>
        value(c)
          .split(' / ')
          .some((v) => v !== DASH),
      ),
  );
}
