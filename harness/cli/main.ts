import { join } from 'node:path';
import { benchTable, overheadBench } from '../bench/overhead.js';
import { InfrastructureError, InputError } from '../config/errors.js';
import { installCleanupHandlers } from '../processes.js';
import { TOOL_VERSION } from '../version.js';
import { number, parseFlags } from './args.js';
import { listCommand } from './list.js';
import { RUN_USAGE, runCommand } from './run.js';
import { summaryTable } from './table.js';

/** Exit codes (DESIGN.md): 0 ok, 1 gates or verdict failed, 2 bad input, 3 infrastructure. */
export const EXIT = { ok: 0, failed: 1, input: 2, infrastructure: 3 } as const;

const USAGE = `faultline ${TOOL_VERSION} — chaos benchmarks for orchestration strategies

usage:
  ${RUN_USAGE.split('\n').join('\n  ')}
  faultline list                  scenarios, adapters and faults
  faultline bench [--runs N] [--concurrency C]   harness overhead vs bare BullMQ (no-op jobs)
  faultline --version`;

const log = (line: string) => console.error(line);

export async function main(argv: string[]): Promise<number> {
  installCleanupHandlers();
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run': {
        const { results, outDir } = await runCommand(rest, log);
        console.log(summaryTable(results.cells));
        console.log(`\nresults: ${outDir}/results.json`);
        return results.cells.some((c) => c.verdict === 'fail') ? EXIT.failed : EXIT.ok;
      }
      case 'bench': {
        const { values } = parseFlags(
          rest,
          { runs: { type: 'string' }, concurrency: { type: 'string' }, out: { type: 'string' } },
          'bench',
        );
        const rows = await overheadBench({
          runs: number('runs', values.runs) ?? 20_000,
          concurrency: number('concurrency', values.concurrency) ?? 100,
          outDir: values.out ?? join('results', 'bench'),
          log,
        });
        console.log(benchTable(rows));
        return EXIT.ok;
      }
      case 'list':
        console.log(listCommand());
        return EXIT.ok;
      case '--version':
      case 'version':
        console.log(TOOL_VERSION);
        return EXIT.ok;
      case undefined:
      case '--help':
      case 'help':
        console.log(USAGE);
        return command === undefined ? EXIT.input : EXIT.ok;
      default:
        throw new InputError(`unknown command "${command}"; valid commands: run, list, bench, version, help`);
    }
  } catch (error) {
    if (error instanceof InputError) {
      console.error(`faultline: ${error.message}`);
      return EXIT.input;
    }
    if (error instanceof InfrastructureError) {
      console.error(`faultline: infrastructure: ${error.message}`);
      return EXIT.infrastructure;
    }
    throw error;
  }
}
