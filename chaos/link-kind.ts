import { z } from 'zod';
import { InfrastructureError } from '../core/errors.js';
import type { HostPort } from '../core/services.js';
import { At, Duration, LinkTarget } from './entry-fields.js';
import type { CheckContext, FaultEntry, FaultKind, Injector, PlannedFault } from './kind.js';
import { partitionInjector, toxicInjector } from './network.js';
import type { ChaosCell } from './ports.js';
import { linkNames, resolveLink } from './targets.js';
import { planTimed } from './timing.js';

/**
 * What every network fault kind shares: it hits a Toxiproxy link (`orchestrator`, `world`,
 * or one the adapter declares) for a while, starting at `at`. The harness's own
 * connections bypass Toxiproxy, so a fault cuts the workers off without blinding the harness.
 */
function checkLink(entry: FaultEntry, { topology, proxyWorkers }: CheckContext): string | undefined {
  if (!proxyWorkers) return 'network faults need proxyWorkers (workers behind Toxiproxy links)';
  const link = resolveLink(entry.target, topology);
  const links = linkNames(topology);
  if (!links.includes(link))
    return `adapter ${topology.name} has no "${link}" link; its links: orchestrator, ${links.join(', ')}`;
  return undefined;
}

function toxiproxyOf(cell: ChaosCell): HostPort {
  if (!cell.toxiproxy)
    throw new InfrastructureError('network faults need Toxiproxy links, and this cell has none');
  return cell.toxiproxy;
}

/** The partition kind: the link disabled, open connections dropped, new ones refused. */
export const partition: FaultKind = {
  kind: 'partition',
  description: 'the link disabled: connections dropped and refused (e.g. workers cut off their broker)',
  entry: z.object({ kind: z.literal('partition'), at: At, duration: Duration, target: LinkTarget }).strict(),
  plan: planTimed,
  check: checkLink,
  killsMidStep: () => false,
  injector: (fault, cell): Injector =>
    partitionInjector(toxiproxyOf(cell), resolveLink(fault.target, cell.topology), cell),
};

/**
 * A Toxiproxy toxic as a fault kind: `attributes` are its own parameters with the
 * defaults a quick run uses; `stream` and `toxicity` are every toxic's.
 */
export function toxicKind(
  kind: string,
  attributes: Readonly<Record<string, number>>,
  description: string,
): FaultKind {
  const attributeSchema = Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [name, z.number().min(0).max(1e9).default(value)]),
  );
  return {
    kind,
    description,
    entry: z
      .object({
        kind: z.literal(kind),
        at: At,
        duration: Duration,
        target: LinkTarget,
        params: z
          .object({
            /** downstream: server → client (the default); upstream: client → server. */
            stream: z.enum(['upstream', 'downstream', 'both']).default('downstream'),
            /** Share of connections affected. */
            toxicity: z.number().min(0).max(1).default(1),
            ...attributeSchema,
          })
          .strict()
          .default({} as never),
      })
      .strict(),
    plan: planTimed,
    check: checkLink,
    killsMidStep: () => false,
    injector: (fault: PlannedFault, cell) =>
      toxicInjector(
        toxiproxyOf(cell),
        resolveLink(fault.target, cell.topology),
        fault,
        Object.keys(attributes),
      ),
  };
}
