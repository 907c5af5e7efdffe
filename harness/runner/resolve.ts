import { type AnyAdapter, loadAdapter } from '../../adapters/index.js';
import { type CellSelector, type Gate, parseGates } from '../../analysis/gates/index.js';
import {
  type ChaosSettings,
  checkFaults,
  drainTimeoutFor,
  type PlannedFault,
  planCellFaults,
  scenarioVersionsFor,
} from '../../chaos/index.js';
import { describeZodError, InputError, REPORT_INPUT } from '../../core/errors.js';
import { MAX_TIMER_MS } from '../../core/limits.js';
import { deriveSeed } from '../../core/random.js';
import { cellId } from '../../core/results.js';
import type { AdapterTopology } from '../../core/topology.js';
import { loadScenario } from '../../scenarios/index.js';
import type { Scenario } from '../../scenarios/model.js';
import { planRun, type RunPlan } from '../../scenarios/plan.js';
import { type Experiment, warmupRunsOf } from '../config/experiment.js';
import { providerCanRestart } from '../services/index.js';
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
    servicesProvider: experiment.services,
    canRestart: (service) => providerCanRestart(experiment.services, service),
  };
}

export async function resolveExperiment(experiment: Experiment): Promise<ResolvedExperiment> {
  const gates = parseGates(experiment.thresholds);
  const scenarios = experiment.scenarios.map(loadScenario);
  distinctNames(
    'scenarios',
    scenarios.map((s) => s.name),
  );
  const adapters = await Promise.all(
    experiment.adapters.map(async (entry, i) => {
      const adapter = await loadAdapter(entry.name);
      const parsed = adapter.knobs.safeParse(entry.knobs, REPORT_INPUT);
      if (!parsed.success)
        throw new InputError(
          describeZodError(parsed.error, `adapters[${i}].knobs (${entry.name})`, adapter.knobs, 'knob'),
        );
      const knobs = parsed.data as Record<string, unknown>;
      return { name: entry.as ?? adapter.name, adapter, knobs, topology: topologyOf(adapter, knobs) };
    }),
  );
  // By the name cells go by: one adapter may run twice under two names.
  const names = adapters.map((a) => a.name);
  distinctNames('adapters', names, '; to run one adapter twice, give one entry another name with "as"');
  checkGateSelectors(gates, {
    scenario: scenarios.map((s) => s.name),
    adapter: names,
    fault: experiment.faults,
  });
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
  checkTimers(cells);
  return { experiment, scenarios, adapters, cells };
}

/** The seed of a repeat: the experiment's own for the first, derived from it for the others. */
function repeatSeed(seed: number, repeat: number): number {
  return repeat === 1 ? seed : deriveSeed(seed, 'repeat', repeat);
}

/**
 * Two entries that resolve to one name (`rag-ingest` and `./scenarios/rag-ingest.json`, an
 * adapter by name and by path) would run two cells under one id and mix their histories.
 */
function distinctNames(field: string, names: readonly string[], hint = ''): void {
  names.forEach((name, i) => {
    const first = names.indexOf(name);
    if (first !== i)
      throw new InputError(
        `${field}[${i}]: "${name}" is the same as ${field}[${first}]; each may appear once${hint}`,
      );
  });
}

/** A gate whose tags name no cell of this experiment could never be judged: say so before the run. */
function checkGateSelectors(
  gates: readonly Gate[],
  names: Record<keyof CellSelector, readonly string[]>,
): void {
  for (const gate of gates) {
    for (const key of Object.keys(gate.selector) as (keyof CellSelector)[]) {
      const value = gate.selector[key]!;
      if (!names[key].includes(value)) {
        throw new InputError(
          `gate "${gate.expression}": ${key} "${value}" is not part of this experiment; its ${key}s: ${names[key].join(', ')}`,
        );
      }
    }
  }
}

/**
 * Every delay the run will hand a Node timer, checked against what a timer holds (a longer
 * one fires after 1 ms): the schema's limits keep each input in range, and this guards
 * what is computed from them (a drain raised by recovery knobs, a fault at a share of the window).
 */
function checkTimers(cells: readonly ResolvedCell[]): void {
  const tooLong = (ms: number | null) => ms !== null && !(ms <= MAX_TIMER_MS);
  for (const cell of cells) {
    const windowMs = cell.arrivals.at(-1)?.offsetMs ?? 0;
    if (tooLong(windowMs))
      throw new InputError(`the arrivals would span ${windowMs} ms, beyond a timer's ${MAX_TIMER_MS} ms`);
    if (tooLong(cell.drainTimeoutMs))
      throw new InputError(
        `cell ${cell.id}: a drain of ${cell.drainTimeoutMs} ms (from the adapter's recovery knobs) is beyond a timer's ${MAX_TIMER_MS} ms`,
      );
    for (const fault of cell.planned) {
      const endMs = (fault.atMs ?? 0) + (fault.durationMs ?? 0);
      if (tooLong(endMs))
        throw new InputError(
          `cell ${cell.id}: fault ${fault.id} (${fault.kind}) would end ${endMs} ms into the load, beyond a timer's ${MAX_TIMER_MS} ms`,
        );
    }
  }
}

/** An adapter's declaration with its recovery facts for these knobs: what config.json records. */
export function topologyOf(adapter: AnyAdapter, knobs: Record<string, unknown>): AdapterTopology {
  return {
    name: adapter.name,
    ...(adapter.lineage ? { lineage: adapter.lineage } : {}),
    services: adapter.services,
    links: adapter.links,
    orchestrator: adapter.orchestrator,
    workers: adapter.workersFor?.(knobs) ?? adapter.workers,
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
