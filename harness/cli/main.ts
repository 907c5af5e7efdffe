import { InfrastructureError, InputError } from '../../core/errors.js';
import { TOOL_VERSION } from '../../core/version.js';
import { installCleanupHandlers } from '../processes.js';
import { AGGREGATE_USAGE, aggregateCommand } from './aggregate.js';
import { BENCH_USAGE, benchCommand } from './bench.js';
import { CAPACITY_USAGE, capacityCommand } from './capacity.js';
import { cleanCommand, reapLeftovers } from './clean.js';
import { listCommand } from './list.js';
import { ciCommand, compareCommand, reportCommand, runAndReport } from './reports.js';
import { RUN_USAGE } from './run.js';

/**
 * Exit codes (DESIGN.md): 0 ok, 1 gates or verdict failed, 2 bad input, 3 infrastructure;
 * 4 a bug in faultline itself, so a crash is never read as a failed verdict.
 */
const EXIT = { ok: 0, failed: 1, input: 2, infrastructure: 3, internal: 4 } as const;

const USAGE = `faultline ${TOOL_VERSION} — chaos benchmarks for orchestration strategies

usage:
  ${RUN_USAGE.split('\n').join('\n  ')}
  faultline report RUN_DIR        rebuild results and every report from the history alone
  ${AGGREGATE_USAGE}
                                  runs of one experiment merged, pooled as repeats, in one report
  faultline compare BASELINE CURRENT [--tolerance 0.1]   metric deltas; exit 1 on a regression
  faultline ci [EXPERIMENT_FILE] [run flags] [--baseline RESULTS] [--tolerance 0.1]
                                  run, evaluate the gates, write junit.xml; exit 1 on a failed gate
  ${CAPACITY_USAGE.split('\n').join('\n  ')}
  faultline list                  scenarios, adapters and faults
  faultline clean [RUN_DIR]       kill what a faultline run that died left running (servers, workers, containers)
  ${BENCH_USAGE}
  faultline --version`;

const log = (line: string) => console.error(line);

export async function main(argv: string[]): Promise<number> {
  installCleanupHandlers();
  const [command, ...rest] = argv;
  try {
    // What a faultline process that died left running is killed before anything starts.
    if (command === 'run' || command === 'ci' || command === 'bench') reapLeftovers(log);
    switch (command) {
      case 'run':
        return await runAndReport(rest, log);
      case 'report':
        return await reportCommand(rest, log);
      case 'aggregate':
        return await aggregateCommand(rest, log);
      case 'compare':
        return await compareCommand(rest);
      case 'capacity':
        return await capacityCommand(rest, log);
      case 'ci':
        return await ciCommand(rest, log);
      case 'bench':
        return await benchCommand(rest, log);
      case 'list':
        console.log(await listCommand());
        return EXIT.ok;
      case 'clean':
        return await cleanCommand(rest, log);
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
        throw new InputError(
          `unknown command "${command}"; valid commands: run, report, aggregate, compare, ci, capacity, list, clean, bench, version, help`,
        );
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
    // Not the user's input and not a server: a bug. The stack is for whoever fixes it.
    console.error(
      `faultline: internal error (a bug in faultline): ${(error as Error)?.stack ?? String(error)}`,
    );
    return EXIT.internal;
  }
}
