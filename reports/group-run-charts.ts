import type { PooledCell } from '../analysis/pool.js';
import type { CellResult } from '../core/results.js';
import type { RunRow } from './csv.js';
import { type CellGroup, fmtMs } from './format.js';
import { latencyOverTimeChart, percentileChart, runTimelineChart } from './run-charts.js';
import { latencyOverTime, originOf, percentileDistribution, runTimeline } from './run-series.js';
import type { Band } from './svg-frame.js';

/**
 * The run-level charts of one scenario × fault group, from the run rows of its
 * cells: latency over time and the percentile plot (adapters side by side), then a
 * timeline per adapter. A cell without submitted runs has no time origin and is left
 * out of them (its table says so).
 */

/** Neutral shading for fault windows on a one-adapter chart, whose bars are coloured by outcome. */
const FAULT_GREY = '#56606b';

/** A cell's fault occurrences as bands on an axis of seconds since its first submit. */
export function cellFaultBands(cell: CellResult, color: string): Band[] {
  return cell.faults.map((f) => ({
    from: f.startMs / 1000,
    to: Math.max(f.endMs, f.startMs) / 1000,
    color,
    kind: f.kind,
    label: `${cell.adapter}: ${f.kind} on ${f.target} (${f.id}) ${fmtMs(f.startMs)}–${fmtMs(f.endMs)}`,
  }));
}

export function groupRunCharts(
  group: CellGroup,
  rowsOfCell: (cellId: string) => readonly RunRow[],
  color: (adapter: string) => string,
): { compare: string[]; timelines: string[] } {
  const title = `${group.scenario} × ${group.fault}`;
  const cells = group.cells.flatMap((cell) => {
    // Repeats have their own clocks: a pooled cell's runs are drawn from its first repeat.
    const rows = rowsOfCell((cell as Partial<PooledCell>).cellIds?.[0] ?? cell.id);
    const originAt = originOf(rows);
    return originAt === null ? [] : [{ cell, rows, originAt }];
  });
  if (cells.length === 0) return { compare: [], timelines: [] };
  const latency = latencyOverTimeChart({
    title: `${title}: latency of each run over time`,
    series: cells.map(({ cell, rows, originAt }) => ({
      name: cell.adapter,
      color: color(cell.adapter),
      data: latencyOverTime(rows, originAt),
    })),
    bands: cells.flatMap(({ cell }) => cellFaultBands(cell, color(cell.adapter))),
  });
  const percentiles = percentileChart({
    title: `${title}: latency by percentile`,
    series: cells.map(({ cell, rows }) => ({
      name: cell.adapter,
      color: color(cell.adapter),
      data: percentileDistribution(rows),
    })),
  });
  const timelines = cells.map(({ cell, rows, originAt }) =>
    runTimelineChart({
      title: `${title}: ${cell.adapter}, run by run`,
      adapter: cell.adapter,
      color: color(cell.adapter),
      data: runTimeline(rows, originAt),
      bands: cellFaultBands(cell, FAULT_GREY),
    }),
  );
  return { compare: [latency, percentiles], timelines };
}
