import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type CellMeta, createCellAnalysis } from '../../analysis/analyze.js';
import { evaluateGatesOnCell, parseGates } from '../../analysis/gates/index.js';
import { loadTag } from '../../analysis/pool.js';
import { Nemesis } from '../../chaos/index.js';
import { now } from '../../core/clock.js';
import { historyParts, mergeInTimeOrder, readEventsFrom } from '../../core/history/reader.js';
import type { CellResult, Results } from '../../core/results.js';
import type { Scenario } from '../../scenarios/model.js';
import { planRun } from '../../scenarios/plan.js';
import type { CapacitySettings } from '../config/capacity.js';
import { type Experiment, warmupRunsOf } from '../config/experiment.js';
import { poissonArrivals } from './arrivals.js';
import { runCell } from './cell.js';
import { kneeOf, nextRate, type RampStop } from './ramp.js';
import { computeResults, writeResults } from './recompute.js';
import type { RecordedCell } from './recorded-config.js';
import { type ResolvedAdapter, recordedConfig, resolveExperiment } from './resolve.js';
import { createRunFolder } from './run-folder.js';
import { type RunSession, startSession, writeConfigFile } from './session.js';

/** Fewer runs than this in a step say nothing about a p99. */
const MIN_RUNS_PER_STEP = 20;
/** Start-up and teardown a step costs beyond its load and drain, before one was measured. */
const FIRST_STEP_OVERHEAD_MS = 10_000;
/** At this share of one core (the world, the harness) or of the machine, the limit may not be the system's. */
const SATURATED = 0.85;

export type CapacityLimit = 'system' | 'harness' | 'world' | 'machine';

export interface CapacityStep {
  cell: string;
  rate: number;
  workers: number;
  held: boolean;
  /** The SLO gates that failed (or could not be judged), with what was observed. */
  broken: string[];
  completed: number;
  submitted: number;
  lost: number;
  latencyP99Ms: number | null;
  throughputPerSec: number | null;
  /** World and harness in cores (1 = a full core); the machine as its busy share of all cores. */
  utilisation: { world: number | null; harness: number | null; machine: number | null };
  durationMs: number;
}

interface CapacitySweep {
  scenario: string;
  adapter: string;
  workers: number;
  steps: CapacityStep[];
  /** The highest rate whose step held the SLO; null when none did. */
  maxSustainableRate: number | null;
  /** The lowest rate above it whose step broke the SLO; null when none did. */
  firstBreakingRate: number | null;
  stop: RampStop;
  /** At the first breaking step: whether the system under test was the limit, or what measures it. */
  limit: CapacityLimit | null;
  note: string;
}

/** capacity.json. */
export interface CapacityReport {
  schemaVersion: 1;
  slo: string[];
  settings: CapacitySettings;
  cores: number;
  sweeps: CapacitySweep[];
}

/**
 * `faultline capacity`: for each scenario × adapter × worker count, one cell per step of
 * the ramp (harness/runner/ramp.ts) on one set of services, each step judged by the SLO
 * from its own part of the history as soon as it ends; the whole run folder is then
 * analysed like any experiment's (results.json, reports), plus capacity.json.
 */
export async function runCapacity(
  experiment: Experiment,
  settings: CapacitySettings,
  outDir: string,
  log: (line: string) => void,
): Promise<{ report: CapacityReport; results: Results }> {
  parseGates(settings.slo);
  const resolved = await resolveExperiment({
    ...experiment,
    faults: ['none'],
    repeat: 1,
    capacity: settings,
  });
  createRunFolder(outDir);
  const base = recordedConfig(resolved);
  const cells: RecordedCell[] = [];
  const configNow = () => ({ ...base, cells: [...cells] });
  // config.json before anything starts: an interrupted sweep's folder still says what it was.
  writeConfigFile(outDir, configNow());
  // The sweep decides its cells as it goes: no progress bars, its own lines say each step.
  const session = await startSession(outDir, {
    experiment,
    adapters: resolved.adapters,
    cells: [],
    log,
  });
  const sweeps: CapacitySweep[] = [];
  const plans = resolved.scenarios.length * resolved.adapters.length * settings.workers.length;
  const budgetMs = settings.timeBoundMs / plans;
  try {
    for (const scenario of resolved.scenarios)
      for (const adapter of resolved.adapters)
        for (const workers of settings.workers) {
          const sweep = await runSweep(
            { session, experiment, settings, scenario, adapter, workers, budgetMs, log },
            (cell) => {
              cells.push(cell);
              writeConfigFile(outDir, configNow());
            },
          );
          sweeps.push(sweep);
        }
  } finally {
    await session.close();
  }
  const results = await computeResults(outDir, configNow());
  writeResults(outDir, results);
  return {
    report: { schemaVersion: 1, slo: settings.slo, settings, cores: availableParallelism(), sweeps },
    results,
  };
}

