import { dockerUnavailableReason } from '../services/containers/engine.js';
import { reapLeftoverContainers } from '../services/containers/reap.js';
import { parseFlags } from './args.js';

/**
 * `faultline clean`: removes what crashed runs left behind. Here: containers of the
 * testcontainers provider whose harness is gone (containers of runs still going stay).
 * Each kind of leftover is a function of its own, so the command can grow one at a time.
 */
export async function cleanCommand(argv: string[], log: (line: string) => void): Promise<number> {
  parseFlags(argv, {}, 'clean');
  await cleanContainers(log);
  return 0;
}

/** Faultline's containers left by crashed runs, removed; says so when no Docker engine answers. */
export async function cleanContainers(log: (line: string) => void): Promise<void> {
  const unavailable = await dockerUnavailableReason();
  if (unavailable !== undefined) {
    log('containers: no Docker engine answers, so none to remove');
    return;
  }
  const reaped = await reapLeftoverContainers();
  if (reaped.length === 0) log('containers: none left by crashed runs');
  for (const container of reaped)
    log(`containers: removed ${container.id} (${container.service} of ${container.runDir})`);
}
