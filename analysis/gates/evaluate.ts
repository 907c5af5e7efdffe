import type { CellResult, Results } from '../../core/results.js';
import { FAILING_KINDS } from '../checker/verdict.js';
import {
  type CellSelector,
  type Gate,
  type GateMetric,
  type GateOp,
  isTimeMetric,
  parseGate,
  type RecoveryStat,
} from './parse.js';

/**
 * Evaluates gates against results, cell by cell. A cell where the metric has no
 * samples is UNKNOWN for that gate, and a gate is only PASS when every cell it
 * applies to has samples and passes: no samples never passes silently.
 */

export type GateStatus = 'PASS' | 'FAIL' | 'UNKNOWN';

export interface GateCellOutcome {
  cell: string;
  status: GateStatus;
  /** The metric's value in the cell; null when it had no samples. */
  observed: number | null;
}

export interface GateResult {
  gate: Gate;
  /** FAIL if any cell fails; else UNKNOWN if no cell applies or any lacks samples; else PASS. */
  status: GateStatus;
  cells: GateCellOutcome[];
  /** One line saying why, with the observed values of the cells that decided it. */
  message: string;
}

/** The cells a selector picks (absent fields match everything). */
export function matchesSelector(cell: CellResult, selector: CellSelector | undefined): boolean {
  if (selector === undefined) return true;
  return (
    (selector.scenario === undefined || selector.scenario === cell.scenario) &&
    (selector.adapter === undefined || selector.adapter === cell.adapter) &&
    (selector.fault === undefined || selector.fault === cell.fault)
  );
}

/**
 * Recovery metrics only apply to cells that had (or were meant to have) a fault: a
 * fault-free baseline cell has nothing to recover from, so it is left out rather
 * than counted UNKNOWN. A fault cell with no recorded occurrence stays UNKNOWN.
 */
export function metricAppliesTo(cell: CellResult, metric: GateMetric): boolean {
  if (!metric.startsWith('recovery.') && !metric.startsWith('throughputRecovery.')) return true;
  return cell.fault !== 'none' || cell.faults.length > 0;
}

/** Nearest-rank percentile (p in 0..100) of the values; null without values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

const STAT_PERCENTILE: Record<RecoveryStat, number> = { p50: 50, p90: 90, p95: 95, p99: 99, max: 100 };

/** Recovery figure of a cell over its fault occurrences' non-null times. */
export function recoveryStat(
  cell: CellResult,
  field: 'timeToFirstProgressMs' | 'timeToThroughputRecoveryMs',
  stat: RecoveryStat,
): number | null {
  const values = cell.faults.map((f) => f[field]).filter((v): v is number => v !== null);
  return percentile(values, STAT_PERCENTILE[stat]);
}

/** A metric's value in a cell; null when the cell has no samples to judge by. */
export function metricValue(cell: CellResult, metric: GateMetric): number | null {
  // A cell cut short by a stop of the harness has no final figures: nothing to judge by.
  if (cell.interrupted !== undefined) return null;
  const ran = cell.runs.submitted > 0;
  const hasEffects = ran && (cell.effects.expectedPerRun > 0 || cell.effects.applied > 0);
  switch (metric) {
    case 'lost':
      return ran ? cell.runs.lost : null;
    case 'failed':
      return ran ? cell.runs.failed : null;
    case 'duplicates':
      return hasEffects ? cell.effects.duplicates : null;
    case 'deduplicated':
      return hasEffects ? cell.effects.deduplicated : null;
    case 'compensated':
      return hasEffects ? cell.effects.compensated : null;
    case 'duplicateAttempts':
      return ran ? cell.attempts.duplicates : null;
    case 'anomalies':
      return ran ? FAILING_KINDS.reduce((sum, kind) => sum + (cell.anomalyCounts[kind] ?? 0), 0) : null;
    case 'retryAmplification':
      return cell.attempts.retryAmplification;
    case 'throughput':
      return cell.throughputPerSec;
    default: {
      const [family, stat] = metric.split('.') as [string, string];
      if (family === 'latency') return cell.latencyMs[stat as keyof CellResult['latencyMs']] ?? null;
      const field = family === 'recovery' ? 'timeToFirstProgressMs' : 'timeToThroughputRecoveryMs';
      return recoveryStat(cell, field, stat as RecoveryStat);
    }
  }
}

export function compare(observed: number, op: GateOp, threshold: number): boolean {
  switch (op) {
    case '<':
      return observed < threshold;
    case '<=':
      return observed <= threshold;
    case '>':
      return observed > threshold;
    case '>=':
      return observed >= threshold;
    case '==':
      return observed === threshold;
    case '!=':
      return observed !== threshold;
  }
}

/** Evaluates one gate over the cells its own tags and the extra selector both pick. */
export function evaluateGate(gate: Gate, results: Results, selector?: CellSelector): GateResult {
  const cells = results.cells.filter(
    (cell) =>
      matchesSelector(cell, gate.selector) &&
      matchesSelector(cell, selector) &&
      metricAppliesTo(cell, gate.metric),
  );
  const outcomes = cells.map((cell): GateCellOutcome => {
    const observed = metricValue(cell, gate.metric);
    if (observed === null) return { cell: cell.id, status: 'UNKNOWN', observed };
    return { cell: cell.id, status: compare(observed, gate.op, gate.threshold) ? 'PASS' : 'FAIL', observed };
  });
  const failed = outcomes.filter((o) => o.status === 'FAIL');
  const unknown = outcomes.filter((o) => o.status === 'UNKNOWN');
  const list = (os: GateCellOutcome[]) =>
    os.map((o) => `${o.cell} (${gate.metric}=${fmt(o.observed, gate.metric)})`).join(', ');
  if (failed.length > 0) {
    return {
      gate,
      status: 'FAIL',
      cells: outcomes,
      message: `failed in ${failed.length} of ${outcomes.length} cells: ${list(failed)}`,
    };
  }
  if (outcomes.length === 0) {
    return { gate, status: 'UNKNOWN', cells: outcomes, message: 'no samples: no cell this gate applies to' };
  }
  if (unknown.length > 0) {
    return {
      gate,
      status: 'UNKNOWN',
      cells: outcomes,
      message: `no samples in ${unknown.length} of ${outcomes.length} cells: ${unknown.map((o) => o.cell).join(', ')}`,
    };
  }
  return {
    gate,
    status: 'PASS',
    cells: outcomes,
    message: `passed in all ${outcomes.length} cells: ${list(outcomes)}`,
  };
}

/** Evaluates gates (parsed or as expressions) against results. */
export function evaluateGates(
  gates: readonly (Gate | string)[],
  results: Results,
  selector?: CellSelector,
): GateResult[] {
  return gates.map((g) => evaluateGate(typeof g === 'string' ? parseGate(g) : g, results, selector));
}

/**
 * Exit code of `faultline ci` for these gates: 1 when one fails, and by default
 * also when one is UNKNOWN (a gate that could not be checked has not passed).
 */
export function gatesExitCode(
  results: readonly GateResult[],
  options: { unknownFails?: boolean } = {},
): 0 | 1 {
  const unknownFails = options.unknownFails ?? true;
  const bad = results.some((r) => r.status === 'FAIL' || (unknownFails && r.status === 'UNKNOWN'));
  return bad ? 1 : 0;
}

function fmt(value: number | null, metric: GateMetric): string {
  if (value === null) return 'no samples';
  const text = Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  return isTimeMetric(metric) ? `${text} ms` : text;
}
