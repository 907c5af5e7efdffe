import type { AnyAdapter } from '../../adapters/index.js';
import type { AdapterDriver } from '../../adapters/types.js';
import { type CellFaults, type ChaosCell, workerSettingsFor } from '../../chaos/index.js';
import { now } from '../../core/clock.js';
import type { HistoryWriter } from '../../core/history/writer.js';
import type { AdapterTopology } from '../../core/topology.js';
import type { Scenario } from '../../scenarios/model.js';
import type { RunPlan } from '../../scenarios/plan.js';
import { WORLD_LINK } from '../../scenarios/worker-protocol.js';
import type { Experiment } from '../config/experiment.js';
import { FootprintSampler, type SampleTarget } from '../footprint/sampler.js';
import { LINK_SERVICE } from '../services/kinds/index.js';
import { startHelper } from '../supervisor/helper.js';
import { Supervisor } from '../supervisor/supervisor.js';
import { RunSpans } from '../tracing/run-spans.js';
import type { Arrival } from './arrivals.js';
import type { Environment } from './environment.js';
import { RunTracker } from './run-tracker.js';
import { submitArrivals } from './submissions.js';

export interface CellSpec {
  id: string;
  scenario: Scenario;
  plan: RunPlan;
  adapter: AnyAdapter;
  /** The name the cell's adapter goes by (the experiment entry's `as`, else the adapter's own). */
  adapterName: string;
  knobs: Record<string, unknown>;
  topology: AdapterTopology;
  prepared: unknown;
  faults: CellFaults;
  /** The experiment's drain, or more where faults kill mid-step (chaos's drainTimeoutFor). */
  drainTimeoutMs: number;
}

export interface CellRunOptions {
  experiment: Experiment;
  arrivals: Arrival[];
  env: Environment;
  history: HistoryWriter;
  runDir: string;
  log: (line: string) => void;
  /**
   * The previous cell's teardown, still under way (`CellRun.stopped`): this cell sets up its
   * driver and starts its workers meanwhile, and waits for it before its measurement begins.
   */
  previousStopped?: Promise<void>;
}

export interface CellRun {
  refused: number;
  undone: number;
  /**
   * Settles once the cell's workers have exited and its driver is torn down. A Celery
   * worker's warm shutdown alone takes about 2 s (its prefork pool's join), so the next
   * cell starts its own workers meanwhile (`previousStopped`) rather than after it.
   */
  stopped: Promise<void>;
}

/**
 * One cell: workers up, open-loop submissions on the shared schedule, faults
 * alongside, every fault healed, then drain until every run is done or the drain
 * timeout passes. Everything it observes goes to the history; it computes nothing.
 * It returns at the end of its drain, its teardown still under way (`CellRun.stopped`);
 * a cell that fails tears down before it throws.
 */
