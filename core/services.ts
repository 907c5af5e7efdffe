/**
 * What a services provider hands the harness: real backends, reachable on loopback.
 * Services are named by their definitions (harness/services/kinds/); nothing here knows
 * which ones exist, so an adapter that needs a new backend adds a definition, not a field.
 */

/** A service's public name, as adapters declare it in `services` (e.g. `redis`). */
export type ServiceName = string;

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Where a service answers, plus what a client needs besides the address (e.g. Temporal's
 * namespace as `options.namespace`). Workers get the same options on the link in front of it.
 */
export interface ServiceEndpoint extends HostPort {
  options?: Readonly<Record<string, string>>;
}

export type ServiceEndpoints = Readonly<Record<ServiceName, ServiceEndpoint>>;

export interface RestartOptions {
  /** Pause between stop and start, as a crashed server would stay down a while. */
  downMs?: number;
}

export interface StartOptions {
  /** Folder for data files and each service's log (`<name>.log`). */
  dir: string;
  /**
   * Keep data across restarts (Redis AOF, Temporal SQLite file). Off: Redis without
   * AOF and Temporal in memory, so a restart loses everything, as it would in production.
   */
  persistence: boolean;
}

export interface ServicesProvider {
  readonly kind: string;
  /** Starts (or connects to) the named services; resolves once each answers. */
  start(which: readonly ServiceName[], options: StartOptions): Promise<ServiceEndpoints>;
  /** Stops and starts one service on the same port (backend-restart faults). */
  restart(name: ServiceName, options?: RestartOptions): Promise<void>;
  /** Whether `restart` works for this service (an external server belongs to someone else). */
  canRestart(name: ServiceName): boolean;
  /** Stops everything it started. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * The local processes of the services it started, by name: what the footprint samples.
   * Absent for providers whose servers are not local processes (external, containers).
   */
  processes?(): Readonly<Record<ServiceName, number>>;
  /** Milliseconds from spawn to answering, per service it started, of the latest (re)start. */
  readonly startupMs?: Readonly<Partial<Record<ServiceName, number>>>;
}

/** An endpoint's option, or an error naming the service and the option. */
export function endpointOption(endpoint: ServiceEndpoint, name: string, service: string): string {
  const value = endpoint.options?.[name];
  if (value === undefined) throw new Error(`the ${service} endpoint carries no "${name}" option`);
  return value;
}
