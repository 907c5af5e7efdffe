import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';
import { METRICS, type MetricCatalog } from '../analysis/metrics/catalog.js';
import type { OccurrenceField } from '../analysis/metrics/occurrence-stats.js';
import type { HistoryEvent } from '../core/history/events.js';
import { readEvents } from '../core/history/reader.js';
import type { CellResult, FaultOccurrenceResult, Results } from '../core/results.js';
import { governedByText } from '../core/topology.js';
import { governedBy } from './format.js';

/**
 * CSVs for spreadsheets and notebooks: summary.csv (a row per cell), faults.csv
 * (a row per fault occurrence) from results; runs.csv (a row per run) streamed
 * from history.jsonl. Empty field = no value; times are epoch ms, durations ms.
 */

type Row = Record<string, string | number | boolean | null | undefined>;

const CAST = { boolean: (value: boolean) => (value ? 'true' : 'false') };

function toCsv(columns: readonly string[], rows: Row[]): string {
  return stringifySync(rows, { header: true, columns: [...columns], cast: CAST });
}

type Value = Row[string];
type Column<T> = [name: string, value: (item: T) => Value];

function table<T>(columns: Column<T>[], items: T[]): string {
  const rows = items.map((item) => Object.fromEntries(columns.map(([name, value]) => [name, value(item)])));
  return toCsv(
    columns.map(([name]) => name),
    rows,
  );
}

/**
 * summary.csv: who the cell is, then every catalog metric with a CSV column (in
 * catalog order, read through the catalog), then what needs more than a number.
 */
function summaryColumns(catalog: MetricCatalog): Column<CellResult>[] {
  const columns: Column<CellResult>[] = [
    ['cell', (c) => c.id],
    ['scenario', (c) => c.scenario],
    ['adapter', (c) => c.adapter],
    ['fault', (c) => c.fault],
    ['verdict', (c) => c.verdict],
    ...catalog.metrics.flatMap((m): Column<CellResult>[] => (m.csv === null ? [] : [[m.csv, m.read]])),
    ['governedBy', (c) => governedBy(c).join('; ')],
    // Every anomaly kind's count; the `anomalies` metric is the sum of the verdict-failing ones.
    ['anomalies', (c) => JSON.stringify(c.anomalyCounts)],
    ['knobs', (c) => JSON.stringify(c.knobs)],
    // Cells cut short by a stop of the harness, and the runs still in flight then.
    ['interrupted', (c) => (c.interrupted ? (c.interrupted.signal ?? 'killed') : null)],
    ['runsInterrupted', (c) => c.runs.interrupted],
  ];
  const names = columns.map(([name]) => name);
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated !== undefined)
    throw new Error(`summary.csv: column "${repeated}" twice (a metric's csv name)`);
  return columns;
}
export const SUMMARY_COLUMNS = summaryColumns(METRICS).map(([name]) => name);

/** summary.csv: a row per cell with its key numbers, recovery figures included. */
export function summaryCsv(results: Results, catalog: MetricCatalog = METRICS): string {
  return table(summaryColumns(catalog), results.cells);
}

type Occurrence = { cell: CellResult; fault: FaultOccurrenceResult };
/**
 * faults.csv: who the occurrence is, what and when, then the occurrence fields the
 * catalog's metrics are stats over (in catalog order), then governing knobs and params.
 */
function faultColumns(catalog: MetricCatalog): Column<Occurrence>[] {
  const fields = [...new Set(catalog.metrics.flatMap((m) => (m.occurrenceField ? [m.occurrenceField] : [])))];
  return [
    ['cell', (o) => o.cell.id],
    ['scenario', (o) => o.cell.scenario],
    ['adapter', (o) => o.cell.adapter],
    ['fault', (o) => o.cell.fault],
    ['faultId', (o) => o.fault.id],
    ['kind', (o) => o.fault.kind],
    ['target', (o) => o.fault.target],
    ['startMs', (o) => o.fault.startMs],
    ['endMs', (o) => o.fault.endMs],
    ['durationMs', (o) => Math.round((o.fault.endMs - o.fault.startMs) * 1000) / 1000],
    ...fields.map((field: OccurrenceField): Column<Occurrence> => [field, (o) => o.fault[field]]),
    ['governedBy', (o) => (o.fault.governedBy ? governedByText(o.fault.governedBy) : undefined)],
    ['params', (o) => (o.fault.params === undefined ? '' : JSON.stringify(o.fault.params))],
  ];
}
export const FAULT_COLUMNS = faultColumns(METRICS).map(([name]) => name);

