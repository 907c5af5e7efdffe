import { type AnyAdapter, loadAdapter } from '../../adapters/index.js';
import { parseGates } from '../../analysis/gates/index.js';
import {
  type ChaosSettings,
  checkFaults,
  drainTimeoutFor,
  type PlannedFault,
  planCellFaults,
  scenarioVersionsFor,
} from '../../chaos/index.js';
import { describeZodError, InputError } from '../../core/errors.js';
import { deriveSeed } from '../../core/random.js';
import { cellId } from '../../core/results.js';
import type { AdapterTopology } from '../../core/topology.js';
import { loadScenario } from '../../scenarios/index.js';
import type { Scenario } from '../../scenarios/model.js';
import { planRun, type RunPlan } from '../../scenarios/plan.js';
import { type Experiment, warmupRunsOf } from '../config/experiment.js';
import { type Arrival, poissonArrivals } from './arrivals.js';
import type { RecordedCell, RecordedConfig } from './recorded-config.js';

/**
 * An experiment with every name resolved and every number computed that can be before
 * anything starts: scenarios loaded, adapters loaded with their knobs parsed and their
 * topology declared, the arrival schedule, and each cell's faults and drain. Bad input
 * fails here, so it costs no server start.
 */
export interface ResolvedAdapter {
  /** The name its cells use: the experiment entry's `as`, else the adapter's own. */
  name: string;
  adapter: AnyAdapter;
  knobs: Record<string, unknown>;
  topology: AdapterTopology;
}

export interface ResolvedCell {
  /** `scenario/adapter/fault`, with `@<repeat>` when the experiment repeats its cells. */
  id: string;
  /** 1-based; every repeat runs the whole matrix with its own seed. */
  repeat: number;
  /** The seed of this repeat: arrivals and fault schedule. */
  seed: number;
  /** The open-loop arrival schedule, the same for every cell of the repeat. */
  arrivals: Arrival[];
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
  cells: ResolvedCell[];
}

export function chaosSettings(experiment: Experiment): ChaosSettings {
  return {
    seed: experiment.seed,
    runs: experiment.load.runs,
    workers: experiment.load.workers,
    faultSchedule: experiment.faultSchedule,
    proxyWorkers: experiment.proxyWorkers,
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
      return { name: entry.as ?? adapter.name, adapter, knobs, topology: topologyOf(adapter, knobs) };
    }),
  );
  const names = adapters.map((a) => a.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined)
    throw new InputError(
      `adapters: "${twice}" appears twice; give one of them another name with "as" (e.g. as: ${twice}-tuned)`,
    );
  const settings = chaosSettings(experiment);
  checkFaults(
    experiment.faults,
    settings,
    adapters.map((a) => a.topology),
  );
  const cells: ResolvedCell[] = [];
  // Repeat-major: each repeat runs the whole matrix, so slow drift of the machine spreads over every cell.
  for (let repeat = 1; repeat <= experiment.repeat; repeat++) {
    const seed = repeatSeed(experiment.seed, repeat);
    const arrivals = poissonArrivals({
      runs: experiment.load.runs,
      ratePerSec: experiment.load.ratePerSec,
      seed,
      warmupRuns: warmupRunsOf(experiment.load),
    });
    const windowMs = arrivals.at(-1)?.offsetMs ?? 0;
    for (const scenario of scenarios) {
      const plan = planRun(scenario);
      for (const fault of experiment.faults) {
        const planned = planCellFaults(fault, { ...settings, seed }, plan, windowMs, scenario);
        for (const adapter of adapters) {
          const id = cellId(scenario.name, adapter.name, fault);
          cells.push({
            id: experiment.repeat === 1 ? id : `${id}@${repeat}`,
            repeat,
            seed,
            scenario,
            plan,
            adapter,
            fault,
            arrivals,
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
  }
  return { experiment, scenarios, adapters, cells };
}

/** The seed of a repeat: the experiment's own for the first, derived from it for the others. */
export function repeatSeed(seed: number, repeat: number): number {
  return repeat === 1 ? seed : deriveSeed(seed, 'repeat', repeat);
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
    adapters: resolved.adapters.map(({ name, adapter, knobs, topology }) => ({
      name,
      ...(name === adapter.name ? {} : { adapter: adapter.name }),
      knobs,
      topology,
    })),
    scenarioDefinitions: resolved.scenarios,
    cells: resolved.cells.map((cell) => ({
      id: cell.id,
      scenario: cell.scenario.name,
      adapter: cell.adapter.name,
      fault: cell.fault,
      ...(resolved.experiment.repeat === 1 ? {} : { repeat: cell.repeat, seed: cell.seed }),
      drainTimeoutMs: cell.drainTimeoutMs,
      ...versionsOf(cell),
    })),
  };
}

/** A cell whose faults change its scenario records every version, so reports rebuild without the fault code. */
function versionsOf(cell: ResolvedCell): Pick<RecordedCell, 'scenarioVersions'> {
  const versions = scenarioVersionsFor(cell.planned, cell.scenario);
  return versions ? { scenarioVersions: versions } : {};
}
