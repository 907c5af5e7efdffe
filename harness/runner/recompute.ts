import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeHistoryFile, type CellMeta } from '../../analysis/analyze.js';
import { readCellSpans } from '../../analysis/traces/span-files.js';
import { describeZodErrorBriefly, InputError, REPORT_INPUT } from '../../core/errors.js';
import { mergeHistoryParts, readEvents } from '../../core/history/reader.js';
import { RESULTS_SCHEMA_VERSION, type Results } from '../../core/results.js';
import { TRACES_DIR } from '../../core/traces.js';
import { TOOL_VERSION } from '../../core/version.js';
import { planRun } from '../../scenarios/plan.js';
import { type RecordedConfig, RecordedConfigSchema } from './recorded-config.js';
import { ResultsFileSchema } from './recorded-results.js';

/**
 * What the history alone does not say about the cells, from the recorded config alone:
 * each cell's plan (from the scenario as recorded), knobs and the adapter's recovery
 * facts. The run and `faultline report` both go through here, so they cannot disagree,
 * and neither asks a scenario file or adapter code for anything.
 */
export function cellMetasFromConfig(config: RecordedConfig): CellMeta[] {
  const plans = new Map(config.scenarioDefinitions.map((scenario) => [scenario.name, planRun(scenario)]));
  const adapters = new Map(config.adapters.map((adapter) => [adapter.name, adapter]));
  return config.cells.map((cell) => {
    const plan = plans.get(cell.scenario);
    const adapter = adapters.get(cell.adapter);
    if (!plan || !adapter)
      throw new InputError(`config.json: cell ${cell.id} names a scenario or adapter it does not record`);
    return {
      id: cell.id,
      scenario: cell.scenario,
      adapter: cell.adapter,
      fault: cell.fault,
      ...(cell.repeat === undefined ? {} : { repeat: cell.repeat }),
      ...(cell.load === undefined ? {} : { load: cell.load }),
      knobs: adapter.knobs,
      plan,
      // The saga rule is the plan's (RunPlan.rollsBackOnFailure): a run and its report judge alike.
      requireCompensationOnFailure: plan.rollsBackOnFailure,
      governedBy: adapter.topology.recovery.governedBy,
      services: adapter.topology.services,
      ...(cell.scenarioVersions
        ? {
            versions: cell.scenarioVersions.map(({ version, scenario, change }) => ({
              version,
              plan: planRun(scenario),
              ...(change ? { change } : {}),
            })),
          }
        : {}),
      plannedRuns: cell.runs ?? config.load.runs,
    };
  });
}

/**
 * results.json as a pure function of the history and the recorded config. Merges the
 * per-process histories first when history.jsonl is not there yet (an interrupted run).
 */
export async function computeResults(runDir: string, config: RecordedConfig): Promise<Results> {
  const historyPath = join(runDir, 'history.jsonl');
  if (!existsSync(historyPath)) await mergeHistoryParts(join(runDir, 'history.d'), historyPath);
  const metas = cellMetasFromConfig(config);
  // Runs recorded before traces existed have no `traces` in config.json: no figure at all.
  if (config.traces !== undefined) {
    const spans = config.traces === true ? await readCellSpans(join(runDir, TRACES_DIR)) : null;
    for (const meta of metas) meta.spans = spans === null ? null : (spans.get(meta.id) ?? []);
  }
  const cells = await analyzeHistoryFile(historyPath, metas);
  const cut = cells.filter((cell) => cell.interrupted !== undefined);
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'faultline', version: TOOL_VERSION, node: process.version },
    // When the run began, as its history says: a rebuild gives the same file.
    createdAt: new Date(await runStartedAt(historyPath)).toISOString(),
    config,
    cells,
    ...(cut.length === 0
      ? {}
      : { interrupted: { signal: cut[0]!.interrupted!.signal, cells: cut.map((cell) => cell.id) } }),
  };
}

/** The `t` of the history's `history-start` (its first line), or of its first event. */
async function runStartedAt(historyPath: string): Promise<number> {
  for await (const event of readEvents(historyPath)) return event.t;
  return 0;
}

export function writeResults(runDir: string, results: Results): void {
  writeFileSync(join(runDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
}

/** A JSON file, or an InputError naming it and saying why it cannot be read. */
function readJsonFile(path: string): unknown {
  if (!existsSync(path)) throw new InputError(`${path} not found`);
  if (!statSync(path).isFile()) throw new InputError(`${path} is not a file`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path}: not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
}

/** A run folder's config.json, validated: a broken one is named, not a stack trace. */
function readRecordedConfig(runDir: string): RecordedConfig {
  if (!existsSync(runDir) || !statSync(runDir).isDirectory())
    throw new InputError(`${runDir} is not a run folder (a folder with config.json and the history)`);
  const configPath = join(runDir, 'config.json');
  if (!existsSync(configPath)) throw new InputError(`${runDir} is not a run folder: no config.json`);
  const data = readJsonFile(configPath);
  const parsed = RecordedConfigSchema.safeParse(data, REPORT_INPUT);
  if (!parsed.success) throw new InputError(describeZodErrorBriefly(parsed.error, configPath));
  return data as RecordedConfig;
}

/** `faultline report DIR`: recompute from the run folder alone (config.json + history). */
export async function recomputeResults(runDir: string): Promise<Results> {
  const config = readRecordedConfig(runDir);
  if (!existsSync(join(runDir, 'history.jsonl')) && !existsSync(join(runDir, 'history.d'))) {
    throw new InputError(`${runDir} holds no history (history.jsonl or history.d/)`);
  }
  return computeResults(runDir, config);
}

/** Reads a results.json, given the file or its run folder, checked for what comparing it needs. */
export function readResults(path: string): Results {
  const isFolder = existsSync(path) && statSync(path).isDirectory();
  const file = isFolder ? join(path, 'results.json') : path;
  const data = readJsonFile(file);
  const parsed = ResultsFileSchema.safeParse(data, REPORT_INPUT);
  if (!parsed.success) throw new InputError(describeZodErrorBriefly(parsed.error, file));
  return data as Results;
}
