import { InputError } from '../../core/errors.js';
import type {
  HostPort,
  ServiceEndpoints,
  ServiceName,
  ServicesProvider,
  StartOptions,
} from '../../core/services.js';
import { serviceDefinition } from './kinds/index.js';
import { waitUntil } from './ports.js';

/**
 * Servers someone else runs (docker-compose.yml, a staging cluster), given by URL in the
 * environment: we only check that they answer, and cannot restart them.
 */
export class ExternalServicesProvider implements ServicesProvider {
  readonly kind = 'external';

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async start(which: readonly ServiceName[], _options: StartOptions): Promise<ServiceEndpoints> {
    const endpoints: Record<ServiceName, ServiceEndpoints[string]> = {};
    for (const name of which) {
      const definition = serviceDefinition(name);
      const endpoint = {
        ...this.#hostPort(name),
        ...(definition.options ? { options: definition.options } : {}),
      };
      const { variable } = definition.external;
      await waitUntil(() => definition.answers(endpoint), {
        timeoutMs: 10_000,
        what: `${name} at ${variable}=${this.env[variable]}`,
      });
      endpoints[name] = endpoint;
    }
    return endpoints;
  }

  canRestart(): boolean {
    return false;
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

  #hostPort(name: ServiceName): HostPort {
    const { variable, defaultPort } = serviceDefinition(name).external;
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
    return { host, port: url.port ? Number(url.port) : defaultPort };
  }
}

/** The environment variable each service's URL is read from (docker-compose.yml documents them). */
export function externalVariables(names: readonly ServiceName[]): Record<ServiceName, string> {
  return Object.fromEntries(names.map((name) => [name, serviceDefinition(name).external.variable]));
}
