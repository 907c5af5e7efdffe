import { join } from 'node:path';
import type { WorkerEndpoints } from '../../adapters/types.js';
import { createLink } from '../../chaos/toxiproxy.js';
import type { HostPort, ServiceEndpoints, ServiceName, ServicesProvider } from '../../core/services.js';
import { createServicesProvider } from '../services/index.js';
import { WorldProcess } from '../world/process.js';

/**
 * Everything a cell runs against: the real backends, the world, and the Toxiproxy
 * links the workers go through. The harness itself connects directly, so a network
 * fault can cut the workers off without blinding the harness.
 */
export interface Environment {
  provider: ServicesProvider;
  /** Endpoints the harness uses. */
  services: ServiceEndpoints;
  /** Endpoints handed to workers: through the `broker`, `server` and `world` links. */
  workerEndpoints: WorkerEndpoints;
  world: WorldProcess;
  stop(): Promise<void>;
}

export interface EnvironmentOptions {
  runDir: string;
  needs: ReadonlySet<ServiceName>;
  persistence: boolean;
  /** Workers through Toxiproxy links (the default), or straight to the servers. */
  proxyWorkers: boolean;
}

/** Link names are public: fault schedules target them. */
export const LINKS = { broker: 'broker', server: 'server', world: 'world' } as const;

export async function startEnvironment(options: EnvironmentOptions): Promise<Environment> {
  const provider = createServicesProvider('local');
  const world = await WorldProcess.start(options.runDir);
  try {
    const needed: ServiceName[] = ['toxiproxy', ...[...options.needs].filter((s) => s !== 'toxiproxy')];
    const services = await provider.start(needed, {
      dir: join(options.runDir, 'services'),
      persistence: options.persistence,
    });
    const api = services.toxiproxy!;
    const route = <T extends HostPort>(name: string, upstream: T): Promise<HostPort> =>
      options.proxyWorkers ? createLink(api, name, upstream) : Promise.resolve(upstream);
    const workerEndpoints: WorkerEndpoints = {
      world: await route(LINKS.world, { host: '127.0.0.1', port: world.port }),
    };
    if (services.redis) workerEndpoints.redis = await route(LINKS.broker, services.redis);
    if (services.temporal) {
      const link = await route(LINKS.server, services.temporal);
      workerEndpoints.temporal = { ...link, namespace: services.temporal.namespace };
    }
    return {
      provider,
      services,
      workerEndpoints,
      world,
      async stop() {
        await Promise.allSettled([world.stop(), provider.stop()]);
      },
    };
  } catch (error) {
    await Promise.allSettled([world.stop(), provider.stop()]);
    throw error;
  }
}
