import { type GateResult, gatesExitCode } from '../../analysis/gates/index.js';
import { InputError } from '../../core/errors.js';
import { MAX_TOLERANCE } from '../../core/limits.js';
import {
  appendStepSummary,
  compareResults,
  comparisonExitCode,
  rebuildReports,
  renderComparisonMarkdown,
  writeReports,
} from '../../reports/index.js';
import { readResults, recomputeResults } from '../runner/recompute.js';
import { number, parseFlags } from './args.js';
import { outcomeCode } from './outcome.js';
import { RUN_FLAGS, runCommand } from './run.js';
import { summaryTable } from './table.js';

function printOutputs(files: Record<string, string>, log: (line: string) => void): void {
  log(`wrote ${Object.values(files).join(', ')}`);
}

/** `faultline run`: run, check, write every report; exit 1 on a failed gate or verdict. */
export async function runAndReport(argv: string[], log: (line: string) => void): Promise<number> {
  const { results, outDir } = await runCommand(argv, log);
  const written = await writeReports(outDir, results);
  console.log(summaryTable(results.cells));
  printGates(written.gates);
  printOutputs({ 'results.json': `${outDir}/results.json`, ...written.files }, log);
  return outcomeCode(results, gatesExitCode(written.gates));
}

/**
 * `faultline report DIR`: every output rebuilt from the history and recorded config alone;
 * exits like `run` would have for the same history (1 on a failed gate or verdict).
 */
export async function reportCommand(argv: string[], log: (line: string) => void): Promise<number> {
  const { positionals } = parseFlags(argv, {}, 'report');
  if (positionals.length !== 1) throw new InputError('usage: faultline report RUN_DIR');
  const runDir = positionals[0]!;
  const rebuilt = await rebuildReports(runDir, recomputeResults);
  console.log(summaryTable(rebuilt.results.cells));
  printGates(rebuilt.gates);
  printOutputs(rebuilt.files, log);
  return outcomeCode(rebuilt.results, gatesExitCode(rebuilt.gates));
}

function printGates(gates: readonly GateResult[]): void {
  for (const gate of gates)
    console.log(`gate ${gate.status.padEnd(7)} ${gate.gate.expression}  ${gate.message}`);
}

/** --tolerance: a fraction of the baseline value, in range. */
function tolerance(value: string | undefined): number {
  const parsed = number('tolerance', value) ?? 0.1;
  if (parsed < 0 || parsed > MAX_TOLERANCE)
    throw new InputError(
      `--tolerance: ${parsed} is out of range; valid: a number from 0 to ${MAX_TOLERANCE}`,
    );
  return parsed;
}

const COMPARE_FLAGS = { tolerance: { type: 'string' } } as const;

/** `faultline compare BASELINE CURRENT`: metric deltas, regressions beyond the tolerance exit 1. */
export async function compareCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, COMPARE_FLAGS, 'compare');
  if (positionals.length !== 2)
    throw new InputError('usage: faultline compare BASELINE CURRENT [--tolerance 0.1]');
  const tol = tolerance(values.tolerance);
  const comparison = compareResults(readResults(positionals[0]!), readResults(positionals[1]!), tol);
  console.log(renderComparisonMarkdown(comparison));
  return comparisonExitCode(comparison);
}

/**
 * `faultline ci`: run an experiment, evaluate its gates, optionally compare with a
 * baseline, write junit.xml, append the summary to $GITHUB_STEP_SUMMARY; exit 1 when a
 * gate fails or the baseline regressed.
 */
export async function ciCommand(argv: string[], log: (line: string) => void): Promise<number> {
  const ciFlags = { ...RUN_FLAGS, baseline: { type: 'string' }, tolerance: { type: 'string' } } as const;
  const { values } = parseFlags(argv, ciFlags, 'ci');
  const runArgv = withoutFlags(argv, ['--baseline', '--tolerance']);
  const baseline = values.baseline === undefined ? undefined : readResults(values.baseline);
  const tol = tolerance(values.tolerance);
  const { results, outDir } = await runCommand(runArgv, log);
  const written = await writeReports(outDir, results, {
    baseline,
    tolerance: tol,
  });
  console.log(written.summaryMarkdown);
  if (appendStepSummary(written.summaryMarkdown)) log('appended the summary to $GITHUB_STEP_SUMMARY');
  printOutputs(written.files, log);
  const regressed = written.comparison ? comparisonExitCode(written.comparison) : 0;
  return Math.max(outcomeCode(results, gatesExitCode(written.gates)), regressed);
}

/** Removes `--flag value` pairs (and `--flag=value`) that only `ci` understands. */
function withoutFlags(argv: string[], flags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (flags.includes(arg)) i++;
    else if (!flags.some((f) => arg.startsWith(`${f}=`))) out.push(arg);
  }
  return out;
}
