import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeHistoryFile, type CellMeta } from '../../analysis/analyze.js';
import { describeZodError, InputError } from '../../core/errors.js';
import { mergeHistoryParts, readEvents } from '../../core/history/reader.js';
import { RESULTS_SCHEMA_VERSION, type Results } from '../../core/results.js';
import { TOOL_VERSION } from '../../core/version.js';
import { planRun } from '../../scenarios/plan.js';
import { type RecordedConfig, RecordedConfigSchema } from './recorded-config.js';

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
  const cells = await analyzeHistoryFile(historyPath, cellMetasFromConfig(config));
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'faultline', version: TOOL_VERSION, node: process.version },
    // When the run began, as its history says: a rebuild gives the same file.
    createdAt: new Date(await runStartedAt(historyPath)).toISOString(),
    config,
    cells,
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

/** A run folder's config.json, validated: a broken one is named, not a stack trace. */
export function readRecordedConfig(runDir: string): RecordedConfig {
  const configPath = join(runDir, 'config.json');
  if (!existsSync(configPath)) throw new InputError(`${runDir} is not a run folder: no config.json`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (error) {
    throw new InputError(`${configPath}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = RecordedConfigSchema.safeParse(data);
  if (!parsed.success) throw new InputError(describeZodError(parsed.error, configPath));
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

/** Reads a results.json, given the file or its run folder. */
export function readResults(path: string): Results {
  const file = path.endsWith('.json') ? path : join(path, 'results.json');
  if (!existsSync(file)) throw new InputError(`${file} not found`);
  try {
    const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
    if (results.schemaVersion !== RESULTS_SCHEMA_VERSION) {
      throw new InputError(
        `${file}: schemaVersion ${results.schemaVersion}, this faultline reads ${RESULTS_SCHEMA_VERSION}`,
      );
    }
    return results;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${file}: not valid JSON (${(error as Error).message})`);
  }
}
