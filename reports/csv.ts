import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';
import { recoveryStat } from '../analysis/gates/evaluate.js';
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

const SUMMARY: Column<CellResult>[] = [
  ['cell', (c) => c.id],
  ['scenario', (c) => c.scenario],
  ['adapter', (c) => c.adapter],
  ['fault', (c) => c.fault],
  ['verdict', (c) => c.verdict],
  ['runsSubmitted', (c) => c.runs.submitted],
  ['runsCompleted', (c) => c.runs.completed],
  ['runsFailed', (c) => c.runs.failed],
  ['runsLost', (c) => c.runs.lost],
  ['runsWarmup', (c) => c.runs.warmup],
  ['stepsCompleted', (c) => c.steps.completed],
  ['effectsApplied', (c) => c.effects.applied],
  ['effectsDuplicates', (c) => c.effects.duplicates],
  ['effectsDeduplicated', (c) => c.effects.deduplicated],
  ['effectsCompensated', (c) => c.effects.compensated],
  ['attempts', (c) => c.attempts.total],
  ['duplicateAttempts', (c) => c.attempts.duplicates],
  ['retryAmplification', (c) => c.attempts.retryAmplification],
  ['redoneWorkMs', (c) => c.redoneWorkMs ?? null],
  ['latencyCount', (c) => c.latencyMs.count],
  ['latencyP50Ms', (c) => c.latencyMs.p50],
  ['latencyP90Ms', (c) => c.latencyMs.p90],
  ['latencyP95Ms', (c) => c.latencyMs.p95],
  ['latencyP99Ms', (c) => c.latencyMs.p99],
  ['latencyMaxMs', (c) => c.latencyMs.max],
  ['latencyMeanMs', (c) => c.latencyMs.mean],
  ['throughputPerSec', (c) => c.throughputPerSec],
  ['faultOccurrences', (c) => c.faults.length],
  ['recoveryFirstProgressP50Ms', (c) => recoveryStat(c, 'timeToFirstProgressMs', 'p50')],
  ['recoveryFirstProgressP95Ms', (c) => recoveryStat(c, 'timeToFirstProgressMs', 'p95')],
  ['recoveryFirstProgressMaxMs', (c) => recoveryStat(c, 'timeToFirstProgressMs', 'max')],
  ['recoveryThroughputP95Ms', (c) => recoveryStat(c, 'timeToThroughputRecoveryMs', 'p95')],
  ['recoveryThroughputMaxMs', (c) => recoveryStat(c, 'timeToThroughputRecoveryMs', 'max')],
  ['affectedRuns', (c) => c.faults.reduce((sum, f) => sum + f.affectedRuns, 0)],
  ['affectedRunsMaxDelayMs', (c) => maxOrNull(c.faults.map((f) => f.affectedRunsMaxDelayMs))],
  ['governedBy', (c) => governedBy(c).join('; ')],
  ['anomalies', (c) => JSON.stringify(c.anomalyCounts)],
  ['knobs', (c) => JSON.stringify(c.knobs)],
  ['interrupted', (c) => (c.interrupted ? (c.interrupted.signal ?? 'killed') : null)],
  ['runsInterrupted', (c) => c.runs.interrupted],
];
export const SUMMARY_COLUMNS = SUMMARY.map(([name]) => name);

/** summary.csv: a row per cell with its key numbers, recovery figures included. */
export function summaryCsv(results: Results): string {
  return table(SUMMARY, results.cells);
}

type Occurrence = { cell: CellResult; fault: FaultOccurrenceResult };
const FAULTS: Column<Occurrence>[] = [
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
  ['timeToFirstProgressMs', (o) => o.fault.timeToFirstProgressMs],
  ['timeToThroughputRecoveryMs', (o) => o.fault.timeToThroughputRecoveryMs],
  ['affectedRuns', (o) => o.fault.affectedRuns],
  ['affectedRunsMaxDelayMs', (o) => o.fault.affectedRunsMaxDelayMs],
  ['governedBy', (o) => (o.fault.governedBy ? governedByText(o.fault.governedBy) : undefined)],
  ['params', (o) => (o.fault.params === undefined ? '' : JSON.stringify(o.fault.params))],
];
export const FAULT_COLUMNS = FAULTS.map(([name]) => name);

/** faults.csv: a row per fault occurrence (startMs/endMs relative to the cell's first submit). */
export function faultsCsv(results: Results): string {
  return table(
    FAULTS,
    results.cells.flatMap((cell) => cell.faults.map((fault) => ({ cell, fault }))),
  );
}

function maxOrNull(values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : Math.max(...present);
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
  /** doneAt − intendedAt (DESIGN.md's latency), for runs with both. */
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
    if (row.doneAt !== null && row.intendedAt !== null) {
      row.latencyMs = Math.round((row.doneAt - row.intendedAt) * 1000) / 1000;
    }
  }
  return [...runs.values()];
}

export function runsCsv(rows: readonly RunRow[]): string {
  return toCsv(RUN_COLUMNS, rows as unknown as Row[]);
}

/** Streams history.jsonl into runs.csv; returns the number of runs written. */
export async function writeRunsCsv(historyPath: string, outPath: string): Promise<number> {
  const rows = await collectRunRows(readEvents(historyPath));
  const csv = stringify({ header: true, columns: [...RUN_COLUMNS], cast: CAST });
  const writing = pipeline(csv, createWriteStream(outPath));
  for (const row of rows) {
    if (!csv.write(row)) await new Promise((resolve) => csv.once('drain', resolve));
  }
  csv.end();
  await writing;
  return rows.length;
}
