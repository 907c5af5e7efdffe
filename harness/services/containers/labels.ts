import { hostname } from 'node:os';
import { registryDir } from '../../process-registry.js';

/**
 * Every container Faultline starts carries these labels: which machine, which harness
 * process and which process registry own it, so a later start (or `faultline clean`) can
 * tell a crashed run's leftovers from a container another run on this machine is still
 * using. The registry scopes containers as it scopes recorded processes: a harness with a
 * registry of its own (FAULTLINE_PROCESS_REGISTRY, as tests running side by side use) never
 * reaps another registry's containers.
 */
export const LABELS = {
  managed: 'dev.faultline.managed',
  host: 'dev.faultline.host',
  pid: 'dev.faultline.pid',
  service: 'dev.faultline.service',
  runDir: 'dev.faultline.run-dir',
  registry: 'dev.faultline.registry',
} as const;

export function ownerLabels(service: string, runDir: string): Record<string, string> {
  return {
    [LABELS.managed]: 'true',
    [LABELS.host]: hostname(),
    [LABELS.pid]: String(process.pid),
    [LABELS.service]: service,
    [LABELS.runDir]: runDir,
    [LABELS.registry]: registryDir(),
  };
}

/**
 * Whether a container with these labels is a leftover: started on this machine, under
 * this process registry, by a harness process that is gone. A container of another
 * machine (a shared engine), of another registry or of a live harness is never one; one
 * labelled before registries were (no registry label) counts as this registry's.
 */
export function isLeftover(
  labels: Readonly<Record<string, string>>,
  isAlive: (pid: number) => boolean,
  thisHost: string = hostname(),
  thisRegistry: string = registryDir(),
): boolean {
  if (labels[LABELS.managed] !== 'true' || labels[LABELS.host] !== thisHost) return false;
  const registry = labels[LABELS.registry];
  if (registry !== undefined && registry !== thisRegistry) return false;
  const pid = Number(labels[LABELS.pid]);
  return !Number.isInteger(pid) || pid <= 0 || !isAlive(pid);
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
