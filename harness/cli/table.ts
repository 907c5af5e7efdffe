import type { CellResult } from '../../core/results.js';
import { verdictText } from '../../reports/format.js';

const fmt = (value: number | null | undefined, digits = 0): string =>
  value === null || value === undefined ? '-' : value.toFixed(digits);

/** The short summary printed after a run: one row per cell, adapters side by side. */
export function summaryTable(cells: CellResult[]): string {
  const header = [
    'scenario',
    'adapter',
    'fault',
    'submitted',
    'completed',
    'failed',
    'lost',
    'dup effects',
    'deduplicated',
    'attempts',
    'p50 ms',
    'p99 ms',
    'runs/s',
    'recovery ms',
    'verdict',
  ];
  const rows = cells.map((c) => [
    c.scenario,
    c.adapter,
    c.fault,
    String(c.runs.submitted),
    String(c.runs.completed),
    String(c.runs.failed),
    String(c.runs.lost),
    String(c.effects.duplicates),
    String(c.effects.deduplicated),
    String(c.attempts.total),
    fmt(c.latencyMs.p50),
    fmt(c.latencyMs.p99),
    fmt(c.throughputPerSec, 1),
    recoverySummary(c),
    verdictText(c),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]) => cols.map((col, i) => col.padEnd(widths[i]!)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Worst time to first progress over the cell's fault occurrences. */
function recoverySummary(cell: CellResult): string {
  const times = cell.faults.map((f) => f.timeToFirstProgressMs).filter((t): t is number => t !== null);
  return times.length === 0 ? '-' : fmt(Math.max(...times));
}
