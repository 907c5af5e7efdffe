/** What a services provider hands the harness: real backends, reachable on loopback. */

export type ServiceName = 'redis' | 'temporal' | 'toxiproxy';
export const SERVICE_NAMES: readonly ServiceName[] = ['redis', 'temporal', 'toxiproxy'];

export interface HostPort {
  host: string;
  port: number;
}

export interface ServiceEndpoints {
  redis?: HostPort;
  /** Temporal frontend (gRPC). */
  temporal?: HostPort & { namespace: string };
  /** Toxiproxy's HTTP control API. */
  toxiproxy?: HostPort;
}

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
  readonly kind: 'local' | 'testcontainers' | 'external';
  /** Starts (or connects to) the named services; resolves once each answers. */
  start(which: readonly ServiceName[], options: StartOptions): Promise<ServiceEndpoints>;
  /** Stops and starts one service on the same port (backend-restart faults). */
  restart(name: ServiceName, options?: RestartOptions): Promise<void>;
  /** Stops everything it started. Safe to call twice. */
  stop(): Promise<void>;
}
