import type { z } from 'zod';
import type { HostPort, ServiceEndpoints, ServiceName } from '../core/services.js';
import type { FailpointSpec } from '../scenarios/failpoints.js';
import type { Scenario } from '../scenarios/model.js';
import type { RunPlan } from '../scenarios/plan.js';
import type { StepRuntime } from '../scenarios/runtime.js';

/**
 * The boundary between the harness and an orchestration strategy, in the manner of
 * OpenMessaging Benchmark's drivers: five small methods. An adapter decides only HOW
 * orchestration happens (jobs and queues, workflows and activities), never WHAT a
 * step does: every step runs through the shared StepRuntime.
 */
export interface AdapterDriver {
  /** Connects to the services and prepares queues / namespaces for this cell. */
  setup(): Promise<void>;
  /** Registers the listener for final run states; the driver calls it once per run. */
  observe(onRunDone: (outcome: RunOutcome) => void): void;
  /** Hands one run to the orchestrator; resolves once the orchestrator acknowledged it. */
  submit(runId: string): Promise<void>;
  /** Delivers a human decision to a run waiting at an approval step. */
  signal(runId: string, stepId: string, decision: ApprovalDecision): Promise<void>;
  /** Closes connections; leaves the services running (the harness owns them). */
  teardown(): Promise<void>;
}

export interface RunOutcome {
  runId: string;
  status: 'completed' | 'failed';
  output?: unknown;
}

export interface ApprovalDecision {
  approved: boolean;
  by?: string;
}

/** What the harness gives a driver for one cell. */
export interface DriverContext<Knobs> {
  cell: string;
  scenario: Scenario;
  plan: RunPlan;
  knobs: Knobs;
  /** Endpoints the harness itself uses (never behind a fault). */
  services: ServiceEndpoints;
  /** Folder of this run, for artefacts such as a workflow bundle. */
  runDir: string;
  /** Whatever `prepare` returned, e.g. the path of a workflow bundle. */
  prepared: unknown;
}

/** Endpoints a worker process uses: through Toxiproxy links, so network faults reach it. */
export interface WorkerEndpoints {
  redis?: HostPort;
  temporal?: HostPort & { namespace: string };
  world: HostPort;
}

/** What a worker process receives (as JSON) from the supervisor. */
export interface WorkerConfig<Knobs = Record<string, unknown>> {
  workerId: string;
  cell: string;
  adapter: string;
  scenario: Scenario;
  knobs: Knobs;
  endpoints: WorkerEndpoints;
  /** This worker's own history file. */
  historyPath: string;
  /** Effects carry an idempotency key derived from (run, step). */
  idempotentEffects: boolean;
  prepared: unknown;
  /** Failpoints armed in this worker (chaos). */
  failpoints?: FailpointSpec[];
}

export interface WorkerContext<Knobs> {
  config: WorkerConfig<Knobs>;
  plan: RunPlan;
  runtime: StepRuntime;
}

/** A running worker inside its process; `close` lets in-flight work finish (SIGTERM). */
export interface WorkerHandle {
  close(): Promise<void>;
}

export interface AdapterDefinition<Knobs = Record<string, unknown>> {
  name: string;
  description: string;
  /** The services this adapter needs started. */
  services: readonly ServiceName[];
  /** Knobs with their defaults; parsing `{}` gives the default configuration. */
  knobs: z.ZodType<Knobs>;
  /** The knob whose value governs recovery after a worker dies, for reports. */
  recoveryKnob(knobs: Knobs): string;
  /** Once per experiment, before any cell (e.g. bundle workflow code once). */
  prepare?(runDir: string): Promise<unknown>;
  createDriver(ctx: DriverContext<Knobs>): AdapterDriver;
  /** Absolute path of the module whose `startWorker(ctx)` runs in each worker process. */
  workerModule: string;
}

export type StartWorker<Knobs> = (ctx: WorkerContext<Knobs>) => Promise<WorkerHandle>;