export async function runCell(cell: CellSpec, options: CellRunOptions): Promise<CellRun> {
  const { experiment, env, history, runDir, arrivals, log } = options;
  // The adapter's harness-side helpers (Celery's submitter), sampled with the harness's side.
  const helpers = new Map<string, number>();
  const adapterDriver = cell.adapter.createDriver({
    cell: cell.id,
    scenario: cell.scenario,
    plan: cell.plan,
    knobs: cell.knobs,
    services: env.services,
    runDir,
    prepared: cell.prepared,
    startHelper: (name, command) => {
      const helper = startHelper(runDir, name, command);
      helpers.set(`helper:${name}`, helper.pid);
      return helper;
    },
    workers: cell.topology.workers,
    traces: experiment.traces,
  });
  // Traced: each run is a trace whose root span the harness holds (harness/tracing).
  const runSpans = experiment.traces ? new RunSpans(cell.id) : null;
  const driver = runSpans ? runSpans.wrap(adapterDriver) : adapterDriver;
  const tracker = new RunTracker(history, cell.id);
  driver.observe(tracker.onRunDone);
  relayApprovals(env, driver, cell.id, log);
  const chaosDir = `${runDir}/chaos/${cell.id.replaceAll('/', '_')}`;
  const supervisor = new Supervisor({
    count: experiment.load.workers,
    roles: cell.topology.workers,
    config: {
      cell: cell.id,
      adapter: cell.adapterName,
      scenario: cell.scenario,
      knobs: cell.knobs,
      endpoints: workerEndpoints(env, cell.topology),
      // --idempotent turns keys on for every adapter; each adapter's idempotencyKeys knob for itself.
      idempotentEffects: experiment.idempotent || cell.knobs.idempotencyKeys === true,
      prepared: cell.prepared,
      failpoints: cell.faults.failpoints(chaosDir),
      runDir,
      ...workerSettingsFor(cell.faults.planned, cell.scenario),
    },
    runDir,
    history,
    restartDelayMs: experiment.workerRestartDelayMs,
    traces: experiment.traces,
  });
  const footprint = new FootprintSampler({
    history,
    cell: cell.id,
    targets: () => sampleTargets(env, supervisor, helpers),
    // One reading per process and tick: the workers' also feed their worker-usage.
    onReading: (target, reading) => {
      if (target.role === 'worker') supervisor.recordUsage(target.name, target.pid, reading);
    },
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      footprint.stop();
      await cell.faults.healAll().catch(() => {});
      await supervisor.stop();
      await driver.teardown();
    })());
  try {
    const setupBegan = now();
    await driver.setup();
    const workersBegan = now();
    await supervisor.start();
    const workersReady = now();
    // Nothing of the previous cell runs while this one is measured: its workers are gone.
    await options.previousStopped;
    await env.world.stats(); // starts the world's utilisation window at this cell
    history.append({
      type: 'cell-start',
      cell: cell.id,
      drainTimeoutMs: cell.drainTimeoutMs,
      workers: supervisor.ids(),
      roles: supervisor.roles(),
    });
    history.append({
      type: 'stack-start',
      cell: cell.id,
      servicesMs: { ...env.servicesStartMs },
      setupMs: Math.round(workersBegan - setupBegan),
      workersMs: Math.round(workersReady - workersBegan),
    });
    footprint.start();
    const startedAt = now() + 20;
    cell.faults.start(chaosCell(cell, env, supervisor, driver, chaosDir), startedAt);
    const refused = await submitArrivals({
      cell: cell.id,
      arrivals,
      startedAt,
      driver,
      tracker,
      history,
      log,
    });
    // Jepsen's final generator: heal everything, then give the system time to finish.
    await cell.faults.healAll();
    const undone = await tracker.drain(cell.drainTimeoutMs);
    runSpans?.endOpen();
    if (undone > 0) log(`  ${undone} runs still not done after the ${cell.drainTimeoutMs} ms drain`);
    footprint.stop();
    history.append({ type: 'world-stats', cell: cell.id, ...(await env.world.stats()) });
    history.append({ type: 'cell-end', cell: cell.id, undone });
    const stopped = stop();
    // Awaited later (by the next cell, or the experiment's end): a failure must not count as
    // unhandled meanwhile, which would end the process. Whoever awaits it still gets it.
    stopped.catch(() => {});
    return { refused, undone, stopped };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * What the footprint samples: the services the provider runs here, the world, the harness,
 * the adapter's harness-side helpers, the workers.
 */
function sampleTargets(
  env: Environment,
  supervisor: Supervisor,
  helpers: ReadonlyMap<string, number>,
): SampleTarget[] {
  const targets: SampleTarget[] = Object.entries(env.provider.processes?.() ?? {}).map(([name, pid]) => ({
    name,
    role: 'service',
    pid,
  }));
  targets.push({ name: 'world', role: 'world', pid: env.world.pid });
  targets.push({ name: 'harness', role: 'harness', pid: process.pid });
  for (const [name, pid] of helpers) targets.push({ name, role: 'helper', pid });
  for (const id of supervisor.ids()) {
    const pid = supervisor.pidOf(id);
    if (pid !== undefined) targets.push({ name: id, role: 'worker', pid });
  }
  return targets;
}

/** The world's human decided: the decision reaches the run through the adapter (a signal). */
function relayApprovals(
  env: Environment,
  driver: AdapterDriver,
  cell: string,
  log: (line: string) => void,
): void {
  env.world.onApprovalDecision((message) => {
    if (message.cell !== cell) return;
    driver
      .signal(message.runId, message.stepId, { approved: message.approved, by: 'world-approver' })
      .catch((e: Error) => log(`  signal to ${message.runId} failed: ${e.message}`));
  });
}

/** The endpoints a cell's workers get: its adapter's links, and the world's. */
function workerEndpoints(env: Environment, topology: AdapterTopology): Environment['links'] {
  const names = [WORLD_LINK, ...topology.links.map((l) => l.name)];
  return Object.fromEntries(names.map((name) => [name, env.links[name]!]));
}

/** What chaos may do to this live cell. */
function chaosCell(
  cell: CellSpec,
  env: Environment,
  supervisor: Supervisor,
  driver: AdapterDriver,
  chaosDir: string,
): ChaosCell {
  return {
    cell: cell.id,
    topology: cell.topology,
    scenario: cell.scenario,
    workers: {
      ids: (role) => supervisor.ids(role),
      signal: (ids, signal) => supervisor.signal(ids, signal),
      inFlight: () => supervisor.inFlight(),
      poolChildren: (id) => supervisor.poolChildren(id),
      signalPoolChild: (id, pid, signal) => supervisor.signalPoolChild(id, pid, signal),
      // The workers one by one, then the driver's own side where it builds runs (Celery's submitter).
      async redeploy(update) {
        await supervisor.redeploy(update);
        const current = update.scenarioVersions.find((v) => v.version === update.scenarioVersion)!;
        await driver.deployed?.({ version: update.scenarioVersion, scenario: current.scenario });
      },
    },
    services: { restart: (name, options) => env.provider.restart(name, options) },
    world: { setFaults: (faults) => env.world.setFaults(faults) },
    toxiproxy: env.services[LINK_SERVICE],
    chaosDir,
  };
}
