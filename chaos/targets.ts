import type { AdapterTopology } from '../core/topology.js';
import { WORLD_LINK } from '../scenarios/worker-protocol.js';

/**
 * Symbolic targets of a schedule, resolved against one adapter's declared topology, so one
 * schedule applies to every adapter alike: `orchestrator` is the link to its own backend,
 * `backend` that backend's service.
 */

export function resolveLink(target: string, topology: AdapterTopology): string {
  return target === 'orchestrator' ? topology.orchestrator.link : target;
}

export function resolveService(target: string, topology: AdapterTopology): string {
  return target === 'backend' ? topology.orchestrator.service : target;
}

/** The links a schedule may name for this adapter. */
export function linkNames(topology: AdapterTopology): string[] {
  return [WORLD_LINK, ...topology.links.map((l) => l.name)];
}
