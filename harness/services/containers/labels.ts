import { hostname } from 'node:os';

/**
 * Every container Faultline starts carries these labels: which machine and which harness
 * process own it, so a later start (or `faultline clean`) can tell a crashed run's
 * leftovers from a container another run on this machine is still using.
 */
export const LABELS = {
  managed: 'dev.faultline.managed',
  host: 'dev.faultline.host',
  pid: 'dev.faultline.pid',
  service: 'dev.faultline.service',
  runDir: 'dev.faultline.run-dir',
} as const;

export function ownerLabels(service: string, runDir: string): Record<string, string> {
  return {
    [LABELS.managed]: 'true',
    [LABELS.host]: hostname(),
    [LABELS.pid]: String(process.pid),
    [LABELS.service]: service,
    [LABELS.runDir]: runDir,
  };
}

/**
 * Whether a container with these labels is a leftover: started on this machine by a
 * harness process that is gone. A container of another machine (a shared engine) or of
 * a live harness is never one.
 */
export function isLeftover(
  labels: Readonly<Record<string, string>>,
  isAlive: (pid: number) => boolean,
  thisHost: string = hostname(),
): boolean {
  if (labels[LABELS.managed] !== 'true' || labels[LABELS.host] !== thisHost) return false;
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
