/**
 * Picks a services provider. `local` starts the binaries (the default); `external` uses
 * servers someone else runs (docker-compose.yml, a staging cluster), given by URL in env.
 */
import type { ServicesProvider } from '../../core/services.js';
import { ExternalServicesProvider } from './external.js';
import { type LocalProviderOptions, LocalServicesProvider } from './local.js';

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
