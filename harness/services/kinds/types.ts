import type { ServiceEndpoint } from '../../../core/services.js';

/**
 * One backend a provider can give the harness: how to start it from a local binary, how
 * to tell it answers, and how a user points the external provider at one. Adding a backend
 * is one file in this folder; providers and the runner never name one.
 */
export interface ServiceDefinition {
  name: string;
  /** The local binary; throws InfrastructureError naming the setup step when it is missing. */
  binary(): string;
  /** Arguments for the local binary on `port`; `dataDir` is emptied on a first start, kept on a restart. */
  commandLine(port: number, options: LaunchOptions): Promise<{ args: string[]; env?: NodeJS.ProcessEnv }>;
  /** One readiness probe: true when the service answers a real request. */
  answers(endpoint: ServiceEndpoint): Promise<boolean>;
  /** Poll period of the readiness probe while it starts. */
  probeIntervalMs: number;
  /** What clients need besides host and port (added to every endpoint of this service). */
  options?: Readonly<Record<string, string>>;
  /** The external provider: the environment variable with this service's URL, and its default port. */
  external: { variable: string; defaultPort: number };
}

export interface LaunchOptions {
  dataDir: string;
  persistence: boolean;
  host: string;
}
