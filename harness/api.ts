/**
 * Faultline as a library, for a team's own test suite (`import { runExperiment,
 * loadExperiment } from 'faultline'`): run an experiment file the way `faultline ci`
 * does and assert on its gates and results, e.g. as a reliability regression test.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GateResult, gatesExitCode } from '../analysis/gates/index.js';
import type { Results } from '../core/results.js';
import { writeReports } from '../reports/index.js';
import type { Experiment, ExperimentInput } from './config/experiment.js';
import { parseExperiment, readExperimentFile } from './config/load-experiment.js';
import type { ProgressMode } from './live/monitor.js';
import { runExperiment as runMatrix } from './runner/experiment-run.js';

export type { GateResult, GateStatus } from '../analysis/gates/index.js';
export type { CellResult, Results, TraceCompleteness } from '../core/results.js';
export type { Experiment, ExperimentInput } from './config/experiment.js';

/** An experiment from a YAML or JSON file (or from data), validated; bad input throws an InputError naming the field. */
export function loadExperiment(source: string | ExperimentInput): Experiment {
  return typeof source === 'string'
    ? parseExperiment(readExperimentFile(source), source)
    : parseExperiment(source, 'experiment');
}

export interface RunExperimentOptions {
  /** The run folder (history, results, reports); a fresh temporary folder by default. */
  outDir?: string;
  /** Progress and status lines; silent by default. */
  log?: (line: string) => void;
  /** Serve Prometheus metrics on 127.0.0.1:port/metrics while it runs (0: a free port). */
  metricsPort?: number;
  /** Live progress (`auto`: bars on a terminal, plain lines otherwise); off by default. */
  progress?: ProgressMode;
}

export interface ExperimentRun {
  outDir: string;
  results: Results;
  /** Each declared gate with its status (PASS, FAIL, UNKNOWN) and evidence. */
  gates: GateResult[];
  /** What `faultline ci` would exit 0 for: every gate passed, or, with no gate, no failed verdict. */
  passed: boolean;
  /** The reports written, by file name. */
  files: Record<string, string>;
}

/** Runs the experiment on real services and workers, writes every report, evaluates the gates. */
export async function runExperiment(
  experiment: Experiment | ExperimentInput,
  options: RunExperimentOptions = {},
): Promise<ExperimentRun> {
  const parsed = loadExperiment(experiment as ExperimentInput);
  const outDir = options.outDir ?? mkdtempSync(join(tmpdir(), 'faultline-run-'));
  const results = await runMatrix(parsed, outDir, options.log ?? (() => {}), {
    ...(options.metricsPort === undefined ? {} : { metricsPort: options.metricsPort }),
    progress: options.progress ?? 'off',
  });
  const written = await writeReports(outDir, results);
  const passed =
    written.gates.length > 0
      ? gatesExitCode(written.gates) === 0
      : results.cells.every((cell) => cell.verdict !== 'fail');
  return {
    outDir,
    results,
    gates: written.gates,
    passed,
    files: { 'results.json': join(outDir, 'results.json'), ...written.files },
  };
}
