import { METRICS, type MetricCatalog, type MetricUnit } from '../analysis/metrics/catalog.js';
import type { Results, Verdict } from '../core/results.js';
import { fmtMetric, fmtNum, mdCell, mdTable } from './format.js';

/**
 * Baseline comparison (`faultline compare BASELINE CURRENT`): per cell (matched by
 * id) and metric, the delta, and a regression when the current value is worse than
 * the baseline by more than the tolerance: max(relative × |baseline|, absolute).
 * With a baseline of 0 (lost, duplicates) any increase beyond the absolute
 * tolerance (default 0) regresses. A cell whose verdict went from pass to fail
 * regresses too. The compared metrics, their values and their worse direction are
 * the metric catalog's (the ones it marks compared).
 */

export interface ComparedMetric {
  metric: string;
  /** Which direction is worse: the opposite of the catalog's better. */
  worse: 'higher' | 'lower';
  unit: MetricUnit;
}

/** The metrics a catalog marks compared, in catalog order. */
function comparedMetrics(catalog: MetricCatalog = METRICS): ComparedMetric[] {
  return catalog.metrics.flatMap((m): ComparedMetric[] => {
    if (!m.compared || m.better === 'neither') return [];
    return [{ metric: m.name, worse: m.better === 'lower' ? 'higher' : 'lower', unit: m.unit }];
  });
}

export const COMPARED_METRICS: readonly ComparedMetric[] = comparedMetrics();

export interface Tolerance {
  /** Fraction of the baseline value, e.g. 0.1 for 10%. */
  relative: number;
  /** Per-metric absolute slack in the metric's unit (ms for times), e.g. { 'latency.p99': 50 }. */
  absolute?: Partial<Record<string, number>>;
}

type MetricStatus = 'regression' | 'improvement' | 'unchanged' | 'unknown';

interface MetricDelta {
  metric: string;
  /** The metric's unit (from the catalog), for formatting. */
  unit: MetricUnit;
  baseline: number | null;
  current: number | null;
  /** current − baseline; null when either side has no samples. */
  delta: number | null;
  /** delta / |baseline|; null when undefined (no samples, or a baseline of 0). */
  relative: number | null;
  status: MetricStatus;
}

interface CellComparison {
  cell: string;
  verdict: { baseline: Verdict; current: Verdict; regressed: boolean };
  metrics: MetricDelta[];
}

export interface Comparison {
  tolerance: Tolerance;
  cells: CellComparison[];
  onlyInBaseline: string[];
  onlyInCurrent: string[];
  /** Metric regressions plus verdict regressions. */
  regressions: number;
  improvements: number;
}

export function compareResults(
  baseline: Results,
  current: Results,
  tolerance: Tolerance | number = 0.1,
  catalog: MetricCatalog = METRICS,
): Comparison {
  const tol: Tolerance = typeof tolerance === 'number' ? { relative: tolerance } : tolerance;
  const compared = comparedMetrics(catalog);
  const base = new Map(baseline.cells.map((c) => [c.id, c]));
  const cells: CellComparison[] = [];
  for (const cur of current.cells) {
    const old = base.get(cur.id);
    if (old === undefined) continue;
    const metrics = compared.map((m) => {
      const { read } = catalog.get(m.metric);
      return delta(m, read(old), read(cur), tol);
    });
    const regressed = old.verdict === 'pass' && cur.verdict === 'fail';
    cells.push({
      cell: cur.id,
      verdict: { baseline: old.verdict, current: cur.verdict, regressed },
      metrics,
    });
  }
  const currentIds = new Set(current.cells.map((c) => c.id));
  const count = (status: MetricStatus) =>
    cells.reduce((sum, c) => sum + c.metrics.filter((m) => m.status === status).length, 0);
  return {
    tolerance: tol,
    cells,
    onlyInBaseline: baseline.cells.map((c) => c.id).filter((id) => !currentIds.has(id)),
    onlyInCurrent: current.cells.map((c) => c.id).filter((id) => !base.has(id)),
    regressions: count('regression') + cells.filter((c) => c.verdict.regressed).length,
    improvements: count('improvement'),
  };
}

function delta(
  { metric, worse, unit }: ComparedMetric,
  baseline: number | null,
  current: number | null,
  tol: Tolerance,
): MetricDelta {
  if (baseline === null || current === null) {
    return { metric, unit, baseline, current, delta: null, relative: null, status: 'unknown' };
  }
  const d = current - baseline;
  const slack = Math.max(tol.relative * Math.abs(baseline), tol.absolute?.[metric] ?? 0);
  const worsening = worse === 'higher' ? d : -d;
  const status: MetricStatus =
    worsening > slack ? 'regression' : -worsening > slack ? 'improvement' : 'unchanged';
  return {
    metric,
    unit,
    baseline,
    current,
    delta: d,
    relative: baseline === 0 ? null : d / Math.abs(baseline),
    status,
  };
}

/** Exit code for `faultline compare`: 1 when something regressed. */
export function comparisonExitCode(comparison: Comparison): 0 | 1 {
  return comparison.regressions > 0 ? 1 : 0;
}

function fmtChange(m: MetricDelta): string {
  if (m.delta === null) return '–';
  const sign = m.delta > 0 ? '+' : '';
  const abs = `${sign}${fmtMetric(m.unit, m.delta)}`;
  return m.relative === null ? abs : `${abs} (${sign}${fmtNum(m.relative * 100)}%)`;
}

/** Markdown (readable as plain text): the changes beyond the tolerance, then what could not be compared. */
export function renderComparisonMarkdown(comparison: Comparison): string {
  const { tolerance } = comparison;
  const absolute = Object.entries(tolerance.absolute ?? {}).map(([k, v]) => `${k} ±${v}`);
  const out = [
    '# Faultline comparison',
    '',
    `Tolerance: ±${fmtNum(tolerance.relative * 100)}% of the baseline${absolute.length ? `, at least ${absolute.join(', ')}` : ''}.`,
    `${comparison.regressions} regression(s), ${comparison.improvements} improvement(s) over ${comparison.cells.length} matched cell(s).`,
    '',
  ];
  const rows: string[][] = [];
  for (const cell of comparison.cells) {
    if (cell.verdict.baseline !== cell.verdict.current) {
      const status = cell.verdict.regressed ? '**REGRESSION**' : 'changed';
      rows.push([mdCell(cell.cell), 'verdict', cell.verdict.baseline, cell.verdict.current, '–', status]);
    }
    for (const m of cell.metrics) {
      if (m.status === 'unchanged' || (m.baseline === null && m.current === null)) continue;
      const status = m.status === 'regression' ? '**REGRESSION**' : m.status;
      rows.push([
        mdCell(cell.cell),
        m.metric,
        fmtMetric(m.unit, m.baseline),
        fmtMetric(m.unit, m.current),
        fmtChange(m),
        status,
      ]);
    }
  }
  if (rows.length === 0) out.push('No metric changed beyond the tolerance.', '');
  else out.push(mdTable(['cell', 'metric', 'baseline', 'current', 'change', 'status'], rows), '');
  if (comparison.onlyInBaseline.length > 0) {
    out.push(`Only in the baseline (not compared): ${comparison.onlyInBaseline.map(mdCell).join(', ')}`, '');
  }
  if (comparison.onlyInCurrent.length > 0) {
    out.push(
      `Only in the current run (not compared): ${comparison.onlyInCurrent.map(mdCell).join(', ')}`,
      '',
    );
  }
  return `${out.join('\n').trimEnd()}\n`;
}
