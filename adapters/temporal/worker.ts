import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { temporalConnectionOptions } from '../../core/credentials.js';
import { endpointOption } from '../../core/services.js';
import type { StartWorker } from '../types.js';
import { createActivities } from './activities.js';
import { isPreparedBundle } from './bundle.js';
import type { TemporalKnobs } from './knobs.js';
import { ACTIVITY_ROLE, activityTaskQueueName, taskQueueName, WORKFLOW_ROLE } from './protocol.js';
import { workflowSinks } from './sinks.js';

/** SIGTERM lets in-flight steps finish this long (the supervisor SIGKILLs after 10 s). */
const SHUTDOWN_GRACE_MS = 8_000;

/**
 * A Temporal worker process: polls the cell's task queue for workflow tasks (the DAG
 * interpreter, loaded from the experiment's prebuilt bundle) and activity tasks (the
 * shared step runtime). It reaches the server through the `server` Toxiproxy link.
 *
 * Its role says what it runs: `worker` (this adapter's only role) both; `workflow` only
 * the workflows, whose activities go to another queue (temporal-polyglot runs this worker
 * in that role, with activity workers in Python); `activity` only activities, on that queue.
 */
export const startWorker: StartWorker<TemporalKnobs> = async ({ config, runtime, traces }) => {
  const began = performance.now();
  const { knobs, prepared } = config;
  const endpoint = config.endpoints.server;
  if (!endpoint) throw new Error('temporal worker started without a "server" endpoint');
  if (!isPreparedBundle(prepared)) throw new Error('temporal worker started without a workflow bundle');
  // Core logs every poll retry at INFO during a network fault; warnings are enough in a worker log.
  Runtime.install({ logger: new DefaultLogger('WARN') });

  const runsWorkflows = config.role !== ACTIVITY_ROLE;
  const runsActivities = config.role !== WORKFLOW_ROLE;
  const connection = await NativeConnection.connect(temporalConnectionOptions(endpoint));
  const worker = await Worker.create({
    connection,
    namespace: endpointOption(endpoint, 'namespace', 'temporal'),
    taskQueue: runsWorkflows
      ? taskQueueName(knobs.taskQueue, config.cell)
      : activityTaskQueueName(knobs.taskQueue, config.cell),
    identity: config.workerId,
    ...(runsWorkflows ? { workflowBundle: { codePath: prepared.codePath } } : {}),
    ...(runsActivities
      ? { activities: createActivities(runtime, { resumeFromCheckpoint: knobs.resumeFromCheckpoint }) }
      : {}),
    maxConcurrentActivityTaskExecutions: knobs.maxConcurrentActivityTaskExecutions,
    maxConcurrentWorkflowTaskExecutions: knobs.maxConcurrentWorkflowTaskExecutions,
    stickyQueueScheduleToStartTimeout: knobs.stickyQueueScheduleToStartTimeout,
    maxHeartbeatThrottleInterval: knobs.maxHeartbeatThrottleInterval,
    shutdownGraceTime: SHUTDOWN_GRACE_MS,
    // Temporal's own OpenTelemetry: each activity a span, a child of the workflow's (its
    // context came in the headers); the workflow's spans leave the sandbox through this
    // sink, which a bundle with the workflow interceptors needs registered (traced or not).
    interceptors: traces
      ? {
          activity: [
            (ctx) => ({
              inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
              outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
            }),
          ],
        }
      : {},
    sinks: prepared.traced ? workflowSinks(traces) : {},
  });

  let closing = false;
  const running = worker.run().catch((error: Error) => {
    if (closing) return;
    // A worker that gave up (e.g. the server stayed unreachable) dies, and the supervisor restarts it.
    console.error(`temporal worker ${config.workerId} stopped: ${error.message}`);
    process.exit(1);
  });
  console.log(`temporal worker ${config.workerId} ready in ${Math.round(performance.now() - began)} ms`);

  return {
    async close() {
      closing = true;
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
};
