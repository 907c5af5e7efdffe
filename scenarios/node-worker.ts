/**
 * The worker protocol's lifecycle for workers written in TypeScript: every Node adapter's
 * worker entry point is `await runNodeWorker(startWorker)`. It reads the config, builds
 * the shared step runtime with the cell's failpoints, starts the adapter's worker, and
 * announces readiness with `worker-start` in the worker's own history. Python workers do
 * the same in scenarios/python (lifecycle.py).
 */
import { HistoryWriter } from '../core/history/writer.js';
import { armFailpoints } from './failpoints.js';
import { planRun, type RunPlan } from './plan.js';
import { createStepRuntime } from './runtime.js';
import { type TraceDestination, traceTo } from './tracing/setup.js';
import { readWorkerConfig, type StartWorker, type VersionedRuntime, WORLD_LINK } from './worker-protocol.js';
import { WorldClient } from './world-client.js';

export async function runNodeWorker<Knobs>(startWorker: StartWorker<Knobs>): Promise<void> {
  const config = readWorkerConfig<Knobs>();
  exitWhenHarnessIsGone();
  // Before the adapter's libraries start: their instrumentation finds the provider then.
  const traces: TraceDestination | null = config.traces
    ? traceTo({
        serviceName: `faultline-${config.adapter}`,
        instanceId: config.workerId,
        file: config.traces.path,
      })
    : null;
  const history = new HistoryWriter(config.historyPath);
  const plan = planRun(config.scenario);
  const world = config.endpoints[WORLD_LINK];
  if (!world) throw new Error('the worker config has no "world" endpoint');
  const worldClient = new WorldClient(world);
  // Each firing is recorded as a fault-start in this worker's history, right before it dies.
  const failpoint = armFailpoints(config.failpoints, {
    history,
    cell: config.cell,
    workerId: config.workerId,
  });
  const runtimeOf = (versionPlan: RunPlan, version: number | undefined) =>
    createStepRuntime({
      cell: config.cell,
      workerId: config.workerId,
      plan: versionPlan,
      world: worldClient,
      history,
      idempotentEffects: config.idempotentEffects,
      failpoint,
      traced: traces !== null,
      ...(version === undefined ? {} : { version }),
    });
  const runtime = runtimeOf(plan, config.scenarioVersion);
  const versions = new Map<number, VersionedRuntime>();
  for (const { version, scenario } of config.scenarioVersions ?? []) {
    if (version === config.scenarioVersion) continue; // the worker's own version: set below
    const versionPlan = planRun(scenario);
    versions.set(version, { version, plan: versionPlan, runtime: runtimeOf(versionPlan, version) });
  }
  if (config.scenarioVersion !== undefined)
    versions.set(config.scenarioVersion, { version: config.scenarioVersion, plan, runtime });
  const handle = await startWorker({ config, plan, runtime, traces, versions });
  process.once('SIGTERM', () => {
    // Graceful: let in-flight steps finish, as an orchestrator's rolling restart would, and
    // export the spans still buffered (a SIGKILL loses them: trace completeness counts that).
    handle
      .close()
      .then(() => traces?.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  });
  history.append({ type: 'worker-start', cell: config.cell, worker: config.workerId, pid: process.pid });
}

/**
 * The supervisor holds the write end of this process's stdin and never writes: end of
 * file means the harness is gone (crashed, SIGKILLed), and a worker must not outlive it.
 */
function exitWhenHarnessIsGone(): void {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
