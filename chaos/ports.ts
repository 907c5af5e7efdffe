import type { HostPort, ServiceName } from '../core/services.js';
import type { AdapterTopology } from '../core/topology.js';
import type { WorldFaults } from '../core/world-protocol.js';
import type { Scenario } from '../scenarios/model.js';
import type { ScenarioVersion } from '../scenarios/worker-protocol.js';

/**
 * What chaos needs of a live cell, as small interfaces the harness implements: chaos
 * never imports the runner, the supervisor or a services provider, and tests hand it fakes.
 */
export interface WorkerControl {
  /** The cell's worker ids, in slot order; those of one role when given. */
  ids(role?: string): readonly string[];
  /**
   * Signals those workers; returns those reached. SIGKILL hits what the adapter's killScope
   * says (a worker's whole process group, pool included); SIGTERM goes to the main process,
   * which stops its own pool gracefully (as Kubernetes and systemd's KillMode=mixed do).
   */
  signal(ids: readonly string[], signal: NodeJS.Signals): string[];
  /** The steps each running worker has in flight now, by worker id (read in one look). */
  inFlight(): ReadonlyMap<string, readonly StepInFlight[]>;
  /**
   * A rolling deploy: each worker in turn is stopped gracefully (SIGTERM: its steps in
   * flight finish), started again with the new scenario version, and waited for until it
   * announced itself, before the next. Resolves when every worker runs the new version.
   */
  redeploy?(update: { scenarioVersion: number; scenarioVersions: ScenarioVersion[] }): Promise<void>;
  /** A running worker's pool children (its main process's children), with the step each has in flight. */
  poolChildren(id: string): PoolChild[];
  /** Signals one pool child of the worker; false when that pid is not (or no longer) one of them. */
  signalPoolChild(id: string, pid: number, signal: NodeJS.Signals): boolean;
}

/** One step attempt a worker has begun and not finished (an `attempt` without its `step-done`). */
export interface StepInFlight {
  runId: string;
  stepId: string;
  attempt: number;
}

/** A pool child of a worker, and the step it runs now (its history's last open `attempt` with its pid). */
export interface PoolChild {
  pid: number;
  inFlight: StepInFlight | null;
}

interface ServiceControl {
  /** Crash the service, keep it down `downMs`, start it again on the same port. */
  restart(name: ServiceName, options: { downMs: number }): Promise<void>;
}

interface WorldControl {
  setFaults(faults: Partial<WorldFaults>): void;
}

export interface ChaosCell {
  cell: string;
  /** The adapter's declared topology: what `orchestrator` and `backend` mean here. */
  topology: AdapterTopology;
  /** The cell's scenario as its workers started with it (what a deploy changes). */
  scenario?: Scenario;
  workers: WorkerControl;
  services: ServiceControl;
  world: WorldControl;
  /** The cell's chaos folder (failpoint files). */
  chaosDir: string;
  /** Toxiproxy's control API; undefined when the workers are not behind links. */
  toxiproxy: HostPort | undefined;
}
