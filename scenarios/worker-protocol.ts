import { readFileSync } from 'node:fs';
import type { ServiceEndpoint } from '../core/services.js';
import type { FailpointSpec } from './failpoints.js';
import type { Scenario } from './model.js';
import type { RunPlan } from './plan.js';
import type { StepRuntime } from './runtime.js';
import type { TraceDestination } from './tracing/setup.js';

/**
 * The worker protocol (adapters/README.md): what the harness hands a worker process of
 * any language, and what a Node worker's entry point gets from the shared lifecycle.
 */
export const WORKER_PROTOCOL_VERSION = 1;

/** The link (and endpoint) every worker reaches the world through. */
export const WORLD_LINK = 'world';

/** The environment variable naming the worker's config file. */
export const WORKER_CONFIG_ENV = 'FAULTLINE_WORKER_CONFIG_FILE';

/** The config a worker reads, as JSON, from the file FAULTLINE_WORKER_CONFIG_FILE names. */
export interface WorkerConfig<Knobs = Record<string, unknown>> {
  /** Version of this contract. */
  protocol: number;
  workerId: string;
  /** Which of the adapter's worker roles this process plays (`worker` for most). */
  role: string;
  cell: string;
  adapter: string;
  /** The scenario as data: the worker plans runs from it (no file to find). */
  scenario: Scenario;
  knobs: Knobs;
  /**
   * Where the worker connects, by link name (the adapter's `links`, plus `world`): through
   * Toxiproxy, so network faults reach it. Each carries the fronted service's options.
   */
  endpoints: Readonly<Record<string, ServiceEndpoint>>;
  /** This worker's own history file (append one JSON line per event, one write each). */
  historyPath: string;
  /** Effects carry the idempotency key `${runId}:${stepId}`. */
  idempotentEffects: boolean;
  /** Whatever the adapter's `prepare` returned (e.g. a workflow bundle's path). */
  prepared: unknown;
  /** Failpoints armed in this worker (chaos). */
  failpoints: FailpointSpec[];
  /** The run folder. */
  runDir: string;
  /**
   * OpenTelemetry: where this worker writes the spans it ends (core/traces.ts), or null
   * when the run is not traced. OTLP export on top follows OTEL_EXPORTER_OTLP_ENDPOINT in
   * the worker's environment. Absent in configs of harnesses older than traces: null.
   */
  traces?: { path: string } | null;
  /**
   * Cells with a deploy only: the version of `scenario` this worker runs (1 before the
   * deploy, 2 after it). Every attempt the runtime records then carries it.
   */
  scenarioVersion?: number;
  /**
   * Cells with a deploy only: every version of the scenario up to this worker's, oldest
   * first, so a versioning remedy (versioned jobs, `patched()`) can keep running the steps
   * of runs that started on an older version with that version's definitions.
   */
  scenarioVersions?: ScenarioVersion[];
}

/** One version of a cell's scenario: what a rolling deploy hands the new workers. */
export interface ScenarioVersion {
  version: number;
  scenario: Scenario;
}

/** The plan and step runtime of one scenario version. */
export interface VersionedRuntime {
  version: number;
  plan: RunPlan;
  runtime: StepRuntime;
}

/** What a Node worker's `startWorker` gets: its config, the plan and the shared step runtime. */
export interface WorkerContext<Knobs> {
  config: WorkerConfig<Knobs>;
  plan: RunPlan;
  runtime: StepRuntime;
  /**
   * Where this process's spans go when the run is traced (null otherwise): adapters turn on
   * their orchestrator's own instrumentation then (BullMQ's telemetry, Temporal's interceptors).
   */
  traces: TraceDestination | null;
  /**
   * Cells with a deploy: the plan and runtime of every scenario version this worker knows,
   * its own included (`config.scenarioVersion`). Empty elsewhere.
   */
  versions: ReadonlyMap<number, VersionedRuntime>;
}

/** A running worker inside its process; `close` lets in-flight work finish (SIGTERM). */
interface WorkerHandle {
  close(): Promise<void>;
}

export type StartWorker<Knobs> = (ctx: WorkerContext<Knobs>) => Promise<WorkerHandle>;

/** Reads the config the supervisor wrote for this process; throws with a sentence when absent. */
export function readWorkerConfig<Knobs>(env: NodeJS.ProcessEnv = process.env): WorkerConfig<Knobs> {
  const path = env[WORKER_CONFIG_ENV];
  if (!path) throw new Error(`${WORKER_CONFIG_ENV} is not set: workers are started by the supervisor`);
  const config = JSON.parse(readFileSync(path, 'utf8')) as WorkerConfig<Knobs>;
  if (config.protocol !== WORKER_PROTOCOL_VERSION)
    throw new Error(
      `worker config speaks protocol ${config.protocol}; this worker speaks ${WORKER_PROTOCOL_VERSION}`,
    );
  return config;
}