interface SweepContext {
  session: RunSession;
  experiment: Experiment;
  settings: CapacitySettings;
  scenario: Scenario;
  adapter: ResolvedAdapter;
  workers: number;
  budgetMs: number;
  log: (line: string) => void;
}

async function runSweep(ctx: SweepContext, record: (cell: RecordedCell) => void): Promise<CapacitySweep> {
  const { settings, scenario, adapter, workers, budgetMs, log } = ctx;
  const began = now();
  const steps: CapacityStep[] = [];
  let stop: RampStop;
  for (;;) {
    const decision = nextRate(
      steps.map((s) => ({ rate: s.rate, held: s.held })),
      settings,
    );
    if ('stop' in decision) {
      stop = decision.stop;
      break;
    }
    // Never start a step the budget cannot hold: the sweep stops by itself within its bound.
    const expectedMs =
      steps.length === 0
        ? settings.stepSeconds * 1000 + settings.drainTimeoutMs + FIRST_STEP_OVERHEAD_MS
        : Math.max(...steps.map((s) => s.durationMs));
    if (now() - began + expectedMs > budgetMs) {
      stop = 'time-bound';
      break;
    }
    const step = await runStep(ctx, decision.next, record);
    log(
      `  ${adapter.name} ×${workers} at ${step.rate}/s: ${step.held ? 'held' : `broke (${step.broken.join('; ')})`}`,
    );
    steps.push(step);
  }
  const { held, broke } = kneeOf(steps);
  const breaking = steps.find((s) => s.rate === broke);
  const limit = breaking ? limitOf(breaking) : null;
  return {
    scenario: scenario.name,
    adapter: adapter.name,
    workers,
    steps,
    maxSustainableRate: held,
    firstBreakingRate: broke,
    stop,
    limit,
    note: noteOf(adapter.name, workers, stop, breaking, limit),
  };
}

/** One step: a cell at this rate with these workers, judged by the SLO from its own events. */
async function runStep(
  ctx: SweepContext,
  rate: number,
  record: (cell: RecordedCell) => void,
): Promise<CapacityStep> {
  const { session, experiment, settings, scenario, adapter, workers, log } = ctx;
  const runs = Math.max(MIN_RUNS_PER_STEP, Math.round(rate * settings.stepSeconds));
  const load = { ratePerSec: rate, workers };
  const id = `${scenario.name}/${adapter.name}/none@${loadTag(load)}`;
  const stepExperiment: Experiment = {
    ...experiment,
    load: {
      runs,
      ratePerSec: rate,
      workers,
      drainTimeoutMs: settings.drainTimeoutMs,
      warmupRuns: Math.floor(runs * 0.1),
    },
  };
  const arrivals = poissonArrivals({
    runs,
    ratePerSec: rate,
    seed: experiment.seed,
    warmupRuns: warmupRunsOf(stepExperiment.load),
  });
  record({
    id,
    scenario: scenario.name,
    adapter: adapter.name,
    fault: 'none',
    drainTimeoutMs: settings.drainTimeoutMs,
    load,
    runs,
  });
  const offsets = partSizes(session.outDir);
  const began = now();
  log(`cell ${id}: ${runs} runs at ${rate}/s, ${workers} worker${workers === 1 ? '' : 's'}…`);
  const plan = planRun(scenario);
  const run = await runCell(
    {
      id,
      scenario,
      plan,
      adapter: adapter.adapter,
      adapterName: adapter.name,
      knobs: adapter.knobs,
      topology: adapter.topology,
      prepared: session.prepared.get(adapter.adapter.name),
      faults: new Nemesis({ faults: [], history: session.history, log }),
      drainTimeoutMs: settings.drainTimeoutMs,
    },
    {
      experiment: stepExperiment,
      arrivals,
      env: session.env,
      history: session.history,
      runDir: session.outDir,
      log,
    },
  );
  await run.stopped;
  const durationMs = Math.round(now() - began);
  const cell = await analyzeSince(session.outDir, offsets, {
    id,
    scenario: scenario.name,
    adapter: adapter.name,
    fault: 'none',
    load,
    knobs: adapter.knobs,
    plan,
    governedBy: adapter.topology.recovery.governedBy,
    services: adapter.topology.services,
    // As `faultline report` will read it from config.json (recompute.ts): the step's own runs.
    plannedRuns: runs,
  });
  const gates = evaluateGatesOnCell(settings.slo, cell);
  const broken = gates.filter((g) => g.status !== 'PASS').map((g) => `${g.gate.expression}: ${g.message}`);
  return {
    cell: id,
    rate,
    workers,
    held: broken.length === 0,
    broken,
    completed: cell.runs.completed,
    submitted: cell.runs.submitted,
    lost: cell.runs.lost,
    latencyP99Ms: cell.latencyMs.p99,
    throughputPerSec: cell.throughputPerSec,
    utilisation: {
      world: cell.world?.cpuUtilisation ?? null,
      harness: cell.footprint?.harnessCores ?? null,
      machine: cell.footprint?.machineBusy ?? null,
    },
    durationMs,
  };
}

