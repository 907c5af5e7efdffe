import { unknownName } from '../../../core/errors.js';
import { redis } from './redis.js';
import { temporal } from './temporal.js';
import { toxiproxy } from './toxiproxy.js';
import type { ServiceDefinition } from './types.js';

export type { ServiceDefinition } from './types.js';

/** Every backend a provider can start or reach, by name. */
const SERVICES: ReadonlyMap<string, ServiceDefinition> = new Map(
  [redis, temporal, toxiproxy].map((s) => [s.name, s]),
);

/** The service every run starts: the links workers reach everything through. */
export const LINK_SERVICE = toxiproxy.name;

export function serviceNames(): string[] {
  return [...SERVICES.keys()].sort();
}

export function serviceDefinition(name: string): ServiceDefinition {
  const found = SERVICES.get(name);
  if (!found) throw unknownName('service', name, serviceNames());
  return found;
}