/** faults.csv: a row per fault occurrence (startMs/endMs relative to the cell's first submit). */
export function faultsCsv(results: Results, catalog: MetricCatalog = METRICS): string {
  return table(
    faultColumns(catalog),
    results.cells.flatMap((cell) => cell.faults.map((fault) => ({ cell, fault }))),
  );
}

export const RUN_COLUMNS = [
  'runId',
  'cell',
  'warmup',
  'intendedAt',
  'submittedAt',
  'doneAt',
  'status',
  'latencyMs',
  'attempts',
  'effectsApplied',
] as const;

export interface RunRow {
  runId: string;
  cell: string;
  warmup: boolean;
  intendedAt: number | null;
  submittedAt: number | null;
  doneAt: number | null;
  /** The first run-done's status, or `unfinished` when the history has none (the checker calls that lost). */
  status: 'completed' | 'failed' | 'unfinished';
  /**
   * doneAt − intendedAt (DESIGN.md's latency), for non-warm-up runs with both: warm-up
   * runs are no latency sample (as in results.json), though they keep their other fields.
   */
  latencyMs: number | null;
  attempts: number;
  /** Applied effects (not blocked by an idempotency key), duplicates included. */
  effectsApplied: number;
}

/**
 * Folds a history into one row per run, in the order runs first appear. Holds one
 * small record per run (never the events): late events of a run (a zombie worker's
 * duplicate after run-done) still count.
 */
export async function collectRunRows(
  events: AsyncIterable<HistoryEvent> | Iterable<HistoryEvent>,
): Promise<RunRow[]> {
  const runs = new Map<string, RunRow>();
  // Every cell runs the same arrival schedule, so run ids repeat across cells: key by both.
  const rowOf = (runId: string, cell: string): RunRow => {
    const key = `${cell}\u0000${runId}`;
    let row = runs.get(key);
    if (row === undefined) {
      row = {
        runId,
        cell,
        warmup: false,
        intendedAt: null,
        submittedAt: null,
        doneAt: null,
        status: 'unfinished',
        latencyMs: null,
        attempts: 0,
        effectsApplied: 0,
      };
      runs.set(key, row);
    }
    return row;
  };
  for await (const event of events) {
    if (!('runId' in event)) continue;
    const row = rowOf(event.runId, event.cell);
    if (event.type === 'submit' && row.submittedAt === null) {
      row.submittedAt = event.t;
      row.intendedAt = event.intendedAt;
      row.warmup = event.warmup === true;
    } else if (event.type === 'run-done' && row.doneAt === null) {
      row.doneAt = event.t;
      row.status = event.status;
    } else if (event.type === 'attempt') {
      row.attempts++;
    } else if (event.type === 'effect' && !event.deduplicated) {
      row.effectsApplied++;
    }
  }
  for (const row of runs.values()) {
    if (!row.warmup && row.doneAt !== null && row.intendedAt !== null) {
      row.latencyMs = Math.round((row.doneAt - row.intendedAt) * 1000) / 1000;
    }
  }
  return [...runs.values()];
}

/** Streams history.jsonl into runs.csv; returns the number of runs written. */
export async function writeRunsCsv(historyPath: string, outPath: string): Promise<number> {
  return writeRunRowsCsv(await collectRunRows(readEvents(historyPath)), outPath);
}

/** Streams run rows (collectRunRows) into runs.csv; returns the number of runs written. */
export async function writeRunRowsCsv(rows: readonly RunRow[], outPath: string): Promise<number> {
  const csv = stringify({ header: true, columns: [...RUN_COLUMNS], cast: CAST });
  const writing = pipeline(csv, createWriteStream(outPath));
  for (const row of rows) {
    if (!csv.write(row)) await new Promise((resolve) => csv.once('drain', resolve));
  }
  csv.end();
  await writing;
  return rows.length;
}
