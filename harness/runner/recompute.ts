import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAdapter } from '../../adapters/index.js';
import { analyzeHistoryFile, type CellMeta } from '../../analysis/analyze.js';
import { governedBy } from '../../chaos/index.js';
import { InputError } from '../../core/errors.js';
import { mergeHistoryParts } from '../../core/history/reader.js';
import { cellId, RESULTS_SCHEMA_VERSION, type Results } from '../../core/results.js';
import { TOOL_VERSION } from '../../core/version.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';

/** The part of config.json that names the cells; the rest is carried along as it is. */
interface RecordedConfig {
  scenarios: string[];
  faults: string[];
  adapters: { name: string; knobs: Record<string, unknown> }[];
}

export interface CellContext {
  metas: CellMeta[];
  /** Cell id → the knob that governs recovery after a worker dies (adapter.recoveryKnob). */
  recoveryKnobs: Map<string, string>;
}

/**
 * What the history alone does not say about the cells, rebuilt from the recorded
 * config: the matrix scenario × fault × adapter, each cell's plan and knobs. The run
 * and `faultline report` both go through here, so they cannot disagree.
 */
export async function cellContextFromConfig(config: Record<string, unknown>): Promise<CellContext> {
  const { scenarios, faults, adapters } = config as unknown as RecordedConfig;
  const metas: CellMeta[] = [];
  const recoveryKnobs = new Map<string, string>();
  for (const scenarioEntry of scenarios) {
    // An entry may be a path to a scenario file: cells are named by the scenario's name, as in the history.
    const scenario = loadScenario(scenarioEntry);
    const plan = planRun(scenario);
    for (const fault of faults) {
      for (const { name, knobs } of adapters) {
        const id = cellId(scenario.name, name, fault);
        metas.push({
          ...{ id, scenario: scenario.name, adapter: name, fault, knobs, plan },
          // The saga rule is the plan's (RunPlan.rollsBackOnFailure): a run and its report judge alike.
          requireCompensationOnFailure: plan.rollsBackOnFailure,
        });
        const adapter = await loadAdapter(name).catch(() => undefined);
        if (adapter) recoveryKnobs.set(id, adapter.recoveryKnob(knobs));
      }
    }
  }
  return { metas, recoveryKnobs };
}

/**
 * results.json as a pure function of the history and the recorded config. Merges the
 * per-process histories first when history.jsonl is not there yet (an interrupted run).
 */
export async function computeResults(
  runDir: string,
  config: Record<string, unknown>,
  createdAt = new Date().toISOString(),
): Promise<Results> {
  const historyPath = join(runDir, 'history.jsonl');
  if (!existsSync(historyPath)) await mergeHistoryParts(join(runDir, 'history.d'), historyPath);
  const { metas, recoveryKnobs } = await cellContextFromConfig(config);
  const cells = await analyzeHistoryFile(historyPath, metas);
  for (const cell of cells) {
    const knob = recoveryKnobs.get(cell.id);
    for (const fault of cell.faults) {
      const by = knob === undefined ? undefined : governedBy(fault, knob);
      if (by !== undefined) fault.governedBy = by;
    }
  }
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'faultline', version: TOOL_VERSION, node: process.version },
    createdAt,
    config,
    cells,
  };
}

export function writeResults(runDir: string, results: Results): void {
  writeFileSync(join(runDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
}

/** `faultline report DIR`: recompute from the run folder alone (config.json + history). */
export async function recomputeResults(runDir: string): Promise<Results> {
  const configPath = join(runDir, 'config.json');
  if (!existsSync(configPath)) throw new InputError(`${runDir} is not a run folder: no config.json`);
  if (!existsSync(join(runDir, 'history.jsonl')) && !existsSync(join(runDir, 'history.d'))) {
    throw new InputError(`${runDir} holds no history (history.jsonl or history.d/)`);
  }
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  // Keep the original timestamp, so a rebuild reproduces the original files byte for byte.
  const previous = join(runDir, 'results.json');
  const createdAt = existsSync(previous)
    ? (JSON.parse(readFileSync(previous, 'utf8')) as Results).createdAt
    : undefined;
  return computeResults(runDir, config, createdAt);
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
