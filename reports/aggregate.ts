import { groupKey } from '../analysis/pool.js';
import { InputError } from '../core/errors.js';
import type { Results } from '../core/results.js';
import type { RunRow } from './csv.js';

/**
 * `faultline aggregate`: several runs of the same experiment (other seeds, other days) as
 * one, each run's cells becoming repeats of the same scenario × adapter × fault, so the
 * reports pool them with intervals exactly as for `--repeat` (chaostoolkit-reporting#16).
 * Pure: from results.json files (and their run rows for the charts).
 */
export interface AggregateSource {
  /** Where it came from, for messages and the record. */
  dir: string;
  results: Results;
  rows: readonly RunRow[];
}

/** What must agree for two runs to be the same experiment (seeds may differ). */
const SAME = ['scenarios', 'faults', 'adapters'] as const;

export function aggregateResults(sources: readonly AggregateSource[]): { results: Results; rows: RunRow[] } {
  const [first] = sources;
  if (!first || sources.length < 2)
    throw new InputError('faultline aggregate needs at least two run folders');
  for (const source of sources.slice(1)) {
    for (const key of SAME) {
      const a = JSON.stringify(pick(first.results.config[key], key));
      const b = JSON.stringify(pick(source.results.config[key], key));
      if (a !== b)
        throw new InputError(
          `${source.dir} is not a run of the same experiment as ${first.dir}: config.${key} differs (${b} vs ${a})`,
        );
    }
  }
  const repeats = new Map<string, number>();
  const cells: Results['cells'] = [];
  const rows: RunRow[] = [];
  for (const source of sources) {
    const renamed = new Map<string, string>();
    for (const cell of source.results.cells) {
      const key = groupKey(cell);
      const repeat = (repeats.get(key) ?? 0) + 1;
      repeats.set(key, repeat);
      const id = `${key}@${repeat}`;
      renamed.set(cell.id, id);
      cells.push({ ...cell, id, repeat });
    }
    for (const row of source.rows) {
      const id = renamed.get(row.cell);
      if (id !== undefined) rows.push({ ...row, cell: id });
    }
  }
  const createdAt = sources
    .map((s) => s.results.createdAt)
    .sort()
    .at(-1)!;
  return {
    results: {
      ...first.results,
      createdAt,
      config: {
        ...first.results.config,
        repeat: Math.max(...repeats.values()),
        aggregatedFrom: sources.map((s) => ({
          dir: s.dir,
          seed: s.results.config.seed,
          createdAt: s.results.createdAt,
        })),
      },
      cells,
    },
    rows,
  };
}

/** Adapters agree on their names and knobs (their recorded topology may name machine paths). */
function pick(value: unknown, key: (typeof SAME)[number]): unknown {
  if (key !== 'adapters' || !Array.isArray(value)) return value;
  return value.map((a: { name?: unknown; knobs?: unknown }) => ({ name: a.name, knobs: a.knobs }));
}
