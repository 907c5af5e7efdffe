import { InfrastructureError } from '../core/errors.js';
import type { HostPort, ServiceName } from '../core/services.js';
import type { Environment } from '../harness/runner/environment.js';
import type { Supervisor } from '../harness/supervisor/supervisor.js';
import { backendInjector } from './backend.js';
import type { Injector } from './injector.js';
import { type PartitionCounts, partitionInjector, toxicInjector } from './network.js';
import { killInjector } from './process.js';
import type { PlannedFault } from './schedule.js';
import { isToxic } from './spec.js';
import { worldInjector } from './world.js';

/**
 * From a planned fault to its injector against one live cell. Targets are symbolic in
 * a schedule, so one schedule applies to every adapter alike; here they become this
 * adapter's link, server or worker processes.
 */
export interface LiveCell {
  env: Environment;
  /** The adapter's services. */
  services: readonly ServiceName[];
  supervisor: Supervisor;
  partitions: PartitionCounts;
}

export const isNetworkFault = (kind: string) => kind === 'partition' || isToxic(kind);

export function injectorFor(fault: PlannedFault, live: LiveCell): Injector {
  const { env, services } = live;
  if (fault.kind === 'kill') return killInjector(fault, live.supervisor);
  if (fault.kind === 'backend-restart')
    return backendInjector(fault, resolveBackend(fault.target, services), env.provider);
  if (fault.kind === 'model-errors' || fault.kind === 'model-latency') return worldInjector(fault, env.world);
  if (isNetworkFault(fault.kind)) {
    const link = resolveLink(fault.target, services);
    return fault.kind === 'partition'
      ? partitionInjector(toxiproxyApi(env), link, live.partitions)
      : toxicInjector(toxiproxyApi(env), link, fault);
  }
  throw new InfrastructureError(`fault ${fault.id}: ${fault.kind} is not injected by the nemesis`);
}

export function toxiproxyApi(env: Environment): HostPort {
  const api = env.services.toxiproxy;
  if (!api) throw new InfrastructureError('network faults need Toxiproxy, which was not started');
  return api;
}

/** `orchestrator`: the link to the adapter's own backend (BullMQ → broker, Temporal → server). */
export function resolveLink(target: string, services: readonly ServiceName[]): string {
  if (target !== 'orchestrator') return target;
  return services.includes('redis') ? 'broker' : 'server';
}

/** `backend`: the adapter's own server (BullMQ → redis, Temporal → temporal). */
export function resolveBackend(target: string, services: readonly ServiceName[]): ServiceName {
  if (target !== 'backend') return target as ServiceName;
  return services.includes('redis') ? 'redis' : 'temporal';
}
