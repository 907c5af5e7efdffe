import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfrastructureError } from '../../core/errors.js';
import type { ServiceEndpoints } from '../../core/services.js';
import type { WorkerCommand } from '../../core/topology.js';
import {
  BARE_CONFIG_ENV,
  BARE_PROTOCOL_VERSION,
  type BareConfig,
  type BareResult,
} from '../../scenarios/bare-protocol.js';
import { type ManagedProcess, spawnManaged, stopManaged } from '../processes.js';
import { commandLine } from '../supervisor/command.js';

/** A bare worker has this long to take work (a Temporal worker loads its workflow code first). */
const READY_TIMEOUT_MS = 60_000;
const POLL_MS = 20;

export interface BareRunOptions {
  producer: WorkerCommand;
  worker: WorkerCommand;
  runs: number;
  concurrency: number;
  knobs: Record<string, unknown>;
  services: ServiceEndpoints;
  /** Unique to this bench run: a queue name nothing else uses. */
  name: string;
  /** Configs, signal files and the two logs go here. */
  dir: string;
  /** How long the producer may take at most (it waits for every completion). */
  timeoutMs: number;
}

/**
 * Runs an adapter's bare script (scenarios/bare-protocol.ts): its worker until it is ready,
 * then its producer until it reports, then stops the worker. Both are children the harness
 * owns (its process registry, death with the harness), like every other process it starts.
 */
export async function runBare(options: BareRunOptions): Promise<BareResult> {
  mkdirSync(options.dir, { recursive: true });
  const ready = join(options.dir, 'worker.ready');
  const result = join(options.dir, 'producer.result.json');
  const worker = start('worker', ready, options);
  try {
    await waitFor(ready, worker, READY_TIMEOUT_MS, options.dir);
    const producer = start('producer', result, options);
    try {
      const status = await Promise.race([
        producer.exited,
        sleep(options.timeoutMs, 'timeout' as const, { ref: false }),
      ]);
      if (status === 'timeout' || status.code !== 0 || !existsSync(result)) {
        throw new InfrastructureError(
          `the bare producer ${status === 'timeout' ? `did not finish within ${options.timeoutMs} ms` : `exited with ${status.signal ?? status.code}`}; see ${log(options.dir, 'producer')}`,
        );
      }
      return JSON.parse(readFileSync(result, 'utf8')) as BareResult;
    } finally {
      await stopManaged(producer, 2000);
    }
  } finally {
    await stopManaged(worker, 10_000);
  }
}

function start(role: BareConfig['role'], signalPath: string, options: BareRunOptions): ManagedProcess {
  const config: BareConfig = {
    protocol: BARE_PROTOCOL_VERSION,
    role,
    runs: options.runs,
    concurrency: options.concurrency,
    knobs: options.knobs,
    services: options.services,
    name: options.name,
    signalPath,
  };
  const configPath = join(options.dir, `${role}.json`);
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const { program, args, env } = commandLine(role === 'worker' ? options.worker : options.producer);
  return spawnManaged(`bare-${role}`, program, args, {
    env: { ...process.env, ...env, [BARE_CONFIG_ENV]: configPath },
    logFile: log(options.dir, role),
    stdinPipe: true,
    group: true,
  });
}

const log = (dir: string, role: string) => join(dir, `${role}.log`);

async function waitFor(path: string, proc: ManagedProcess, timeoutMs: number, dir: string): Promise<void> {
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  const deadline = performance.now() + timeoutMs;
  while (!existsSync(path)) {
    if (exited) throw new InfrastructureError(`the bare worker exited on start; see ${log(dir, 'worker')}`);
    if (performance.now() > deadline)
      throw new InfrastructureError(
        `the bare worker was not ready within ${timeoutMs} ms; see ${log(dir, 'worker')}`,
      );
    await sleep(POLL_MS);
  }
}
