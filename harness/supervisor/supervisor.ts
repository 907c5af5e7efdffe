import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PoolChild, StepInFlight } from '../../chaos/ports.js';
import { InfrastructureError } from '../../core/errors.js';
import { completeLength, type HistoryWriter } from '../../core/history/writer.js';
import type { WorkerRoleDeclaration } from '../../core/topology.js';
import { TRACES_DIR } from '../../core/traces.js';
import {
  type ScenarioVersion,
  WORKER_CONFIG_ENV,
  WORKER_PROTOCOL_VERSION,
  type WorkerConfig,
} from '../../scenarios/worker-protocol.js';
import type { TreeReading } from '../footprint/proc.js';
import { type ManagedProcess, signalProcess, spawnManaged } from '../processes.js';
import { commandLine } from './command.js';
import { InFlightTracker } from './in-flight.js';
import { childPids } from './pool-children.js';
import { awaitWorkerStart } from './readiness.js';
import { WorkerUsageLedger } from './usage.js';

const READY_TIMEOUT_MS = 60_000;
/** SIGTERM lets in-flight steps finish this long before the SIGKILL. */
const STOP_GRACE_MS = 10_000;

export interface SupervisorOptions {
  /** Worker processes per role. */
  count: number;
  /** The adapter's worker roles: how each is started and what a kill of one means. */
  roles: readonly WorkerRoleDeclaration[];
  /** Everything a worker's config holds but its identity. */
  config: Omit<WorkerConfig, 'protocol' | 'workerId' | 'role' | 'historyPath' | 'traces'>;
  /** Workers write their spans to traces/worker-<id>.jsonl (and OTLP, when configured). */
  traces?: boolean;
  runDir: string;
  /** The harness's history, for worker-exit. */
  history: HistoryWriter;
  /** Restart a worker that died this long after its death, as a container orchestrator would; null: never. */
  restartDelayMs: number | null;
}

interface Slot {
  id: string;
  role: WorkerRoleDeclaration;
  configPath: string;
  historyPath: string;
  process: ManagedProcess | null;
  inFlight: InFlightTracker;
  /** Being replaced by a deploy: its exit is not a death to restart after the delay. */
  replacing: boolean;
}

/**
 * Keeps N worker processes of each of an adapter's roles running, in any language: each
 * is started from its declared command line with its config in a file (the worker
 * protocol, adapters/README.md), is ready when its own history says `worker-start`, and
 * is restarted after a delay when it dies. Workers are real OS processes in their own
 * process group, so chaos can SIGKILL them (or their whole pool).
 */
export class Supervisor {
  private readonly slots: Slot[];
  private stopping = false;
  private readonly restarts = new Set<NodeJS.Timeout>();
  /**
   * What each worker process uses (CPU, peak memory), written as worker-usage when it
   * exits; the cell's sampler feeds it every second (recordUsage), and it reads on demand.
   */
  private readonly usage = new WorkerUsageLedger();

  constructor(private options: SupervisorOptions) {
    const { adapter, cell, scenario } = options.config;
    const approvals = new Set(scenario.steps.filter((s) => s.kind === 'approval').map((s) => s.id));
    const isApproval = (stepId: string) => approvals.has(stepId.split('#')[0]!);
    const configDir = join(options.runDir, 'workers', cell.replaceAll('/', '_'));
    mkdirSync(configDir, { recursive: true });
    this.slots = options.roles.flatMap((role) =>
      Array.from({ length: options.count }, (_, i) => {
        const id = role.role === 'worker' ? `${adapter}-w${i + 1}` : `${adapter}-${role.role}-w${i + 1}`;
        const historyPath = join(options.runDir, 'history.d', `worker-${id}.jsonl`);
        return {
          id,
          role,
          configPath: join(configDir, `${id}.json`),
          historyPath,
          process: null,
          inFlight: new InFlightTracker(historyPath, isApproval),
          replacing: false,
        };
      }),
    );
    for (const slot of this.slots) this.writeConfig(slot);
  }

