/**
 * Entry point of every worker process, whatever the adapter: builds the shared
 * step runtime, then hands over to the adapter's `startWorker`. Started only by
 * the supervisor, with its configuration in FAULTLINE_WORKER_CONFIG.
 */
import type { StartWorker, WorkerConfig } from '../../adapters/types.js';
import { armChaosFailpoints } from '../../chaos/failpoint.js';
import { HistoryWriter } from '../../core/history/writer.js';
import { planRun } from '../../scenarios/plan.js';
import { createStepRuntime } from '../../scenarios/runtime.js';
import { WorldClient } from '../../scenarios/world-client.js';

export interface WorkerLaunch extends WorkerConfig {
  workerModule: string;
}

const launch = JSON.parse(process.env.FAULTLINE_WORKER_CONFIG ?? 'null') as WorkerLaunch | null;
if (!launch) {
  console.error('worker-main: FAULTLINE_WORKER_CONFIG is not set; workers are started by the supervisor');
  process.exit(2);
}

// The harness is gone (crashed or killed): a worker must not outlive it.
process.on('disconnect', () => process.exit(0));

const history = new HistoryWriter(launch.historyPath);
const plan = planRun(launch.scenario);
const runtime = createStepRuntime({
  cell: launch.cell,
  workerId: launch.workerId,
  plan,
  world: new WorldClient(launch.endpoints.world),
  history,
  idempotentEffects: launch.idempotentEffects,
  // Each firing is recorded as a fault-start in this worker's history, right before it dies.
  failpoint: armChaosFailpoints(launch.failpoints ?? [], {
    history,
    cell: launch.cell,
    workerId: launch.workerId,
  }),
});

const { startWorker } = (await import(launch.workerModule)) as { startWorker: StartWorker<unknown> };
const handle = await startWorker({ config: launch, plan, runtime });

process.once('SIGTERM', () => {
  // Graceful: let in-flight steps finish, as an orchestrator's rolling restart would.
  handle.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
process.send?.({ type: 'ready' });
