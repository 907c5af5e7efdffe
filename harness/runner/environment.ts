import { join } from 'node:path';
import { createLink, deleteLink } from '../../chaos/toxiproxy.js';
import { InputError } from '../../core/errors.js';
import type {
  ServiceEndpoint,
  ServiceEndpoints,
  ServiceName,
  ServicesProvider,
} from '../../core/services.js';
import type { LinkDeclaration } from '../../core/topology.js';
import { WORLD_LINK } from '../../scenarios/worker-protocol.js';
import type { ContainerImages } from '../services/containers/images.js';
import { createServicesProvider, type ProviderKind } from '../services/index.js';
import { LINK_SERVICE } from '../services/kinds/index.js';
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
  /** Where workers connect, by link name (every adapter's links, and `world`). */
  links: Readonly<Record<string, ServiceEndpoint>>;
  world: WorldProcess;
  /** Milliseconds from spawn to answering of each service the provider started, at the run's start. */
  servicesStartMs: Readonly<Record<ServiceName, number>>;
  stop(): Promise<void>;
}

export interface EnvironmentOptions {
  runDir: string;
  services: ReadonlySet<ServiceName>;
  /** Every link the adapters of the experiment declare. */
  links: readonly LinkDeclaration[];
  persistence: boolean;
  /** Workers through Toxiproxy links (the default), or straight to the servers. */
  proxyWorkers: boolean;
  /** Where the services come from (default `local`). */
  provider?: ProviderKind;
  containerImages?: ContainerImages;
  log?: (line: string) => void;
}

/** Links of one name must front one service, whichever adapters declare them. */
function distinctLinks(links: readonly LinkDeclaration[]): LinkDeclaration[] {
  const byName = new Map<string, LinkDeclaration>();
  for (const link of links) {
    const known = byName.get(link.name);
    if (known && known.fronts !== link.fronts) {
      throw new InputError(
        `link "${link.name}" fronts ${known.fronts} for one adapter and ${link.fronts} for another`,
      );
    }
    if (link.name === WORLD_LINK) throw new InputError(`link name "${WORLD_LINK}" is the world's`);
    byName.set(link.name, link);
  }
  return [...byName.values()];
}

export async function startEnvironment(options: EnvironmentOptions): Promise<Environment> {
  const kind = options.provider ?? 'local';
  const provider = createServicesProvider(kind, {
    ...(options.containerImages ? { images: options.containerImages } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const world = await WorldProcess.start(options.runDir);
  // Links made in a Toxiproxy someone else runs are ours to remove; a local one dies with its process.
  const created: string[] = [];
  const removeLinks = async (api: ServiceEndpoint | undefined) => {
    if (kind !== 'external' || api === undefined) return;
    await Promise.allSettled(created.map((name) => deleteLink(api, name)));
  };
  let api: ServiceEndpoint | undefined;
  try {
    const needed = [LINK_SERVICE, ...[...options.services].filter((s) => s !== LINK_SERVICE)];
    const services = await provider.start(needed, {
      dir: join(options.runDir, 'services'),
      persistence: options.persistence,
    });
    const toxiproxy = services[LINK_SERVICE]!;
    api = toxiproxy;
    const route = async (name: string, upstream: ServiceEndpoint): Promise<ServiceEndpoint> => {
      if (!options.proxyWorkers) return upstream;
      // A shared Toxiproxy may hold a link of this name from a run that crashed.
      if (kind === 'external') await deleteLink(toxiproxy, name).catch(() => {});
      const link = await createLink(toxiproxy, name, upstream);
      created.push(name);
      return { ...link, ...(upstream.options ? { options: upstream.options } : {}) };
    };
    const links: Record<string, ServiceEndpoint> = {
      [WORLD_LINK]: await route(WORLD_LINK, { host: '127.0.0.1', port: world.port }),
    };
    for (const link of distinctLinks(options.links)) {
      const upstream = services[link.fronts];
      if (!upstream) throw new InputError(`link "${link.name}" fronts ${link.fronts}, which was not started`);
      links[link.name] = await route(link.name, upstream);
    }
    return {
      provider,
      services,
      links,
      world,
      servicesStartMs: Object.fromEntries(
        Object.entries(provider.startupMs ?? {}).filter((e): e is [string, number] => e[1] !== undefined),
      ),
      async stop() {
        await removeLinks(api);
        await Promise.allSettled([world.stop(), provider.stop()]);
      },
    };
  } catch (error) {
    await removeLinks(api);
    await Promise.allSettled([world.stop(), provider.stop()]);
    throw error;
  }
}
