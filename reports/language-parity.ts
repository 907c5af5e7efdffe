import { FAILING_KINDS } from '../analysis/checker/verdict.js';
import type { AnomalyKind, CellResult, Results } from '../core/results.js';
import type { AdapterLineage } from '../core/topology.js';
import { DASH, fmtMs, fmtNum, groupCells } from './format.js';

/**
 * The language-parity section: where one scenario × fault ran on adapters of the same
 * orchestrator family written in different languages (Temporal's TypeScript and Python
 * SDKs), are they the same system? Their verdicts and harm counts should agree; their
 * latency, throughput and CPU say what the language costs. Pairs come from what the
 * adapters declare (`lineage` in config.json), never from their names. Pure functions of
 * the results; the Markdown and HTML writers render the same rows and sentences.
 */

export interface ParityCell {
  cell: CellResult;
  language: string;
}

export interface ParityGroup {
  scenario: string;
  fault: string;
  family: string;
  /** The family's cells in results order; the first is the one the others are compared with. */
  cells: ParityCell[];
}

/** Each adapter's declared lineage, as config.json records it. */
function lineages(results: Results): Map<string, AdapterLineage> {
  const adapters = (results.config.adapters ?? []) as { name?: unknown; topology?: { lineage?: unknown } }[];
  const out = new Map<string, AdapterLineage>();
  for (const adapter of adapters) {
    const lineage = adapter.topology?.lineage as Partial<AdapterLineage> | undefined;
    if (
      typeof adapter.name === 'string' &&
      typeof lineage?.family === 'string' &&
      typeof lineage.language === 'string'
    )
      out.set(adapter.name, { family: lineage.family, language: lineage.language });
  }
  return out;
}

/** Scenario × fault groups holding cells of one family in at least two languages. */
export function parityGroups(results: Results): ParityGroup[] {
  const declared = lineages(results);
  const groups: ParityGroup[] = [];
  for (const group of groupCells(results)) {
    const families = new Map<string, ParityCell[]>();
    for (const cell of group.cells) {
      const lineage = declared.get(cell.adapter);
      if (!lineage) continue;
      const members = families.get(lineage.family) ?? [];
      members.push({ cell, language: lineage.language });
      families.set(lineage.family, members);
    }
    for (const [family, cells] of families) {
      if (new Set(cells.map((c) => c.language)).size < 2) continue;
      groups.push({ scenario: group.scenario, fault: group.fault, family, cells });
    }
  }
  return groups;
}

/** Serving CPU (start-up excluded) of the cell's workers per submitted run, in ms; null without readings. */
export function workerCpuPerRunMs(cell: CellResult): number | null {
  const usage = cell.workerUsage;
  if (!usage || cell.runs.submitted === 0) return null;
  return (usage.cpuMs - usage.startupCpuMs) / cell.runs.submitted;
}

/** Rows of the parity table: a label and how a cell fills it. */
export const PARITY_ROWS: [string, (c: ParityCell) => string][] = [
  ['language', (c) => c.language],
  ['verdict', (c) => c.cell.verdict.toUpperCase()],
  ['lost runs', (c) => String(c.cell.runs.lost)],
  ['duplicate effects', (c) => String(c.cell.effects.duplicates)],
  ['other harm (ordering, outcome, compensation)', (c) => String(otherHarm(c.cell))],
  ['retry amplification', (c) => fmtNum(c.cell.attempts.retryAmplification)],
  ['latency p50 / p99', (c) => `${fmtMs(c.cell.latencyMs.p50)} / ${fmtMs(c.cell.latencyMs.p99)}`],
  ['throughput (runs/s)', (c) => fmtNum(c.cell.throughputPerSec)],
  ['worker CPU per run (start-up excluded)', (c) => fmtMs(workerCpuPerRunMs(c.cell))],
  [
    'worker CPU at start-up (all processes)',
    (c) => (c.cell.workerUsage ? fmtMs(c.cell.workerUsage.startupCpuMs) : DASH),
  ],
];

function otherHarm(cell: CellResult): number {
  return (['ordering', 'unexpected-outcome', 'compensation'] as const).reduce(
    (sum, kind) => sum + (cell.anomalyCounts[kind] ?? 0),
    0,
  );
}

/** The harm counts that differ between two cells, by anomaly kind. */
function harmDifferences(a: CellResult, b: CellResult): { kind: AnomalyKind; a: number; b: number }[] {
  return FAILING_KINDS.map((kind) => ({
    kind,
    a: a.anomalyCounts[kind] ?? 0,
    b: b.anomalyCounts[kind] ?? 0,
  })).filter((d) => d.a !== d.b);
}

/** "1.4×" — how many times `reference` the value is; null when either is missing or the reference is 0. */
function ratio(value: number | null, reference: number | null): string | null {
  if (value === null || reference === null || reference === 0) return null;
  return `${fmtNum(value / reference)}×`;
}

/**
 * Plain sentences comparing each cell of the group with the first: whether verdicts and
 * harm counts agree (the orchestrator's guarantees should not depend on the language),
 * then how latency, throughput and worker CPU compare (what the language costs).
 */
export function paritySentences(group: ParityGroup): string[] {
  const [first, ...others] = group.cells;
  if (!first) return [];
  const ref = first.cell;
  return others.map(({ cell, language }) => {
    const who = `${cell.adapter} (${language}) against ${ref.adapter} (${first.language})`;
    const verdict =
      cell.verdict === ref.verdict
        ? `verdicts agree (${ref.verdict.toUpperCase()})`
        : `verdicts differ (${cell.verdict.toUpperCase()} against ${ref.verdict.toUpperCase()})`;
    const diffs = harmDifferences(cell, ref);
    const harm =
      diffs.length === 0
        ? 'harm counts agree (lost runs, duplicate effects and the other failing anomalies)'
        : `harm counts differ: ${diffs.map((d) => `${d.kind} ${d.a} against ${d.b}`).join(', ')}`;
    const costs = [
      compare('latency p50', cell.latencyMs.p50, ref.latencyMs.p50, fmtMs),
      compare('latency p99', cell.latencyMs.p99, ref.latencyMs.p99, fmtMs),
      compare('throughput', cell.throughputPerSec, ref.throughputPerSec, (v) => `${fmtNum(v)} runs/s`),
      compare('worker CPU per run', workerCpuPerRunMs(cell), workerCpuPerRunMs(ref), fmtMs),
    ].filter((s): s is string => s !== null);
    const cost = costs.length > 0 ? ` ${capitalize(costs.join('; '))}.` : '';
    return `${capitalize(who)}: ${verdict}; ${harm}.${cost}`;
  });
}

function compare(
  label: string,
  value: number | null,
  reference: number | null,
  fmt: (v: number) => string,
): string | null {
  const times = ratio(value, reference);
  if (times === null || value === null || reference === null) return null;
  return `${label} ${times} (${fmt(value)} against ${fmt(reference)})`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
