/**
 * Bare Temporal, the worker (the bench's yardstick; scenarios/bare-protocol.ts): one Worker
 * with the adapter's slots and sticky-queue timeout, a workflow running one no-op activity.
 * Nothing of Faultline runs here: no step runtime, no history, no interceptors.
 */
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { temporalConnectionOptions } from '../../../core/credentials.js';
import { endpointOption } from '../../../core/services.js';
import { announceReady, exitWithTheBench, readBareConfig } from '../../../scenarios/bare-protocol.js';
import type { TemporalKnobs } from '../knobs.js';

const activities = { async noop(): Promise<void> {} };
export type BareActivities = typeof activities;

const config = readBareConfig<TemporalKnobs>();
const { knobs } = config;
const endpoint = config.services.temporal!;
Runtime.install({ logger: new DefaultLogger('WARN') });
const connection = await NativeConnection.connect(temporalConnectionOptions(endpoint));
const worker = await Worker.create({
  connection,
  namespace: endpointOption(endpoint, 'namespace', 'temporal'),
  taskQueue: config.name,
  // Bundled here, before the worker announces itself ready: the bench's clock starts later.
  workflowsPath: fileURLToPath(new URL('./workflow.ts', import.meta.url)),
  activities,
  maxConcurrentActivityTaskExecutions: knobs.maxConcurrentActivityTaskExecutions,
  maxConcurrentWorkflowTaskExecutions: knobs.maxConcurrentWorkflowTaskExecutions,
  stickyQueueScheduleToStartTimeout: knobs.stickyQueueScheduleToStartTimeout,
  maxHeartbeatThrottleInterval: knobs.maxHeartbeatThrottleInterval,
});
const running = worker.run();
exitWithTheBench(async () => {
  worker.shutdown();
  await running;
  await connection.close();
});
announceReady(config);
