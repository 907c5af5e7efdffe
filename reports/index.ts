import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateGates, type GateResult } from '../analysis/gates/evaluate.js';
import { type CellSelector, type Gate, gatesFromConfig } from '../analysis/gates/parse.js';
import { InputError } from '../core/errors.js';
import { readEvents } from '../core/history/reader.js';
import type { Results } from '../core/results.js';
import type { Scenario } from '../scenarios/model.js';
import { renderCiSummary } from './ci-summary.js';
import { type Comparison, compareResults, renderComparisonMarkdown, type Tolerance } from './compare.js';
import { collectRunRows, faultsCsv, type RunRow, summaryCsv, writeRunRowsCsv } from './csv.js';
import { interruptionText } from './format.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import {
  evaluateReadiness,
  type Readiness,
  type ReadinessOptionsInput,
  renderReadinessJson,
  renderReadinessMarkdown,
} from './readiness.js';

export { appendStepSummary, renderCiSummary } from './ci-summary.js';
export {
  compareResults,
  comparisonExitCode,
  renderComparisonMarkdown,
} from './compare.js';
export { collectRunRows, summaryCsv } from './csv.js';
export { renderHtml } from './html.js';
export { renderJunit } from './junit.js';
export { renderMarkdown } from './markdown.js';

export {
  evaluateReadiness,
  renderReadinessMarkdown,
} from './readiness.js';

/** The files writeReports writes into the run folder. */
export const REPORT_FILES = [
  'report.md',
  'report.html',
  'summary.csv',
  'runs.csv',
  'faults.csv',
  'junit.xml',
  'readiness.md',
  'readiness.json',
] as const;

export interface WriteReportsOptions {
  /** Gates to evaluate; default: the `thresholds` of the recorded config. */
  gates?: readonly (Gate | string)[];
  /** Restricts every gate to these cells. */
  gateSelector?: CellSelector;
  /** Readiness criteria and SLOs; approvalScenarios defaults to the scenarios with an approval step. */
  readiness?: ReadinessOptionsInput;
  /** With a baseline, also writes comparison.md and adds a regression testcase to junit.xml. */
  baseline?: Results;
  tolerance?: Tolerance | number;
  /** The run rows, when they do not come from the folder's own history (faultline aggregate). */
  runs?: readonly RunRow[];
  /** How junit.xml shows an UNKNOWN gate (see junit.ts); default error. */
  unknownAs?: 'error' | 'skipped';
}

export interface WrittenReports {
  /** Absolute or runDir-relative paths of the files written, by file name. */
  files: Record<string, string>;
  gates: GateResult[];
  readiness: Readiness;
  comparison?: Comparison;
  /** The Markdown for the CI log and $GITHUB_STEP_SUMMARY. */
  summaryMarkdown: string;
}

/**
 * Writes every report of a run into `runDir` from its results and its
 * history.jsonl (traceability streams it; it is folded once into a row per run for
 * runs.csv and the run-level charts of report.html). Deterministic: the same
 * results and history give byte-identical files.
 */
export async function writeReports(
  runDir: string,
  results: Results,
  options: WriteReportsOptions = {},
): Promise<WrittenReports> {
  const historyPath = join(runDir, 'history.jsonl');
  if (options.runs === undefined && !existsSync(historyPath))
    throw new InputError(`${historyPath} not found: reports are built from the history`);
  const gates = evaluateGates(
    options.gates ?? gatesFromConfig(results.config),
    results,
    options.gateSelector,
  );
  const readiness = evaluateReadiness(results, {
    approvalScenarios: approvalScenarios(results),
    ...options.readiness,
  });
  const comparison =
    options.baseline === undefined ? undefined : compareResults(options.baseline, results, options.tolerance);
  const runs = options.runs ?? (await collectRunRows(readEvents(historyPath)));
  const files: Record<string, string> = {};
  const write = (name: string, content: string) => {
    files[name] = join(runDir, name);
    writeFileSync(files[name], content);
  };
  write('report.md', renderMarkdown(results, { gates }));
  write('report.html', renderHtml(results, { gates, runs }));
  write('summary.csv', summaryCsv(results));
  files['runs.csv'] = join(runDir, 'runs.csv');
  await writeRunRowsCsv(runs, files['runs.csv']);
  write('faults.csv', faultsCsv(results));
  write(
    'junit.xml',
    renderJunit(gates, {
      timestamp: results.createdAt,
      unknownAs: options.unknownAs,
      comparison,
      interrupted: interruptionText(results),
    }),
  );
  write('readiness.md', renderReadinessMarkdown(readiness));
  write('readiness.json', renderReadinessJson(readiness));
  if (comparison !== undefined) write('comparison.md', renderComparisonMarkdown(comparison));
  const summaryMarkdown = renderCiSummary(results, gates, comparison);
  return { files, gates, readiness, comparison, summaryMarkdown };
}

/**
 * `faultline report DIR`: recomputes results from the history (and the recorded
 * config) with `recompute`, writes results.json, then every report.
 */
export async function rebuildReports(
  runDir: string,
  recompute: (runDir: string) => Promise<Results>,
  options: WriteReportsOptions = {},
): Promise<WrittenReports & { results: Results }> {
  const results = await recompute(runDir);
  writeFileSync(join(runDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  return { ...(await writeReports(runDir, results, options)), results };
}

/** Scenarios of the run whose definition (as config.json recorded it) has an approval step. */
export function approvalScenarios(results: Results): string[] {
  const definitions = (results.config.scenarioDefinitions ?? []) as Scenario[];
  return definitions.filter((s) => s.steps.some((step) => step.kind === 'approval')).map((s) => s.name);
}

export { aggregateResults } from './aggregate.js';
