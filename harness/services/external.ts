import { CREDENTIALS_OPTION, TLS_OPTION, TLS_SERVER_NAME_OPTION } from '../../core/credentials.js';
import { InputError } from '../../core/errors.js';
import type {
  ServiceEndpoint,
  ServiceEndpoints,
  ServiceName,
  ServicesProvider,
  StartOptions,
} from '../../core/services.js';
import { type ServiceDefinition, serviceDefinition } from './kinds/index.js';
import { waitUntil } from './ports.js';

/** A server someone else runs should answer at once; a slow CI box gets some room. */
const ANSWER_TIMEOUT_MS = 10_000;

/**
 * Servers someone else runs (docker-compose.yml, a staging cluster), given by URL in the
 * environment: we only check that they answer, and cannot restart them. Credentials stay
 * in the environment (core/credentials.ts): an endpoint says only that they apply.
 */
export class ExternalServicesProvider implements ServicesProvider {
  readonly kind = 'external';

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async start(which: readonly ServiceName[], _options: StartOptions): Promise<ServiceEndpoints> {
    const definitions = which.map((name) => serviceDefinition(name));
    // Every address first: a missing variable is bad input, before any server is asked.
    const endpoints = definitions.map((definition) => externalEndpoint(definition, this.env));
    for (const [i, definition] of definitions.entries()) {
      const { variable } = definition.external;
      await waitUntil(() => definition.answers(endpoints[i]!), {
        timeoutMs: ANSWER_TIMEOUT_MS,
        what: `${definition.name} at ${variable}=${this.env[variable]}`,
      });
    }
    return Object.fromEntries(definitions.map((d, i) => [d.name, endpoints[i]!]));
  }

  canRestart(): boolean {
    return false;
  }

  async restart(name: ServiceName): Promise<void> {
    throw new InputError(
      `cannot restart ${name}: the external services provider does not control the servers; ` +
        'backend-restart faults need --services local or testcontainers',
    );
  }

  async stop(): Promise<void> {
    // Nothing to stop: the servers belong to whoever started them.
  }
}

/**
 * A service's endpoint from its variable: `redis://host:port`, `rediss://…` (TLS),
 * `http://host:port`, or `host:port` (Temporal). Credentials in the URL are refused: a URL
 * is printed and recorded, a secret never is.
 */
export function externalEndpoint(definition: ServiceDefinition, env: NodeJS.ProcessEnv): ServiceEndpoint {
  const { variable, defaultPort, secrets = [], optionVariables = {}, tlsVariable } = definition.external;
  const value = env[variable];
  if (!value) {
    throw new InputError(`--services external needs ${variable} (the address of ${definition.name})`);
  }
  let url: URL;
  try {
    // The Temporal address is host:port without a scheme; give it one to parse it.
    url = new URL(value.includes('://') ? value : `tcp://${value}`);
  } catch {
    throw new InputError(`${variable}="${value}" is not a valid address`);
  }
  if (url.username || url.password) {
    throw new InputError(
      `${variable}: credentials do not go in the URL (it is printed and recorded); ` +
        `set ${secrets.join(', ') || 'the service\u2019s credential variables'} instead`,
    );
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const options: Record<string, string> = { ...definition.options };
  for (const [option, optionVariable] of Object.entries(optionVariables)) {
    if (env[optionVariable]) options[option] = env[optionVariable];
  }
  if (secrets.some((secret) => env[secret])) options[CREDENTIALS_OPTION] = 'env';
  const tls = tlsOf(url.protocol, tlsVariable === undefined ? undefined : env[tlsVariable], tlsVariable);
  if (tls !== undefined) {
    options[TLS_OPTION] = tls;
    if (tls === 'on') options[TLS_SERVER_NAME_OPTION] = host;
  }
  return {
    host,
    port: url.port ? Number(url.port) : defaultPort,
    ...(Object.keys(options).length > 0 ? { options } : {}),
  };
}

/** `rediss:` / `https:` or the service's TLS variable turn TLS on; the variable can turn it off. */
function tlsOf(
  protocol: string,
  setting: string | undefined,
  variable: string | undefined,
): 'on' | 'off' | undefined {
  if (setting !== undefined && setting !== '') {
    if (setting === 'on' || setting === 'off') return setting;
    throw new InputError(`${variable}="${setting}" must be on or off`);
  }
  return protocol === 'rediss:' || protocol === 'https:' ? 'on' : undefined;
}
