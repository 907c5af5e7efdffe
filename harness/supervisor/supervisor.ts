import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerConfig } from '../../adapters/types.js';
import { InfrastructureError } from '../../core/errors.js';
import type { HistoryWriter } from '../../core/history/writer.js';
import { type ManagedProcess, spawnManaged, stopManaged } from '../processes.js';
import { nodeArgsFor } from './node.js';
import type { WorkerLaunch } from './worker-main.js';

const WORKER_MAIN = fileURLToPath(new URL('./worker-main.ts', import.meta.url));
const READY_TIMEOUT_MS = 60_000;

export interface SupervisorOptions {
  /** Worker processes to keep running. */
  count: number;
  /** Everything a worker needs except its own id and history file. */
  config: Omit<WorkerConfig, 'workerId' | 'historyPath'>;
  workerModule: string;
  runDir: string;
  /** The harness's history, for worker-start / worker-exit. */
  history: HistoryWriter;
  /** Restart a worker that died this long after its death, as a container orchestrator would; null: never. */
  restartDelayMs: number | null;
}

interface Slot {
  id: string;
  process: ManagedProcess | null;
}

/**
 * Keeps N worker processes of one adapter running. Workers are real OS processes
 * so chaos can SIGKILL them; a killed worker is restarted after a delay.
 */
export class Supervisor {
  private readonly slots: Slot[];
  private stopping = false;
  private readonly restarts = new Set<NodeJS.Timeout>();

  constructor(private readonly options: SupervisorOptions) {
    const prefix = options.config.adapter;
    this.slots = Array.from({ length: options.count }, (_, i) => ({
      id: `${prefix}-w${i + 1}`,
      process: null,
    }));
  }

  async start(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.launch(slot)));
  }

  workerIds(): string[] {
    return this.slots.map((s) => s.id);
  }

  /** Pids of workers running now, by id. */
  running(): Map<string, number> {
    return new Map(this.slots.filter((s) => s.process).map((s) => [s.id, s.process!.pid]));
  }

  /** Sends a signal to the named workers (all when none named). */
  kill(signal: NodeJS.Signals, ids: readonly string[] = this.workerIds()): void {
    for (const slot of this.slots) if (ids.includes(slot.id)) slot.process?.kill(signal);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.restarts) clearTimeout(timer);
    await Promise.all(this.slots.map((s) => (s.process ? stopManaged(s.process, 10_000) : undefined)));
  }

  private async launch(slot: Slot): Promise<void> {
    const { config, runDir, history } = this.options;
    const launch: WorkerLaunch = {
      ...config,
      workerId: slot.id,
      historyPath: join(runDir, 'history.d', `worker-${slot.id}.jsonl`),
      workerModule: this.options.workerModule,
    };
    const proc = spawnManaged(`worker ${slot.id}`, process.execPath, nodeArgsFor(WORKER_MAIN), {
      env: { ...process.env, FAULTLINE_WORKER_CONFIG: JSON.stringify(launch) },
      logFile: join(runDir, 'logs', `${slot.id}.log`),
      ipc: true,
    });
    slot.process = proc;
    history.append({ type: 'worker-start', cell: config.cell, worker: slot.id, pid: proc.pid });
    proc.exited.then(({ code, signal }) => {
      history.append({
        type: 'worker-exit',
        cell: config.cell,
        worker: slot.id,
        pid: proc.pid,
        code,
        signal,
      });
      if (slot.process === proc) slot.process = null;
      this.scheduleRestart(slot);
    });
    await waitForReady(proc, slot.id, runDir);
  }

  private scheduleRestart(slot: Slot): void {
    const delay = this.options.restartDelayMs;
    if (this.stopping || delay === null) return;
    const timer = setTimeout(() => {
      this.restarts.delete(timer);
      if (!this.stopping) this.launch(slot).catch(() => this.scheduleRestart(slot));
    }, delay);
    this.restarts.add(timer);
  }
}

async function waitForReady(proc: ManagedProcess, id: string, runDir: string): Promise<void> {
  const ready = once(proc.child, 'message');
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('timed out')), READY_TIMEOUT_MS).unref(),
  );
  const died = proc.exited.then(({ code, signal }) => {
    throw new Error(`exited (code ${code}, signal ${signal})`);
  });
  try {
    await Promise.race([ready, died, timeout]);
  } catch (error) {
    proc.kill('SIGKILL');
    const log = join(runDir, 'logs', `${id}.log`);
    throw new InfrastructureError(`worker ${id} did not start: ${(error as Error).message}; see ${log}`);
  }
}
