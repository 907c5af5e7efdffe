import type { HostPort, ServiceName } from '../core/services.js';
import type { AdapterTopology } from '../core/topology.js';
import type { WorldFaults } from '../core/world-protocol.js';

/**
 * What chaos needs of a live cell, as small interfaces the harness implements: chaos
 * never imports the runner, the supervisor or a services provider, and tests hand it fakes.
 */
export interface WorkerControl {
  /** The cell's worker ids, in slot order; those of one role when given. */
  ids(role?: string): readonly string[];
  /** Signals those workers (their process or process group, as the adapter declares); returns those reached. */
  signal(ids: readonly string[], signal: NodeJS.Signals): string[];
  /** Steps each running worker has in flight now, by worker id. */
  inFlight(): ReadonlyMap<string, number>;
}

export interface ServiceControl {
  /** Crash the service, keep it down `downMs`, start it again on the same port. */
  restart(name: ServiceName, options: { downMs: number }): Promise<void>;
}

export interface WorldControl {
  setFaults(faults: Partial<WorldFaults>): void;
}

export interface ChaosCell {
  cell: string;
  /** The adapter's declared topology: what `orchestrator` and `backend` mean here. */
  topology: AdapterTopology;
  workers: WorkerControl;
  services: ServiceControl;
  world: WorldControl;
  /** The cell's chaos folder (failpoint files). */
  chaosDir: string;
  /** Toxiproxy's control API; undefined when the workers are not behind links. */
  toxiproxy: HostPort | undefined;
}
