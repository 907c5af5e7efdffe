import type { HostPort } from '../core/services.js';
import type { Injector, PlannedFault } from './kind.js';
import type { ChaosCell } from './ports.js';
import { addToxic, removeToxic, resetAll, setLinkEnabled, type Toxic } from './toxiproxy.js';

/**
 * Network faults on the workers' Toxiproxy links. The harness's own connections
 * bypass Toxiproxy, so a fault cuts the workers off without blinding the harness.
 */

/**
 * Toxiproxy can be slow to answer while a connection is wedged: removing a toxic waits
 * up to 5 s per stuck connection (Shopify/toxiproxy#558, seen with gRPC through a latency
 * toxic), and holds the proxy's lock meanwhile. The client gives up after 5 s but the
 * server still finishes the call, so retry: a later DELETE answered 404, or POST answered
 * 409, means an earlier attempt went through.
 */
const PATIENCE_MS = 30_000;

async function patiently(op: () => Promise<void>, doneWhen = /$^/): Promise<void> {
  const deadline = Date.now() + PATIENCE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await op();
      return;
    } catch (error) {
      const message = (error as Error).message;
      if (attempt > 1 && doneWhen.test(message)) return;
      // Only a request that got no answer is retried; an answer with an error is final.
      if (Date.now() >= deadline || !message.includes(' failed: ')) throw error;
    }
  }
}

/** Every link enabled, every toxic gone: the nemesis's last word in healAll. */
export const healLinks = (api: HostPort) => patiently(() => resetAll(api));

/** Partitions per link and cell, so two overlapping partitions of one link heal only when both end. */
const partitions = new WeakMap<ChaosCell, Map<string, number>>();

export function partitionInjector(api: HostPort, link: string, cell: ChaosCell): Injector {
  const counts = partitions.get(cell) ?? new Map<string, number>();
  partitions.set(cell, counts);
  return {
    target: link,
    async inject() {
      counts.set(link, (counts.get(link) ?? 0) + 1);
      // Disabled: Toxiproxy drops the open connections and refuses new ones.
      await patiently(() => setLinkEnabled(api, link, false));
    },
    async heal() {
      const left = (counts.get(link) ?? 1) - 1;
      counts.set(link, left);
      if (left <= 0) await patiently(() => setLinkEnabled(api, link, true));
    },
  };
}

/** A toxic named after the fault occurrence, so overlapping toxics never collide. */
export function toxicInjector(
  api: HostPort,
  link: string,
  fault: PlannedFault,
  attributeNames: readonly string[],
): Injector {
  const kind = fault.kind as Toxic['type'];
  const { stream = 'downstream', toxicity = 1, ...rest } = fault.params as Record<string, unknown>;
  const attributes: Record<string, number> = {};
  for (const name of attributeNames) attributes[name] = Number(rest[name]);
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
      for (const toxic of toxics) await patiently(() => addToxic(api, link, toxic), /: 409 /);
    },
    async heal() {
      for (const toxic of toxics) await patiently(() => removeToxic(api, link, toxic.name), /: 404 /);
    },
  };
}
