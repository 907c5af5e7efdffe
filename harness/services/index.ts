/**
 * Picks a services provider: `local` starts the binaries (the default), `testcontainers`
 * runs them as Docker containers, `external` uses servers someone else runs
 * (docker-compose.yml, a staging cluster), given by URL in the environment.
 */
import type { ServiceName, ServicesProvider } from '../../core/services.js';
import type { ContainerImages } from './containers/images.js';
import { ExternalServicesProvider } from './external.js';
import { type LocalProviderOptions, LocalServicesProvider } from './local.js';
import { TestcontainersServicesProvider } from './testcontainers.js';

export const PROVIDER_KINDS = ['local', 'testcontainers', 'external'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export interface ProviderOptions extends LocalProviderOptions {
  /** Where `external` reads its URLs and credentials; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** testcontainers: images built from the local binaries, or the public ones. */
  images?: ContainerImages;
  log?: (line: string) => void;
}

export function createServicesProvider(kind: ProviderKind, opts: ProviderOptions = {}): ServicesProvider {
  switch (kind) {
    case 'local':
      return new LocalServicesProvider(opts);
    case 'testcontainers':
      return new TestcontainersServicesProvider({
        ...(opts.images ? { images: opts.images } : {}),
        ...(opts.log ? { log: opts.log } : {}),
      });
    case 'external':
      return new ExternalServicesProvider(opts.env ?? process.env);
  }
}

/**
 * Whether a provider of this kind can restart a service, known before anything starts, so
 * a backend-restart fault it cannot perform is refused with the other bad input: the local
 * and testcontainers providers own what they start; an external server belongs to someone else.
 */
export function providerCanRestart(kind: ProviderKind, _service: ServiceName): boolean {
  return kind !== 'external';
}