  async start(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.launch(slot)));
  }

  /** Worker ids in slot order; of one role when given. */
  ids(role?: string): string[] {
    return this.slots.filter((s) => role === undefined || s.role.role === role).map((s) => s.id);
  }

  /** Each worker's role, by worker id. */
  roles(): Record<string, string> {
    return Object.fromEntries(this.slots.map((s) => [s.id, s.role.role]));
  }

  /**
   * Signals the named workers; returns those reached. SIGKILL hits the process or its whole
   * group, as the role declares; SIGTERM goes to the main process only: a prefork pool's
   * children die of a SIGTERM of their own (Celery resets their handler), while the main
   * process's warm shutdown lets them finish their tasks.
   */
  signal(ids: readonly string[], signal: NodeJS.Signals): string[] {
    // Their usage up to the signal: a SIGKILLed process can no longer be read.
    this.usage.sample(ids);
    const reached: string[] = [];
    for (const slot of this.slots) {
      if (!ids.includes(slot.id) || slot.process === null) continue;
      signalProcess(slot.process.pid, signal !== 'SIGTERM' && slot.role.killScope === 'group', signal);
      reached.push(slot.id);
    }
    return reached;
  }

  /** The steps each running worker has in flight now, by worker id (from the workers' own histories). */
  inFlight(): Map<string, StepInFlight[]> {
    return new Map(this.slots.filter((s) => s.process !== null).map((s) => [s.id, s.inFlight.steps()]));
  }

  poolChildren(id: string): PoolChild[] {
    const slot = this.slots.find((s) => s.id === id);
    if (!slot?.process) return [];
    const pids = childPids(slot.process.pid);
    if (pids.length === 0) return [];
    const inFlight = slot.inFlight.byPid();
    return pids.map((pid) => ({ pid, inFlight: inFlight.get(pid) ?? null }));
  }

  signalPoolChild(id: string, pid: number, signal: NodeJS.Signals): boolean {
    const leader = this.pidOf(id);
    if (leader === undefined || !childPids(leader).includes(pid)) return false;
    signalProcess(pid, false, signal);
    return true;
  }

  /** The main pid of a running worker (pool children are its children). */
  pidOf(id: string): number | undefined {
    return this.slots.find((s) => s.id === id)?.process?.pid;
  }

  /**
   * A rolling deploy (chaos's deploy fault): one worker at a time is stopped with SIGTERM
   * (its steps in flight finish; SIGKILL after the grace), started again from a config that
   * carries the new scenario version, and waited for until it announced itself, before the
   * next one. A worker that was dead at its turn is simply started with the new version.
   */
  async redeploy(update: { scenarioVersion: number; scenarioVersions: ScenarioVersion[] }): Promise<void> {
    const current = update.scenarioVersions.find((v) => v.version === update.scenarioVersion);
    if (!current)
      throw new Error(`redeploy: version ${update.scenarioVersion} is not among the versions given`);
    this.options.config = { ...this.options.config, ...update, scenario: current.scenario };
    for (const slot of this.slots) {
      if (this.stopping) return;
      slot.replacing = true;
      try {
        if (slot.process) await this.stopWorker(slot);
        this.writeConfig(slot);
        if (!this.stopping) await this.launch(slot);
      } finally {
        slot.replacing = false;
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.restarts) clearTimeout(timer);
    await Promise.all(this.slots.map((s) => (s.process ? this.stopWorker(s) : undefined)));
  }

  /** A reading of a worker's process by the cell's sampler (harness/footprint/sampler.ts). */
  recordUsage(id: string, pid: number, reading: TreeReading): void {
    this.usage.record(id, pid, reading);
  }

  /** SIGTERM to the main process (see `signal`), SIGKILL to what the role's killScope covers after the grace. */
  private async stopWorker(slot: Slot): Promise<void> {
    const proc = slot.process!;
    const group = slot.role.killScope === 'group';
    // Its usage up to the stop: the last reading its worker-usage will carry.
    this.usage.sample([slot.id]);
    signalProcess(proc.pid, false, 'SIGTERM');
    const timer = setTimeout(() => signalProcess(proc.pid, group, 'SIGKILL'), STOP_GRACE_MS);
    try {
      await proc.exited;
    } finally {
      clearTimeout(timer);
      // A pool child that outlived its main process (it should not) goes too.
      if (group) signalProcess(proc.pid, true, 'SIGKILL');
    }
  }

  private writeConfig(slot: Slot): void {
    const config: WorkerConfig = {
      ...this.options.config,
      protocol: WORKER_PROTOCOL_VERSION,
      workerId: slot.id,
      role: slot.role.role,
      historyPath: slot.historyPath,
      traces: this.options.traces
        ? { path: join(this.options.runDir, TRACES_DIR, `worker-${slot.id}.jsonl`) }
        : null,
    };
    writeFileSync(slot.configPath, `${JSON.stringify(config, null, 2)}\n`);
  }

  private async launch(slot: Slot): Promise<void> {
    const { config, runDir, history } = this.options;
    const { program, args, env } = commandLine(slot.role.command);
    // Whole lines only: the new worker cuts off a partial line its killed predecessor left.
    const offset = completeLength(slot.historyPath);
    const logFile = join(runDir, 'logs', `${slot.id}.log`);
    const proc = spawnManaged(`worker ${slot.id}`, program, args, {
      env: { ...process.env, ...env, [WORKER_CONFIG_ENV]: slot.configPath },
      logFile,
      stdinPipe: true,
      group: true,
    });
    slot.process = proc;
    this.usage.track(slot.id, proc.pid);
    proc.exited.then(({ code, signal }) => {
      const used = this.usage.finish(slot.id, proc.pid);
      if (used !== null) {
        history.append({
          type: 'worker-usage',
          cell: config.cell,
          worker: slot.id,
          pid: proc.pid,
          cpuMs: used.usage.cpuMs,
          readyCpuMs: used.atReady?.cpuMs ?? null,
          peakRssKb: used.usage.peakRssKb,
          sampledAt: used.sampledAt,
        });
      }
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
    await this.awaitReady(slot, proc, offset, logFile);
  }

  private async awaitReady(slot: Slot, proc: ManagedProcess, offset: number, logFile: string): Promise<void> {
    const stop = new AbortController();
    const timer = setTimeout(
      () => stop.abort(new Error(`no worker-start within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    void proc.exited.then(({ code, signal }) =>
      stop.abort(new Error(`exited (code ${code}, signal ${signal})`)),
    );
    try {
      await awaitWorkerStart(slot.historyPath, offset, stop.signal);
      this.usage.ready(slot.id);
    } catch (error) {
      proc.kill('SIGKILL');
      const reason =
        stop.signal.reason instanceof Error ? stop.signal.reason.message : (error as Error).message;
      throw new InfrastructureError(`worker ${slot.id} did not start: ${reason}; see ${logFile}`);
    } finally {
      clearTimeout(timer);
      stop.abort();
    }
  }

  private scheduleRestart(slot: Slot): void {
    const delay = this.options.restartDelayMs;
    if (this.stopping || delay === null || slot.replacing) return;
    const timer = setTimeout(() => {
      this.restarts.delete(timer);
      // A redeploy may have started this slot's worker meanwhile (or be about to): a second
      // launch would orphan one of the two processes outside its slot.
      if (this.stopping || slot.process !== null || slot.replacing) return;
      this.launch(slot).catch(() => this.scheduleRestart(slot));
    }, delay);
    this.restarts.add(timer);
  }
}
