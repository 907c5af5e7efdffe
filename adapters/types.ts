import type { z } from 'zod';
import type { ServiceEndpoints, ServiceName } from '../core/services.js';
import type {
  AdapterLineage,
  LinkDeclaration,
  RecoveryFacts,
  WorkerCommand,
  WorkerRoleDeclaration,
} from '../core/topology.js';
import type { Scenario } from '../scenarios/model.js';
import type { RunPlan } from '../scenarios/plan.js';

/**
 * The boundary between the harness and an orchestration strategy, in the manner of
 * OpenMessaging Benchmark's drivers: five small methods. An adapter decides only HOW
 * orchestration happens (jobs and queues, workflows and activities), never WHAT a
 * step does: every step runs through the shared step runtime, in whatever language
 * the adapter's workers are written (adapters/README.md, the worker protocol).
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
  /**
   * A rolling deploy finished: every worker runs `scenario` as version `version` now. Only
   * for drivers whose own side builds a run's shape (Celery's submitter publishes each
   * run's whole canvas): the application that submits is deployed too, so runs submitted
   * from now on are the new version's. Drivers that hand over a run id alone need nothing.
   */
  deployed?(update: { version: number; scenario: Scenario }): Promise<void>;
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
  /**
   * Starts a helper process of the adapter's for this cell, e.g. a producer written in the
   * workers' language: the harness starts it, logs its stderr to `logs/<name>.log`, and kills
   * it with the rest. It is not a worker: it reaches the services directly (give it
   * `services`), and chaos never targets it. The driver speaks to it over its stdin and
   * stdout; it stops it in `teardown`.
   */
  startHelper(name: string, command: WorkerCommand): HelperProcess;
  /** The adapter's worker roles, as declared: a driver whose work is split across roles routes it by them. */
  workers: readonly WorkerRoleDeclaration[];
  /**
   * The run is traced: the harness holds each run's root span active while `submit` runs,
   * so the orchestrator's own instrumentation (turned on by the driver) carries it on.
   */
  traces?: boolean;
}

/** A helper process, spoken to in lines of text over its stdin and stdout. */
export interface HelperProcess {
  readonly pid: number;
  /** Writes one line to its stdin. */
  send(line: string): void;
  /** Called with each line it writes to stdout. */
  onLine(listener: (line: string) => void): void;
  /** Resolves once it has exited. */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** Closes its stdin (its cue to finish), then SIGTERM and SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface AdapterDefinition<Knobs = Record<string, unknown>> {
  /** The adapter's public name: the name of its folder. */
  name: string;
  description: string;
  /**
   * The orchestrator it drives and its workers' language: reports set adapters of one
   * family side by side by language (a family's adapters should share knobs and driver).
   */
  lineage?: AdapterLineage;
  /** The services this adapter needs started (harness/services/kinds). */
  services: readonly ServiceName[];
  /** The links its workers go through, each in front of one of its services. */
  links: readonly LinkDeclaration[];
  /** What `orchestrator` (a link) and `backend` (a service) mean in a fault schedule. */
  orchestrator: { link: string; service: ServiceName };
  /** Its worker processes (at the default knobs): how to start each kind and what killing one means. */
  workers: readonly WorkerRoleDeclaration[];
  /** Its worker processes for these knobs, when the knobs change them (a prefork pool has children, a thread pool none). */
  workersFor?(knobs: Knobs): readonly WorkerRoleDeclaration[];
  /** Knobs with their defaults; parsing `{}` gives the default configuration. */
  knobs: z.ZodType<Knobs>;
  /** How long work held by a dead worker stays unclaimed at most, and the knobs that decide it. */
  recovery(knobs: Knobs): RecoveryFacts;
  /**
   * Once per experiment, before any cell (e.g. bundle workflow code once). `traced`: the
   * experiment records traces (an untraced one need not carry the instrumentation).
   */
  prepare?(runDir: string, options: { traced: boolean }): Promise<unknown>;
  createDriver(ctx: DriverContext<Knobs>): AdapterDriver;
  /**
   * Its yardstick for `faultline bench`: a bare script of the same library, which the
   * harness's throughput on the no-op scenario is compared with. Absent: the bench skips it.
   */
  bench?: AdapterBench;
}

/**
 * How `faultline bench` measures an adapter against its library used bare
 * (scenarios/bare-protocol.ts): the two processes of the bare script, the knobs that give
 * the Faultline cell the same concurrency, and how many runs make a steady figure.
 */
export interface AdapterBench {
  /** The bare script's processes, started like workers (node, python or exec). */
  bare: { producer: WorkerCommand; worker: WorkerCommand };
  /**
   * The knobs (as given in an experiment; defaults fill the rest) that make one worker
   * process run `concurrency` no-op runs at once: the bare worker gets the same, parsed.
   */
  knobs(concurrency: number): Record<string, unknown>;
  /** Runs a measurement takes unless `--runs` says otherwise: enough for seconds of steady load. */
  defaultRuns: number;
}

export type {
  StartWorker,
  WorkerContext,
} from '../scenarios/worker-protocol.js';
export type { WorkerRoleDeclaration };
