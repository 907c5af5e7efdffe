import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import { reapOrphans, reapRunFolder } from '../process-registry.js';
import { dockerUnavailableReason } from '../services/containers/engine.js';
import { reapLeftoverContainers } from '../services/containers/reap.js';
import { parseFlags } from './args.js';

/**
 * `faultline clean [RUN_DIR]`: removes what crashed runs left behind: the processes they
 * recorded (servers, workers) and the testcontainers provider's containers whose harness
 * is gone (containers of runs still going stay). Each kind of leftover is a function of
 * its own, so the command can grow one at a time.
 */
export async function cleanCommand(argv: string[], log: (line: string) => void): Promise<number> {
  const { positionals } = parseFlags(argv, {}, 'clean');
  if (positionals.length > 1) throw new InputError('usage: faultline clean [RUN_DIR]');
  const reaped = reapLeftovers(log, positionals[0]);
  console.log(
    reaped === 0
      ? 'processes: none left running by a dead faultline run'
      : `processes: killed ${reaped} left by dead faultline runs`,
  );
  await cleanContainers(log);
  return 0;
}

/** Kills the processes recorded by faultline processes that are gone; says what it killed. */
export function reapLeftovers(say: (line: string) => void, runDir?: string): number {
  if (runDir !== undefined && !existsSync(join(runDir, 'config.json')))
    throw new InputError(`${runDir} is not a run folder: no config.json`);
  const reaped = runDir === undefined ? reapOrphans() : reapRunFolder(runDir);
  for (const p of reaped) say(`killed ${p.name} (pid ${p.pid}), left running by faultline pid ${p.owner}`);
  return reaped.length;
}

/** Faultline's containers left by crashed runs, removed; says so when no Docker engine answers. */
async function cleanContainers(log: (line: string) => void): Promise<void> {
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
