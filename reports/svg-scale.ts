/**
 * Axis scales for the run-level charts: linear with round ticks, or log10 with ticks
 * at powers of ten (and 2, 5 between them when the range spans few decades). A scale
 * maps a value to a fraction of the axis (0 = start, 1 = end); charts turn that into pixels.
 */

export interface Scale {
  kind: 'linear' | 'log';
  lo: number;
  hi: number;
  ticks: number[];
  /** The value's position along the axis, 0..1 (clamped: a value outside is drawn at the edge). */
  at(value: number): number;
}

/**
 * Latencies whose largest is at least this many times the smallest get a log axis:
 * a stall of seconds next to runs of milliseconds would flatten them to a line.
 */
export const LOG_SPREAD = 20;

/** A step of 1, 2, 2.5 or 5 × 10^k, about (hi − lo) / count. */
function niceStep(span: number, count: number): number {
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= raw) ?? 10;
  return step * magnitude;
}

/** Removes binary noise from a tick (0.30000000000000004 → 0.3). */
function clean(value: number): number {
  return Number(value.toPrecision(12));
}

/**
 * A linear scale over [lo, hi] extended to round ticks. `lo` is usually 0; a
 * negative lo smaller than 1% of the span is treated as 0, so a run intended a
 * millisecond before the first submit does not push the axis to a round negative number.
 */
export function linearScale(lo: number, hi: number, count = 5): Scale {
  const top = Math.max(hi, lo);
  let bottom = Math.min(lo, top);
  if (bottom < 0 && -bottom < 0.01 * (top - bottom)) bottom = 0;
  if (!(top > bottom)) return linearScale(bottom, bottom + 1, count);
  const step = niceStep(top - bottom, count);
  const start = clean(Math.floor(bottom / step) * step);
  const end = clean(Math.ceil(top / step) * step);
  const ticks: number[] = [];
  for (let i = 0; start + i * step <= end + step / 1e6; i++) ticks.push(clean(start + i * step));
  return {
    kind: 'linear',
    lo: start,
    hi: end,
    ticks,
    at: (v) => Math.max(0, Math.min(1, (v - start) / (end - start))),
  };
}

/** A log10 scale from the power of ten at or below `min` to the one at or above `max` (both > 0). */
export function logScale(min: number, max: number): Scale {
  const loExp = Math.floor(Math.log10(min));
  const hiExp = Math.max(loExp + 1, Math.ceil(Math.log10(max)));
  const decades = hiExp - loExp;
  const ticks: number[] = [];
  for (let e = loExp; e <= hiExp; e++) {
    ticks.push(clean(10 ** e));
    if (decades <= 2 && e < hiExp) ticks.push(clean(2 * 10 ** e), clean(5 * 10 ** e));
  }
  const lo = 10 ** loExp;
  const hi = 10 ** hiExp;
  return {
    kind: 'log',
    lo,
    hi,
    ticks,
    at: (v) => (v <= lo ? 0 : Math.min(1, (Math.log10(v) - loExp) / decades)),
  };
}

/**
 * The latency axis for these values: log when they spread over LOG_SPREAD× or more
 * (smallest positive to largest), else linear from 0. Non-positive values (a clock
 * skew between processes) sit at a log axis's floor.
 */
export function latencyScale(values: readonly number[]): Scale {
  let minPositive = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const v of values) {
    if (v > 0) minPositive = Math.min(minPositive, v);
    max = Math.max(max, v);
  }
  if (Number.isFinite(minPositive) && max / minPositive >= LOG_SPREAD) return logScale(minPositive, max);
  return linearScale(0, max > 0 ? max : 1);
}

/** The axis label's unit, saying which scale it is. */
export function scaleUnit(unit: string, scale: Scale): string {
  return scale.kind === 'log' ? `${unit}, log scale` : unit;
}
