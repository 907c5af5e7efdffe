/**
 * Picks a services provider. `local` starts the binaries (the default); `external` uses
 * servers someone else runs (docker-compose.yml, a staging cluster), given by URL in env.
 * A `testcontainers` provider is planned for machines with a Docker engine; none here yet.
 */
import { InputError } from '../../core/errors.js';
import type {
  HostPort,
  ServiceEndpoints,
  ServiceName,
  ServicesProvider,
  StartOptions,
} from '../../core/services.js';
import { answers, type LocalProviderOptions, LocalServicesProvider } from './local.js';
import { waitUntil } from './ports.js';

export interface ProviderOptions extends LocalProviderOptions {
  /** Where `external` reads its URLs; process.env by default. */
  env?: NodeJS.ProcessEnv;
}

export function createServicesProvider(
  kind: 'local' | 'external',
  opts: ProviderOptions = {},
): ServicesProvider {
  return kind === 'local'
    ? new LocalServicesProvider(opts)
    : new ExternalServicesProvider(opts.env ?? process.env);
}

export const EXTERNAL_ENV: Readonly<Record<ServiceName, string>> = {
  redis: 'FAULTLINE_REDIS_URL', // redis://host:port
  temporal: 'FAULTLINE_TEMPORAL_ADDRESS', // host:port (gRPC frontend)
  toxiproxy: 'FAULTLINE_TOXIPROXY_URL', // http://host:port (control API)
};
const DEFAULT_PORTS: Record<ServiceName, number> = { redis: 6379, temporal: 7233, toxiproxy: 8474 };

/** Servers we did not start: we only check that they answer, and cannot restart them. */
export class ExternalServicesProvider implements ServicesProvider {
  readonly kind = 'external' as const;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async start(which: readonly ServiceName[], _options: StartOptions): Promise<ServiceEndpoints> {
    const endpoints: ServiceEndpoints = {};
    for (const name of which) {
      const endpoint = this.#endpoint(name);
      await waitUntil(() => answers(name, endpoint), {
        timeoutMs: 10_000,
        what: `${name} at ${EXTERNAL_ENV[name]}=${this.env[EXTERNAL_ENV[name]]}`,
      });
      if (name === 'temporal') endpoints.temporal = { ...endpoint, namespace: 'default' };
      else endpoints[name] = endpoint;
    }
    return endpoints;
  }

  async restart(name: ServiceName): Promise<void> {
    throw new InputError(
      `cannot restart ${name}: the external services provider does not control the servers; ` +
        'backend-restart faults need the local provider',
    );
  }

  async stop(): Promise<void> {
    // Nothing to stop: the servers belong to whoever started them.
  }

  #endpoint(name: ServiceName): HostPort {
    const variable = EXTERNAL_ENV[name];
    const value = this.env[variable];
    if (!value) throw new InputError(`the external services provider needs ${variable} (for ${name})`);
    let url: URL;
    try {
      // The Temporal address is host:port without a scheme; give it one to parse it.
      url = new URL(value.includes('://') ? value : `tcp://${value}`);
    } catch {
      throw new InputError(`${variable}="${value}" is not a valid address`);
    }
    if (url.username || url.password) {
      throw new InputError(`${variable}: credentials in the URL are not supported yet`);
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return { host, port: url.port ? Number(url.port) : DEFAULT_PORTS[name] };
  }
}
