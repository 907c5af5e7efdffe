import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gatesExitCode } from '../../analysis/gates/index.js';
import { InputError } from '../../core/errors.js';
import { readEvents } from '../../core/history/reader.js';
import { aggregateResults, collectRunRows, writeReports } from '../../reports/index.js';
import { readResults, writeResults } from '../runner/recompute.js';
import { parseFlags } from './args.js';
import { outcomeCode } from './outcome.js';
import { summaryTable } from './table.js';

export const AGGREGATE_USAGE = 'faultline aggregate RUN_DIR RUN_DIR... --out DIR';

/**
 * `faultline aggregate`: runs of the same experiment merged into one report, each run's
 * cells pooled as repeats (intervals over all of them). Writes results.json and every
 * report into --out; exit codes as `faultline report`.
 */
export async function aggregateCommand(argv: string[], log: (line: string) => void): Promise<number> {
  const { values, positionals } = parseFlags(argv, { out: { type: 'string' } }, 'aggregate');
  if (positionals.length < 2) throw new InputError(`usage: ${AGGREGATE_USAGE} (at least two run folders)`);
  if (values.out === undefined)
    throw new InputError(`--out: give the folder for the merged report (${AGGREGATE_USAGE})`);
  const outDir = values.out;
  if (positionals.includes(outDir))
    throw new InputError(`--out ${outDir} is one of the run folders it reads`);
  const sources = await Promise.all(
    positionals.map(async (dir) => {
      const history = join(dir, 'history.jsonl');
      const rows = existsSync(history) ? await collectRunRows(readEvents(history)) : [];
      return { dir, results: readResults(dir), rows };
    }),
  );
  const { results, rows } = aggregateResults(sources);
  mkdirSync(outDir, { recursive: true });
  writeResults(outDir, results);
  const written = await writeReports(outDir, results, { runs: rows });
  console.log(summaryTable(results.cells));
  log(`merged ${sources.length} runs into ${outDir}: ${Object.values(written.files).join(', ')}`);
  return outcomeCode(results, gatesExitCode(written.gates));
}