/** Every history part's size now: a step's events are what the parts hold beyond it. */
function partSizes(outDir: string): Map<string, number> {
  return new Map(historyParts(join(outDir, 'history.d')).map((path) => [path, statSync(path).size]));
}

/** One cell's result from the history parts written since `offsets`, while the run goes on. */
async function analyzeSince(
  outDir: string,
  offsets: Map<string, number>,
  meta: CellMeta,
): Promise<CellResult> {
  const analysis = createCellAnalysis(meta);
  const parts = historyParts(join(outDir, 'history.d'));
  for await (const event of mergeInTimeOrder(
    parts.map((path) => readEventsFrom(path, offsets.get(path) ?? 0)),
  ))
    if (event.cell === meta.id) analysis.add(event);
  return analysis.result();
}

/** Whose limit the breaking step hit: the world's or the harness's core, the whole machine, else the system's. */
export function limitOf(step: Pick<CapacityStep, 'utilisation'>): CapacityLimit {
  const { world, harness, machine } = step.utilisation;
  if (world !== null && world >= SATURATED) return 'world';
  if (harness !== null && harness >= SATURATED) return 'harness';
  if (machine !== null && machine >= SATURATED) return 'machine';
  return 'system';
}

function noteOf(
  adapter: string,
  workers: number,
  stop: RampStop,
  breaking: CapacityStep | undefined,
  limit: CapacityLimit | null,
): string {
  const who = `${adapter} with ${workers} worker${workers === 1 ? '' : 's'}`;
  if (stop === 'time-bound')
    return `${who}: the time bound ended the sweep; its maximum is a lower bound${breaking ? '' : ' (no rate broke the SLO yet)'}`;
  if (stop === 'max-rate') return `${who}: held the SLO up to the highest rate allowed; the knee is higher`;
  if (stop === 'min-rate') return `${who}: broke the SLO even at the lowest rate allowed`;
  if (!breaking || !limit) return who;
  const pct = (x: number | null) => (x === null ? '?' : `${Math.round(x * 100)}%`);
  switch (limit) {
    case 'world':
      return `${who}: at ${breaking.rate}/s the world (simulated APIs) used ${pct(breaking.utilisation.world)} of a core: the limit may be the harness's, not ${adapter}'s`;
    case 'harness':
      return `${who}: at ${breaking.rate}/s the harness used ${pct(breaking.utilisation.harness)} of a core: the limit may be the harness's, not ${adapter}'s`;
    case 'machine':
      return `${who}: at ${breaking.rate}/s the machine was ${pct(breaking.utilisation.machine)} busy: the knee is the machine's as much as ${adapter}'s`;
    case 'system':
      return `${who}: ${adapter} itself was the limit (world, harness and machine below ${Math.round(SATURATED * 100)}%)`;
  }
}
