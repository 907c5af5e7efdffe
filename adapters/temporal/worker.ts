import { readFileSync } from 'node:fs';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import {
  DefaultLogger,
  type InjectedSinks,
  type LogLevel,
  type LogMetadata,
  makeTelemetryFilterString,
  NativeConnection,
  Runtime,
  Worker,
} from '@temporalio/worker';
import { temporalConnectionOptions } from '../../core/credentials.js';
import { endpointOption } from '../../core/services.js';
import type { RunPlan } from '../../scenarios/plan.js';
import type { StartWorker, WorkerContext } from '../types.js';
import { createActivities } from './activities.js';
import type { TemporalKnobs } from './knobs.js';
import { isPreparedBundle } from './prepared-bundle.js';
import {
  ACTIVITY_ROLE,
  activityTaskQueueName,
  pipelineSteps,
  type RunSinks,
  taskQueueName,
  WORKFLOW_CODE_GLOBAL,
  WORKFLOW_ROLE,
  type WorkflowCode,
} from './protocol.js';
import { workflowSinks } from './sinks.js';

/** SIGTERM lets in-flight steps finish this long (the supervisor SIGKILLs after 10 s). */
const SHUTDOWN_GRACE_MS = 8_000;

/**
 * A Temporal worker process: polls the cell's task queue for workflow tasks (the DAG
 * interpreter, loaded from the experiment's prebuilt bundle with this worker's scenario
 * version as its code) and activity tasks (the shared step runtime). It reaches the
 * server through the `server` Toxiproxy link.
 *
 * Its role says what it runs: `worker` (this adapter's only role) both; `workflow` only
 * the workflows, whose activities go to another queue (temporal-polyglot runs this worker
 * in that role, with activity workers in Python); `activity` only activities, on that queue.
 */
export const startWorker: StartWorker<TemporalKnobs> = async (ctx) => {
  const { config, runtime, traces, versions } = ctx;
  const began = performance.now();
  const { knobs, prepared } = config;
  const endpoint = config.endpoints.server;
  if (!endpoint) throw new Error('temporal worker started without a "server" endpoint');
  if (!isPreparedBundle(prepared)) throw new Error('temporal worker started without a workflow bundle');
  // Temporal run id → our run id, from the workflows themselves (RunSinks).
  const runsByTemporalId = new Map<string, string>();
  // Core logs every poll retry at INFO during a network fault; warnings are enough in a worker
  // log. They come through our logger, which records non-determinism errors as version conflicts.
  Runtime.install({
    logger: new ConflictWatchingLogger((temporalRunId, detail) => {
      const runId = runsByTemporalId.get(temporalRunId);
      if (runId !== undefined) runtime.versionConflict(runId, detail);
    }),
    telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
  const sinks: InjectedSinks<RunSinks> = {
    faultline: {
      run: {
        fn: (info, runId) => {
          runsByTemporalId.set(info.runId, runId);
        },
        callDuringReplay: true,
      },
    },
  };

  const runsWorkflows = config.role !== ACTIVITY_ROLE;
  const runsActivities = config.role !== WORKFLOW_ROLE;
  const activities = createActivities((version) => versions.get(version ?? -1)?.runtime ?? runtime, {
    resumeFromCheckpoint: knobs.resumeFromCheckpoint,
  });
  const connection = await NativeConnection.connect(temporalConnectionOptions(endpoint));
  const worker = await Worker.create({
    connection,
    namespace: endpointOption(endpoint, 'namespace', 'temporal'),
    taskQueue: runsWorkflows
      ? taskQueueName(knobs.taskQueue, config.cell)
      : activityTaskQueueName(knobs.taskQueue, config.cell),
    identity: config.workerId,
    // The bundle is shared by every worker; what makes it this worker's code is the plan it is given.
    ...(runsWorkflows
      ? {
          workflowBundle: {
            code: `globalThis.${WORKFLOW_CODE_GLOBAL} = ${JSON.stringify(workflowCode(ctx))};\n${readFileSync(prepared.codePath, 'utf8')}`,
          },
        }
      : {}),
    // A workflow-only worker still runs its timers' firings (a local activity runs where its workflow does).
    activities: runsActivities ? activities : { fireTimer: activities.fireTimer },
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
    sinks: { ...(prepared.traced ? workflowSinks(traces) : {}), ...sinks },
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

/**
 * This worker's workflow code: the plan of the scenario version it runs. With knob
 * versioning `patched`, a version after the first also carries the previous version's plan
 * and the patch id that tells a run's history apart, and activities name their version.
 */
function workflowCode({ config, plan, versions }: WorkerContext<TemporalKnobs>): WorkflowCode {
  const own = config.scenarioVersion ?? 1;
  const codePlan = (version: number, versionPlan: RunPlan) => ({
    version,
    steps: pipelineSteps(versionPlan),
    rollsBackOnFailure: versionPlan.rollsBackOnFailure,
  });
  const patchedCode = config.knobs.versioning === 'patched';
  const previous = versions.get(own - 1);
  return {
    ...codePlan(own, plan),
    versionedActivities: patchedCode,
    ...(patchedCode && previous
      ? { patch: { patchId: `faultline-v${own}`, previous: codePlan(previous.version, previous.plan) } }
      : {}),
  };
}

/**
 * The worker's logger (warnings up): prints as Temporal's default does, and hands every
 * non-determinism error core reports ("Failing workflow task", with the Temporal run id
 * and the failure) to `onConflict`, once per failed workflow task.
 */
class ConflictWatchingLogger extends DefaultLogger {
  constructor(private readonly onConflict: (temporalRunId: string, detail: string) => void) {
    super('WARN');
  }

  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    super.log(level, message, meta);
    const failure = String(meta?.failure ?? '');
    const runId = meta?.runId ?? meta?.run_id;
    if (typeof runId === 'string' && /nondeterminism/i.test(failure)) {
      const detail = /message: "([^"]*)"/.exec(failure)?.[1] ?? failure.slice(0, 300);
      this.onConflict(runId, detail);
    }
  }
}
