import { type MetricName, metric } from '../../analysis/metrics/catalog.js';
import type { CellResult } from '../../core/results.js';
import { metricHeading, metricText, verdictText } from '../../reports/format.js';

/** The catalog metrics the printed summary shows, headed by their gate names. */
const COLUMNS: readonly MetricName[] = [
  'submitted',
  'completed',
  'failed',
  'lost',
  'duplicates',
  'deduplicated',
  'attempts',
  'latency.p50',
  'latency.p99',
  'throughput',
  'recovery.max',
];

/** The short summary printed after a run: one row per cell, adapters side by side. */
export function summaryTable(cells: CellResult[]): string {
  const metrics = COLUMNS.map(metric);
  const header = ['scenario', 'adapter', 'fault', ...metrics.map(metricHeading), 'verdict'];
  const rows = cells.map((c) => [
    c.scenario,
    c.adapter,
    c.fault,
    ...metrics.map((m) => metricText(m, c)),
    verdictText(c),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]) => cols.map((col, i) => col.padEnd(widths[i]!)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
