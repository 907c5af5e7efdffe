import { InputError } from '../../core/errors.js';

/**
 * Gates: k6-style threshold declarations over a cell's results, e.g.
 * `lost == 0`, `duplicates == 0`, `recovery.p95 < 30s`, `latency.p99 < 2s`.
 * An optional k6-style tag filter picks the cells a gate applies to:
 * `latency.p99{fault:none} < 2s`, `lost{adapter:temporal,scenario:rag-ingest} == 0`.
 *
 * Metric names (what each reads from a CellResult; see evaluate.ts):
 * - lost                runs.lost
 * - failed              runs.failed
 * - duplicates          effects.duplicates (effects applied more than once: the harm)
 * - deduplicated        effects.deduplicated (second applications an idempotency key blocked)
 * - compensated         effects.compensated
 * - duplicateAttempts   attempts.duplicates
 * - retryAmplification  attempts.retryAmplification
 * - anomalies           sum of the anomaly counts of the kinds that fail a verdict
 * - throughput          throughputPerSec (completed runs/s, steady state)
 * - latency.{p50,p90,p95,p99,max,mean}   latencyMs.* (intended submit → completion)
 * - recovery.{p50,p90,p95,p99,max}       over the cell's fault occurrences'
 *   timeToFirstProgressMs (fault end or kill → first completed step of an affected run)
 * - throughputRecovery.{p50,p90,p95,p99,max}   over timeToThroughputRecoveryMs
 *   (fault end → windowed throughput back to 90% of the pre-fault rate)
 * Time metrics take a unit (ms, s, m; a bare number is ms); the others take none.
 */

export type GateOp = '<' | '<=' | '>' | '>=' | '==' | '!=';
export const GATE_OPS: readonly GateOp[] = ['<=', '>=', '==', '!=', '<', '>'];

const COUNT_METRICS = [
  'lost',
  'failed',
  'duplicates',
  'deduplicated',
  'compensated',
  'duplicateAttempts',
  'anomalies',
] as const;
const RATIO_METRICS = ['retryAmplification', 'throughput'] as const;
const LATENCY_STATS = ['p50', 'p90', 'p95', 'p99', 'max', 'mean'] as const;
export const RECOVERY_STATS = ['p50', 'p90', 'p95', 'p99', 'max'] as const;
export type RecoveryStat = (typeof RECOVERY_STATS)[number];

export const TIME_METRICS: readonly string[] = [
  ...LATENCY_STATS.map((s) => `latency.${s}`),
  ...RECOVERY_STATS.map((s) => `recovery.${s}`),
  ...RECOVERY_STATS.map((s) => `throughputRecovery.${s}`),
];
export const GATE_METRICS: readonly string[] = [...COUNT_METRICS, ...RATIO_METRICS, ...TIME_METRICS];

export type GateMetric =
  | (typeof COUNT_METRICS)[number]
  | (typeof RATIO_METRICS)[number]
  | `latency.${(typeof LATENCY_STATS)[number]}`
  | `recovery.${RecoveryStat}`
  | `throughputRecovery.${RecoveryStat}`;

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
  metric: GateMetric;
  op: GateOp;
  /** In the metric's base unit: ms for time metrics. */
  threshold: number;
  selector: CellSelector;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
const GATE_RE =
  /^\s*([A-Za-z][\w.]*)\s*(?:\{([^}]*)\})?\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*([a-z]*)\s*$/;

export function isTimeMetric(metric: string): boolean {
  return TIME_METRICS.includes(metric);
}

/** Parses one declaration; an InputError names the expression and what is wrong with it. */
export function parseGate(expression: string): Gate {
  const bad = (why: string) =>
    new InputError(
      `gate "${expression}": ${why}\n  form: METRIC[{scenario:NAME,adapter:NAME,fault:NAME}] OP VALUE[ms|s|m], ` +
        `OP one of ${GATE_OPS.join(' ')}\n  valid metrics: ${GATE_METRICS.join(', ')}`,
    );
  const match = GATE_RE.exec(expression);
  if (match === null) throw bad('not a gate expression');
  const [, metric = '', tags, op = '', value = '', unit = ''] = match;
  if (!GATE_METRICS.includes(metric)) throw bad(`unknown metric "${metric}"`);
  let threshold = Number(value);
  if (unit !== '') {
    if (!isTimeMetric(metric)) throw bad(`"${metric}" is not a time metric and takes no unit ("${unit}")`);
    const factor = UNITS[unit];
    if (factor === undefined)
      throw bad(`unknown unit "${unit}"; valid units: ${Object.keys(UNITS).join(', ')}`);
    threshold *= factor;
  }
  return {
    expression: expression.trim(),
    metric: metric as GateMetric,
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
export function parseGates(expressions: readonly string[]): Gate[] {
  return expressions.map(parseGate);
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
