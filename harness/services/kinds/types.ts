import type { ServiceEndpoint } from '../../../core/services.js';

/**
 * One backend a provider can give the harness: how to start it from a local binary or as
 * a container, how to tell it answers, and how a user points the external provider at
 * one. Adding a backend is one file in this folder; providers and the runner never name one.
 */
export interface ServiceDefinition {
  name: string;
  /** The local binary; throws InfrastructureError naming the setup step when it is missing. */
  binary(): string;
  /**
   * Arguments for the binary listening on `port`; `dataDir` is emptied on a first start,
   * kept on a restart. The same arguments serve the binary in a container.
   */
  commandLine(port: number, options: LaunchOptions): Promise<{ args: string[]; env?: NodeJS.ProcessEnv }>;
  /** One readiness probe: true when the service answers a real request. */
  answers(endpoint: ServiceEndpoint): Promise<boolean>;
  /** Poll period of the readiness probe while it starts. */
  probeIntervalMs: number;
  /** What clients need besides host and port (added to every endpoint of this service). */
  options?: Readonly<Record<string, string>>;
  /** The external provider: the environment variable with this service's URL, and its default port. */
  external: ExternalSpec;
  /** The testcontainers provider: how the service runs as a container. */
  container: ContainerSpec;
}

interface ExternalSpec {
  /** The environment variable with the server's address (docker-compose.yml sets the same names). */
  variable: string;
  defaultPort: number;
  /**
   * Environment variables with credentials for a server that needs them (a password, an
   * API key, key files): read by each client from the environment where it runs, never
   * copied into an endpoint, a worker config or any file of the run folder.
   */
  secrets?: readonly string[];
  /** Endpoint options a user may set for their server, by option: the variable that holds it. */
  optionVariables?: Readonly<Record<string, string>>;
  /** A variable that turns TLS `on` or `off` (for addresses without a scheme that would say). */
  tlsVariable?: string;
}

interface ContainerSpec {
  /** The port it listens on inside its container (published on a free 127.0.0.1 port). */
  port: number;
  /**
   * A line of its log that says it is up: the wait needs no shell in the container (an
   * image built `FROM scratch` has none). The provider probes `answers` after it.
   */
  readyLog: RegExp;
  /**
   * The host's network instead of a published port: Toxiproxy's links must reach the world
   * server on the host's loopback, and workers on the host the ports its links open.
   */
  hostNetwork?: boolean;
  /** Environment the binary expects of a system and a `FROM scratch` image lacks. */
  env?: Readonly<Record<string, string>>;
  /** The public image (`--container-images public`) and what its command line starts with. */
  publicImage: { name: string; command: readonly string[] };
}

interface LaunchOptions {
  dataDir: string;
  persistence: boolean;
  /** The address to bind: 127.0.0.1 for a local binary, 0.0.0.0 inside a container. */
  host: string;
}
