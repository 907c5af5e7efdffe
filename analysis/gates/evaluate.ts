import type { CellResult, Results } from '../../core/results.js';
import { METRICS, type MetricCatalog, type MetricDefinition, metricAppliesTo } from '../metrics/catalog.js';
import { type CellSelector, type Gate, type GateOp, parseGate } from './parse.js';

/**
 * Evaluates gates against results, cell by cell. A cell where the metric has no
 * samples is UNKNOWN for that gate, and a gate is only PASS when every cell it
 * applies to has samples and passes: no samples never passes silently. Which cells
 * a metric applies to and its value in each come from the metric catalog.
 */

export type GateStatus = 'PASS' | 'FAIL' | 'UNKNOWN';

interface GateCellOutcome {
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
function matchesSelector(cell: CellResult, selector: CellSelector | undefined): boolean {
  if (selector === undefined) return true;
  return (
    (selector.scenario === undefined || selector.scenario === cell.scenario) &&
    (selector.adapter === undefined || selector.adapter === cell.adapter) &&
    (selector.fault === undefined || selector.fault === cell.fault)
  );
}

function compare(observed: number, op: GateOp, threshold: number): boolean {
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

/**
 * Evaluates one gate over the cells its own tags and the extra selector both pick
 * (and its metric applies to), with the catalog the gate was parsed against.
 */
export function evaluateGate(
  gate: Gate,
  results: Results,
  selector?: CellSelector,
  catalog: MetricCatalog = METRICS,
): GateResult {
  const metric = catalog.get(gate.metric);
  const cells = results.cells.filter(
    (cell) =>
      matchesSelector(cell, gate.selector) &&
      matchesSelector(cell, selector) &&
      metricAppliesTo(cell, metric),
  );
  const outcomes = cells.map((cell): GateCellOutcome => {
    // A cell cut short by a stop of the harness has no final figures: nothing to judge by.
    const observed = cell.interrupted !== undefined ? null : metric.read(cell);
    if (observed === null) return { cell: cell.id, status: 'UNKNOWN', observed };
    return { cell: cell.id, status: compare(observed, gate.op, gate.threshold) ? 'PASS' : 'FAIL', observed };
  });
  const failed = outcomes.filter((o) => o.status === 'FAIL');
  const unknown = outcomes.filter((o) => o.status === 'UNKNOWN');
  const list = (os: GateCellOutcome[]) =>
    os.map((o) => `${o.cell} (${gate.metric}=${fmt(o.observed, metric)})`).join(', ');
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
  catalog: MetricCatalog = METRICS,
): GateResult[] {
  return gates.map((g) =>
    evaluateGate(typeof g === 'string' ? parseGate(g, catalog) : g, results, selector, catalog),
  );
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

function fmt(value: number | null, metric: MetricDefinition): string {
  if (value === null) return 'no samples';
  const text = Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  return metric.unit === 'ms' ? `${text} ms` : text;
}

/** Gates judged on one cell alone (an SLO for a capacity step, the glance's scaling row). */
export function evaluateGatesOnCell(gates: readonly (Gate | string)[], cell: CellResult): GateResult[] {
  return evaluateGates(gates, {
    schemaVersion: 2,
    tool: { name: 'faultline', version: '', node: '' },
    createdAt: '',
    config: {},
    cells: [cell],
  });
}
