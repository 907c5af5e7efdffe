import type { MetricDefinition, MetricUnit } from '../analysis/metrics/catalog.js';
import { poolRepeats } from '../analysis/pool.js';
import type { CellResult, Results } from '../core/results.js';
import { governedByText } from '../core/topology.js';

/** Shared formatting for the writers: numbers as people read them, cells grouped for side-by-side tables. */

export const DASH = '–';

/** 944 ms, 1.05 s, 2.5 min; a dash when there is no value. */
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return DASH;
  if (Math.abs(ms) < 1000) return `${round(ms)} ms`;
  if (Math.abs(ms) < 120_000) return `${round(ms / 1000)} s`;
  return `${round(ms / 60_000)} min`;
}

/** Three significant digits at most, integers as they are. */
export function fmtNum(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return String(round(value));
}

/** A metric value as its unit reads: times as fmtMs, counts, ratios and rates as fmtNum. */
export function fmtMetric(unit: MetricUnit, value: number | null | undefined): string {
  return unit === 'ms' ? fmtMs(value) : fmtNum(value);
}

/** A catalog metric's value in a cell, formatted by its unit; a dash without samples. */
export function metricText(metric: MetricDefinition, cell: CellResult): string {
  return fmtMetric(metric.unit, metric.read(cell));
}

/**
 * A column heading for a metric: its gate name, with its unit where the formatted
 * value does not carry one (times do; counts and ratios have none), e.g. `throughput (runs/s)`.
 */
export function metricHeading(metric: MetricDefinition): string {
  return metric.unit === 'ms' || metric.unit === 'count' || metric.unit === 'ratio'
    ? metric.name
    : `${metric.name} (${metric.unit})`;
}

function round(value: number): number {
  return Number.isInteger(value) ? value : Number(value.toPrecision(3));
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** A knob value as text: strings as they are, everything else as JSON. */
export function knobText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

/** Unique values in first-seen order. */
export function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

export interface CellGroup {
  scenario: string;
  fault: string;
  /** One cell per adapter, in the order adapters first appear. */
  cells: CellResult[];
}

/** Scenario × fault groups, each with its adapters side by side, in results order. */
export function groupCells(results: Results): CellGroup[] {
  const groups: CellGroup[] = [];
  // Repeats of a cell (`--repeat`, `faultline aggregate`) are shown pooled: one column per adapter.
  for (const cell of poolRepeats(results.cells)) {
    let group = groups.find((g) => g.scenario === cell.scenario && g.fault === cell.fault);
    if (group === undefined) {
      group = { scenario: cell.scenario, fault: cell.fault, cells: [] };
      groups.push(group);
    }
    group.cells.push(cell);
  }
  return groups;
}

export function adaptersOf(results: Results): string[] {
  return unique(results.cells.map((c) => c.adapter));
}

export interface KnobSet {
  adapter: string;
  knobs: Record<string, unknown>;
  /** The first cell that used this set; named in headings when an adapter ran with several sets. */
  cell: string;
  /** True for an adapter's second and later distinct sets. */
  variant: boolean;
}

/** Each adapter's distinct knob sets, in results order. */
export function knobSets(results: Results): KnobSet[] {
  const sets: KnobSet[] = [];
  for (const cell of results.cells) {
    const same = sets.filter((s) => s.adapter === cell.adapter);
    if (same.some((s) => JSON.stringify(s.knobs) === JSON.stringify(cell.knobs))) continue;
    sets.push({ adapter: cell.adapter, knobs: cell.knobs, cell: cell.id, variant: same.length > 0 });
  }
  return sets;
}

/** The knobs that governed recovery in a cell, e.g. ["lockDuration=30000"]. */
export function governedBy(cell: CellResult): string[] {
  return unique(cell.faults.flatMap((f) => (f.governedBy ? [governedByText(f.governedBy)] : [])));
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * Markdown table cell text: no line breaks, and the characters Markdown would read as
 * markup or HTML backslash-escaped (CommonMark), so `<script>` shows as text in any
 * renderer and a plain-text reader sees no HTML entities.
 */
export function mdCell(text: string): string {
  return text.replace(/[\\`*_[\]<>|#!~]/g, (ch) => `\\${ch}`).replace(/\r?\n/g, ' ');
}

/** GitHub's anchor for a Markdown heading: lower case, punctuation but `-` and `_` dropped, spaces as `-`. */
export function mdSlug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/**
 * Inline code: shown literally by every CommonMark renderer (so `<script>` stays
 * text); backticks become quotes, pipes are escaped for tables.
 */
export function mdCode(text: string): string {
  return `\`${text.replaceAll('`', "'").replaceAll('|', '\\|').replace(/\r?\n/g, ' ')}\``;
}

/** A Markdown table from a header row and body rows (cells already escaped). */
export function mdTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A config value as a short string, for report headers. */
export function configText(config: Record<string, unknown>, key: string): string {
  const value = config[key];
  return value === undefined ? DASH : knobText(value);
}

/** A cell's verdict as reports print it: an interrupted cell says why it is UNKNOWN. */
export function verdictText(cell: CellResult): string {
  return cell.interrupted ? `${cell.verdict.toUpperCase()} (interrupted)` : cell.verdict.toUpperCase();
}

/** One sentence for the top of every report of a run that was cut short; null for a whole run. */
export function interruptionText(results: Results): string | null {
  const cut = results.cells.filter((cell) => cell.interrupted !== undefined);
  if (cut.length === 0) return null;
  const signal = cut[0]!.interrupted!.signal;
  const how = signal === null ? 'killed (no signal recorded, e.g. SIGKILL)' : `stopped by ${signal}`;
  const inFlight = cut.reduce((sum, cell) => sum + cell.runs.interrupted, 0);
  return (
    `This run was interrupted: the harness was ${how} before ${cut.length === 1 ? 'cell' : 'cells'} ` +
    `${cut.map((cell) => cell.id).join(', ')} ended. ${inFlight} run(s) still in flight then are counted as ` +
    'interrupted, neither lost nor completed, and those cells are UNKNOWN unless an anomaly already failed them.'
  );
}
