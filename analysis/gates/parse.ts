import { InputError } from '../../core/errors.js';
import { METRICS, type MetricCatalog } from '../metrics/catalog.js';

/**
 * Gates: k6-style threshold declarations over a cell's results, e.g.
 * `lost == 0`, `duplicates == 0`, `recovery.p95 < 30s`, `latency.p99 < 2s`.
 * An optional k6-style tag filter picks the cells a gate applies to:
 * `latency.p99{fault:none} < 2s`, `lost{adapter:temporal,scenario:rag-ingest} == 0`.
 *
 * Metric names, units and what each reads from a CellResult come from the metric
 * catalog (analysis/metrics/catalog.ts; `faultline list` prints them). Metrics in
 * ms take a unit (ms, s, m; a bare number is ms); the others take none.
 */

export type GateOp = '<' | '<=' | '>' | '>=' | '==' | '!=';
const GATE_OPS: readonly GateOp[] = ['<=', '>=', '==', '!=', '<', '>'];

/** Which cells a gate applies to; an absent field matches every cell. */
export interface CellSelector {
  scenario?: string;
  adapter?: string;
  fault?: string;
}
const SELECTOR_KEYS = ['scenario', 'adapter', 'fault'] as const;

export interface Gate {
  /** The declaration as written, for reports. */
  expression: string;
  /** A metric name of the catalog the gate was parsed against. */
  metric: string;
  op: GateOp;
  /** In the metric's unit: ms for time metrics. */
  threshold: number;
  selector: CellSelector;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
const GATE_RE =
  /^\s*([A-Za-z][\w.]*)\s*(?:\{([^}]*)\})?\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*([a-z]*)\s*$/;

/** Parses one declaration; an InputError names the expression and what is wrong with it. */
export function parseGate(expression: string, catalog: MetricCatalog = METRICS): Gate {
  const bad = (why: string) =>
    new InputError(
      `gate "${expression}": ${why}\n  form: METRIC[{scenario:NAME,adapter:NAME,fault:NAME}] OP VALUE[ms|s|m], ` +
        `OP one of ${GATE_OPS.join(' ')}\n  valid metrics: ${catalog.names.join(', ')}`,
    );
  const match = GATE_RE.exec(expression);
  if (match === null) throw bad('not a gate expression');
  const [, metric = '', tags, op = '', value = '', unit = ''] = match;
  const definition = catalog.find(metric);
  if (definition === undefined) throw bad(`unknown metric "${metric}"`);
  let threshold = Number(value);
  if (unit !== '') {
    if (definition.unit !== 'ms') throw bad(`"${metric}" is not a time metric and takes no unit ("${unit}")`);
    const factor = UNITS[unit];
    if (factor === undefined)
      throw bad(`unknown unit "${unit}"; valid units: ${Object.keys(UNITS).join(', ')}`);
    threshold *= factor;
  }
  return {
    expression: expression.trim(),
    metric,
    op: op as GateOp,
    threshold,
    selector: parseSelector(tags, bad),
  };
}

function parseSelector(tags: string | undefined, bad: (why: string) => InputError): CellSelector {
  const selector: CellSelector = {};
  if (tags === undefined || tags.trim() === '') return selector;
  for (const pair of tags.split(',')) {
    const [key = '', value = '', ...rest] = pair.split(':').map((s) => s.trim());
    if (rest.length > 0 || value === '') throw bad(`tag "${pair.trim()}" is not KEY:VALUE`);
    if (!(SELECTOR_KEYS as readonly string[]).includes(key)) {
      throw bad(`unknown tag "${key}"; valid tags: ${SELECTOR_KEYS.join(', ')}`);
    }
    selector[key as keyof CellSelector] = value;
  }
  return selector;
}

/** Parses every declaration; the first bad one throws. */
export function parseGates(expressions: readonly string[], catalog: MetricCatalog = METRICS): Gate[] {
  return expressions.map((expression) => parseGate(expression, catalog));
}

/** The gates an experiment declares in its recorded config (`thresholds`), parsed. */
export function gatesFromConfig(config: Record<string, unknown>): Gate[] {
  const thresholds = config.thresholds;
  if (thresholds === undefined) return [];
  if (!Array.isArray(thresholds) || !thresholds.every((t) => typeof t === 'string')) {
    throw new InputError('config thresholds: expected a list of gate expressions (strings)');
  }
  return parseGates(thresholds);
}
