import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAdapter } from '../../adapters/index.js';
import type { AdapterDefinition } from '../../adapters/types.js';
import { parseGates } from '../../analysis/gates/index.js';
import { checkFaults, createCellFaults, drainTimeoutFor } from '../../chaos/index.js';
import { describeZodError, InputError } from '../../core/errors.js';
import { HistoryWriter } from '../../core/history/writer.js';
import { cellId, type Results } from '../../core/results.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';
import { type Experiment, warmupRunsOf } from '../config/experiment.js';
import { poissonArrivals } from './arrivals.js';
import { type CellSpec, runCell } from './cell.js';
import { startEnvironment } from './environment.js';
import { computeResults, writeResults } from './recompute.js';

// biome-ignore lint/suspicious/noExplicitAny: knobs are per adapter
type AnyAdapter = AdapterDefinition<any>;

export interface ResolvedAdapter {
  adapter: AnyAdapter;
  knobs: Record<string, unknown>;
}

/** Checks every name and knob before anything starts: bad input costs no server start. */
export async function resolveExperiment(experiment: Experiment): Promise<ResolvedAdapter[]> {
  parseGates(experiment.thresholds);
  for (const name of experiment.scenarios) loadScenario(name);
  const resolved = await Promise.all(
    experiment.adapters.map(async (entry, i) => {
      const adapter = await loadAdapter(entry.name);
      const parsed = adapter.knobs.safeParse(entry.knobs);
      if (!parsed.success)
        throw new InputError(describeZodError(parsed.error, `adapters[${i}].knobs (${entry.name})`));
      return { adapter, knobs: parsed.data as Record<string, unknown> };
    }),
  );
  checkFaults(
    experiment,
    resolved.map(({ adapter }) => adapter),
  );
  return resolved;
}

/** The resolved configuration as recorded in results.json and config.json. */
export function recordedConfig(experiment: Experiment, adapters: ResolvedAdapter[]): Record<string, unknown> {
  return {
    ...experiment,
    load: { ...experiment.load, warmupRuns: warmupRunsOf(experiment.load) },
    adapters: adapters.map(({ adapter, knobs }) => ({ name: adapter.name, knobs })),
  };
}

/**
 * Runs the matrix scenario × fault × adapter on one set of services, every cell on
 * the same arrival schedule, then checks the merged history.
 */
export async function runExperiment(
  experiment: Experiment,
  outDir: string,
  log: (line: string) => void,
): Promise<Results> {
  const adapters = await resolveExperiment(experiment);
  // Never mix two runs' histories, and never delete what a user may still want.
  if (existsSync(join(outDir, 'history.d'))) {
    throw new InputError(`${outDir} already holds a run; choose another --out or remove it`);
  }
  mkdirSync(join(outDir, 'logs'), { recursive: true });
  const config = recordedConfig(experiment, adapters);
  writeFileSync(join(outDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);

  const arrivals = poissonArrivals({
    runs: experiment.load.runs,
    ratePerSec: experiment.load.ratePerSec,
    seed: experiment.seed,
    warmupRuns: warmupRunsOf(experiment.load),
  });
  const history = new HistoryWriter(join(outDir, 'history.d', 'harness.jsonl'));
  const windowMs = arrivals.at(-1)?.offsetMs ?? 0;
  const needs = new Set(adapters.flatMap(({ adapter }) => adapter.services));
  log(`starting services (${['toxiproxy', ...needs].join(', ')}) and the world…`);
  const env = await startEnvironment({
    runDir: outDir,
    needs,
    persistence: experiment.backendPersistence,
    proxyWorkers: experiment.proxyWorkers,
  });
  try {
    if (experiment.approver) env.world.setApprover(experiment.approver);
    const prepared = new Map<string, unknown>();
    for (const { adapter } of adapters) prepared.set(adapter.name, await adapter.prepare?.(outDir));
    for (const scenarioName of experiment.scenarios) {
      const scenario = loadScenario(scenarioName);
      const plan = planRun(scenario);
      for (const fault of experiment.faults) {
        for (const { adapter, knobs } of adapters) {
          const id = cellId(scenario.name, adapter.name, fault);
          const faults = createCellFaults({
            ...{ cell: id, fault, experiment, plan, windowMs, services: adapter.services },
            ...{ env, history, runDir: outDir, log },
          });
          const knob = adapter.recoveryKnob(knobs);
          const drainTimeoutMs = drainTimeoutFor(faults.planned, knob, experiment.load.drainTimeoutMs);
          const cell: CellSpec = {
            id,
            scenario,
            plan,
            adapter,
            knobs,
            prepared: prepared.get(adapter.name),
            faults,
            drainTimeoutMs,
          };
          log(`cell ${id}: ${experiment.load.runs} runs at ${experiment.load.ratePerSec}/s…`);
          if (drainTimeoutMs > experiment.load.drainTimeoutMs)
            log(`  drain raised to ${drainTimeoutMs} ms: workers die mid-step, recovery is up to ${knob}`);
          const summary = await runCell(cell, { experiment, arrivals, env, history, runDir: outDir, log });
          if (summary.submitErrors > 0) log(`  ${summary.submitErrors} submissions were refused`);
        }
      }
    }
  } finally {
    history.close();
    await env.stop();
  }
  // The same path as `faultline report`: results from the merged history and config alone.
  const results = await computeResults(outDir, config);
  writeResults(outDir, results);
  return results;
}
