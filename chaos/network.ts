import { addToxic, removeToxic, setLinkEnabled, type Toxic } from '../harness/services/toxiproxy.js';
import type { HostPort } from '../harness/services/types.js';
import type { Injector } from './injector.js';
import type { PlannedFault } from './schedule.js';
import { TOXICS, type ToxicKind } from './spec.js';

/**
 * Network faults on the workers' Toxiproxy links. The harness's own connections
 * bypass Toxiproxy, so a fault cuts the workers off without blinding the harness.
 */

/** Partitions per link, so two overlapping partitions of one link heal only when both end. */
export type PartitionCounts = Map<string, number>;

export function partitionInjector(api: HostPort, link: string, counts: PartitionCounts): Injector {
  return {
    target: link,
    async inject() {
      counts.set(link, (counts.get(link) ?? 0) + 1);
      // Disabled: Toxiproxy drops the open connections and refuses new ones.
      await setLinkEnabled(api, link, false);
    },
    async heal() {
      const left = (counts.get(link) ?? 1) - 1;
      counts.set(link, left);
      if (left <= 0) await setLinkEnabled(api, link, true);
    },
  };
}

/** A toxic named after the fault occurrence, so overlapping toxics never collide. */
export function toxicInjector(api: HostPort, link: string, fault: PlannedFault): Injector {
  const kind = fault.kind as ToxicKind;
  const { stream = 'downstream', toxicity = 1, ...rest } = fault.params as Record<string, unknown>;
  const attributes: Record<string, number> = {};
  for (const name of Object.keys(TOXICS[kind])) attributes[name] = Number(rest[name]);
  const streams: Toxic['stream'][] =
    stream === 'both' ? ['upstream', 'downstream'] : [stream as Toxic['stream']];
  const toxics: Toxic[] = streams.map((s) => ({
    type: kind,
    name: `${fault.id}-${kind}-${s}`,
    stream: s,
    toxicity: Number(toxicity),
    attributes,
  }));
  return {
    target: link,
    async inject() {
      for (const toxic of toxics) await addToxic(api, link, toxic);
    },
    async heal() {
      for (const toxic of toxics) await removeToxic(api, link, toxic.name);
    },
  };
}
