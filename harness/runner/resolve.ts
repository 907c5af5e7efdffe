import { type AnyAdapter, loadAdapter } from '../../adapters/index.js';
import { parseGates } from '../../analysis/gates/index.js';
import {
  type ChaosSettings,
  checkFaults,
  drainTimeoutFor,
  type PlannedFault,
  planCellFaults,
} from '../../chaos/index.js';
import { describeZodError, InputError } from '../../core/errors.js';
import { cellId } from '../../core/results.js';
import type { AdapterTopology } from '../../core/topology.js';
import { loadScenario } from '../../scenarios/index.js';
import type { Scenario } from '../../scenarios/model.js';
import { planRun, type RunPlan } from '../../scenarios/plan.js';
import { type Experiment, warmupRunsOf } from '../config/experiment.js';
import { providerCanRestart } from '../services/index.js';
import { type Arrival, poissonArrivals } from './arrivals.js';
import type { RecordedConfig } from './recorded-config.js';

/**
 * An experiment with every name resolved and every number computed that can be before
 * anything starts: scenarios loaded, adapters loaded with their knobs parsed and their
 * topology declared, the arrival schedule, and each cell's faults and drain. Bad input
 * fails here, so it costs no server start.
 */
export interface ResolvedAdapter {
  adapter: AnyAdapter;
  knobs: Record<string, unknown>;
  topology: AdapterTopology;
}

export interface ResolvedCell {
  id: string;
  scenario: Scenario;
  plan: RunPlan;
  adapter: ResolvedAdapter;
  fault: string;
  planned: PlannedFault[];
  drainTimeoutMs: number;
}

export interface ResolvedExperiment {
  experiment: Experiment;
  scenarios: Scenario[];
  adapters: ResolvedAdapter[];
  arrivals: Arrival[];
  /** From the first to the last intended submit. */
  windowMs: number;
  cells: ResolvedCell[];
}

export function chaosSettings(experiment: Experiment): ChaosSettings {
  return {
    seed: experiment.seed,
    runs: experiment.load.runs,
    workers: experiment.load.workers,
    faultSchedule: experiment.faultSchedule,
    proxyWorkers: experiment.proxyWorkers,
    servicesProvider: experiment.services,
    canRestart: (service) => providerCanRestart(experiment.services, service),
  };
}

export async function resolveExperiment(experiment: Experiment): Promise<ResolvedExperiment> {
  parseGates(experiment.thresholds);
  const scenarios = experiment.scenarios.map(loadScenario);
  const adapters = await Promise.all(
    experiment.adapters.map(async (entry, i) => {
      const adapter = await loadAdapter(entry.name);
      const parsed = adapter.knobs.safeParse(entry.knobs);
      if (!parsed.success)
        throw new InputError(describeZodError(parsed.error, `adapters[${i}].knobs (${entry.name})`));
      const knobs = parsed.data as Record<string, unknown>;
      return { adapter, knobs, topology: topologyOf(adapter, knobs) };
    }),
  );
  const settings = chaosSettings(experiment);
  checkFaults(
    experiment.faults,
    settings,
    adapters.map((a) => a.topology),
  );
  const arrivals = poissonArrivals({
    runs: experiment.load.runs,
    ratePerSec: experiment.load.ratePerSec,
    seed: experiment.seed,
    warmupRuns: warmupRunsOf(experiment.load),
  });
  const windowMs = arrivals.at(-1)?.offsetMs ?? 0;
  const cells: ResolvedCell[] = [];
  for (const scenario of scenarios) {
    const plan = planRun(scenario);
    for (const fault of experiment.faults) {
      const planned = planCellFaults(fault, settings, plan, windowMs);
      for (const adapter of adapters) {
        cells.push({
          id: cellId(scenario.name, adapter.adapter.name, fault),
          scenario,
          plan,
          adapter,
          fault,
          planned,
          drainTimeoutMs: drainTimeoutFor(
            planned,
            adapter.topology.recovery.boundMs,
            experiment.load.drainTimeoutMs,
          ),
        });
      }
    }
  }
  return { experiment, scenarios, adapters, arrivals, windowMs, cells };
}

/** An adapter's declaration with its recovery facts for these knobs: what config.json records. */
export function topologyOf(adapter: AnyAdapter, knobs: Record<string, unknown>): AdapterTopology {
  return {
    name: adapter.name,
    services: adapter.services,
    links: adapter.links,
    orchestrator: adapter.orchestrator,
    workers: adapter.workers,
    recovery: adapter.recovery(knobs),
  };
}

/** The resolved experiment as config.json and results.json record it: the run folder's truth. */
export function recordedConfig(resolved: ResolvedExperiment): RecordedConfig {
  const { experiment } = resolved;
  return {
    ...experiment,
    load: { ...experiment.load, warmupRuns: warmupRunsOf(experiment.load) },
    adapters: resolved.adapters.map(({ adapter, knobs, topology }) => ({
      name: adapter.name,
      knobs,
      topology,
    })),
    scenarioDefinitions: resolved.scenarios,
    cells: resolved.cells.map((cell) => ({
      id: cell.id,
      scenario: cell.scenario.name,
      adapter: cell.adapter.adapter.name,
      fault: cell.fault,
      drainTimeoutMs: cell.drainTimeoutMs,
    })),
  };
}
