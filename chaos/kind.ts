import type { z } from 'zod';
import type { WorkerStep } from '../core/history/events.js';
import type { Rng } from '../core/random.js';
import type { AdapterTopology } from '../core/topology.js';
import type { FailpointSpec } from '../scenarios/failpoints.js';
import type { Scenario } from '../scenarios/model.js';
import type { VersionChange } from '../scenarios/versions.js';
import type { WorkerConfig } from '../scenarios/worker-protocol.js';
import type { ChaosCell } from './ports.js';

/**
 * A fault kind: one file in chaos/kinds/ (named after the kind) whose default export is
 * this, in the manner of Jepsen's small composable nemeses. It says how a schedule entry
 * of the kind is written, planned, checked against an adapter, and injected, and whether
 * it kills steps mid-flight (the one definition of "a kill"). The registry finds it.
 */
export interface FaultKind<Entry extends FaultEntry = FaultEntry> {
  kind: string;
  /** One line for the documentation and `faultline list`. */
  description: string;
  /** A schedule entry of this kind, with its defaults (errors name the field). */
  entry: z.ZodType<Entry>;
  /** When, for how long and against which symbolic target the entry happens. */
  plan(entry: Entry, ctx: ScheduleContext, rng: Rng): Omit<PlannedFault, 'id' | 'kind'>;
  /** A reason the entry cannot run against this adapter (before anything starts), or undefined. */
  check?(entry: Entry, ctx: CheckContext): string | undefined;
  /** Whether an occurrence kills steps in flight: their work then waits for the orchestrator's recovery. */
  killsMidStep(params: Record<string, unknown>): boolean;
  /** The occurrence against a live cell. */
  injector(fault: PlannedFault, cell: ChaosCell): Injector;
  /** Kinds that workers trigger themselves: the spec each worker of the cell arms. */
  workerFailpoint?(fault: PlannedFault, markerDir: string): FailpointSpec;
  /** What the cell's workers need in their config from the start, for an occurrence to come (a deploy: versions). */
  workerSettings?(fault: PlannedFault, scenario: Scenario): WorkerSettings;
  /** At most this many occurrences of the kind in one cell's schedule. */
  maxPerCell?: number;
  /** Kinds that change the scenario (a deploy): every version the cell will run, as config.json records them. */
  scenarioVersions?(fault: PlannedFault, scenario: Scenario): RecordedVersion[];
}

/** One version of a cell's scenario and, after the first, the change that made it. */
export interface RecordedVersion {
  version: number;
  scenario: Scenario;
  change?: VersionChange;
}

/** Worker config fields a fault kind may set for the whole cell. */
export type WorkerSettings = Partial<Pick<WorkerConfig, 'scenarioVersion' | 'scenarioVersions'>>;

/** A validated schedule entry, every default filled in. */
export interface FaultEntry {
  kind: string;
  at?: number | string;
  duration?: number;
  target: string;
  params?: Record<string, unknown>;
}

export interface ScheduleContext {
  seed: number;
  /** From the first to the last intended submit. */
  windowMs: number;
  /** Runs per cell. */
  runs: number;
  /** Worker processes per role. */
  workers: number;
  /** The scenario's first step with an effect: failpoints' default step. */
  effectStep?: string;
  /** Mixed into the seed, so two faults of one experiment do not draw alike. */
  salt: string;
  /** The cell's scenario: what a deploy changes. */
  scenario?: Scenario;
}

export interface CheckContext {
  topology: AdapterTopology;
  /** Workers reach the services through Toxiproxy links (off only for overhead benchmarks). */
  proxyWorkers: boolean;
  /** The run's services provider, for messages (`local`, `testcontainers`, `external`). */
  servicesProvider: string;
  /** Whether the provider can restart this service: it owns the server (not an external one). */
  canRestart(service: string): boolean;
}

export interface PlannedFault {
  /** The faultId of its fault-start / fault-end events. */
  id: string;
  kind: string;
  /** Milliseconds after the load starts; null for failpoints armed all along. */
  atMs: number | null;
  /** How long until healed; null for instant faults (kill) and faults done when injected (restart). */
  durationMs: number | null;
  /** Symbolic: a link (`orchestrator`, `broker`, `world`), a service (`backend`, `redis`), workers (`w2`), `model`. */
  target: string;
  /** Kills: worker slots, 1-based, among the workers of `role` (or of every role, for `workers`). */
  workers?: number[];
  /** Kills: the worker role the target names (`worker@activity`); absent: every role. */
  role?: string;
  params: Record<string, unknown>;
}

/**
 * One occurrence against the live cell. The nemesis writes fault-start before `inject`
 * and fault-end after `heal` (or once `inject` resolves, for faults with no heal).
 */
export interface Injector {
  /**
   * Waits for the fault's moment after its planned time, when it has one (a kill waits for
   * a worker with steps in flight); resolves false when the wait was given up (the load
   * ended first). Target and killed are read after it.
   */
  ready?(stop: AbortSignal): Promise<boolean>;
  /** The concrete target, as written in fault-start (e.g. `broker`, `bullmq-w2`, `redis`). */
  target: string;
  inject(): Promise<void>;
  /** Undoes the fault; absent when `inject` returns only once the fault is over. */
  heal?(): Promise<void>;
  /** Nothing to heal and no end to wait for (a kill): no fault-end is written. */
  instant?: boolean;
  /** The workers whose steps in flight this occurrence kills (fault-start's `killed`). */
  killed?: string[];
  /** Of those workers, only these processes die (fault-start's `pids`): pool children. */
  pids?: number[];
  /** The steps its targets had in flight when it last looked (fault-start's `inFlight`). */
  inFlight?: WorkerStep[];
  /** What the injector chose when it was created (e.g. which pool child), added to fault-start's params. */
  params?: Record<string, unknown>;
  /** The workers record the occurrence themselves (failpoints): the nemesis writes nothing. */
  recordedByWorkers?: boolean;
}
