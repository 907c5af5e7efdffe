/**
 * The default provider: starts each service's binary as a child process on a free
 * 127.0.0.1 port, logging to `<dir>/<name>.log`. What a service needs is in its
 * definition (kinds/); this file knows none of them.
 */
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfrastructureError, InputError } from '../../core/errors.js';
import type {
  RestartOptions,
  ServiceEndpoints,
  ServiceName,
  ServicesProvider,
  StartOptions,
} from '../../core/services.js';
import { installCleanupHandlers, type ManagedProcess, spawnManaged, stopManaged } from '../processes.js';
import { type ServiceDefinition, serviceDefinition } from './kinds/index.js';
import { freePort, waitUntil } from './ports.js';

const HOST = '127.0.0.1';
/** Temporal's dev server migrates its SQLite schema on first start; allow for a slow CI box. */
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

interface Running {
  port: number;
  proc: ManagedProcess;
}

export interface LocalProviderOptions {
  /** Called when a service exits that nobody asked to stop (a crash: exit code 3 territory). */
  onUnexpectedExit?: (name: ServiceName, code: number | null, signal: NodeJS.Signals | null) => void;
}

export class LocalServicesProvider implements ServicesProvider {
  readonly kind = 'local';
  /** Milliseconds from spawn to "answers", per service, of the latest (re)start. */
  readonly startupMs: Partial<Record<ServiceName, number>> = {};
  readonly #running = new Map<ServiceName, Running>();
  /** Processes we are stopping on purpose, so their exit is not reported as a crash. */
  readonly #stopping = new Set<ManagedProcess>();
  #options: StartOptions | undefined;

  constructor(private readonly providerOptions: LocalProviderOptions = {}) {}

  async start(which: readonly ServiceName[], options: StartOptions): Promise<ServiceEndpoints> {
    if (this.#options !== undefined) throw new InputError('this LocalServicesProvider was already started');
    this.#options = options;
    installCleanupHandlers();
    mkdirSync(options.dir, { recursive: true });
    // Resolve every definition and binary before starting anything, so a missing one fails fast.
    const definitions = which.map((name) => serviceDefinition(name));
    for (const definition of definitions) definition.binary();
    // In parallel: Temporal alone takes about a second (longer on a busy CI machine).
    const results = await Promise.allSettled(
      definitions.map(async (definition) => this.#launch(definition, await freePort(), true)),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.stop();
      throw failed.reason;
    }
    const endpoints: Record<ServiceName, ServiceEndpoints[string]> = {};
    for (const definition of definitions) {
      const { port } = this.#running.get(definition.name)!;
      endpoints[definition.name] = {
        host: HOST,
        port,
        ...(definition.options ? { options: definition.options } : {}),
      };
    }
    return endpoints;
  }

  processes(): Record<ServiceName, number> {
    return Object.fromEntries([...this.#running].map(([name, { proc }]) => [name, proc.pid]));
  }

  canRestart(name: ServiceName): boolean {
    return this.#running.has(name);
  }

  /** SIGKILLs the service (a crash, not a shutdown), waits `downMs`, starts it on the same port. */
  async restart(name: ServiceName, options: RestartOptions = {}): Promise<void> {
    const running = this.#running.get(name);
    if (running === undefined) throw new InputError(`cannot restart ${name}: it was not started`);
    this.#stopping.add(running.proc);
    running.proc.kill('SIGKILL');
    await running.proc.exited;
    this.#running.delete(name);
    if (options.downMs) await sleep(options.downMs);
    await this.#launch(serviceDefinition(name), running.port, false);
  }

  async stop(): Promise<void> {
    const all = [...this.#running.values()].map((r) => r.proc);
    this.#running.clear();
    for (const proc of all) this.#stopping.add(proc);
    await Promise.all(all.map((proc) => stopManaged(proc, STOP_GRACE_MS)));
  }

  async #launch(definition: ServiceDefinition, port: number, fresh: boolean): Promise<void> {
    const options = this.#options!;
    const { name } = definition;
    const dataDir = freshDataDir(options.dir, name, fresh);
    const { args, env } = await definition.commandLine(port, {
      dataDir,
      persistence: options.persistence,
      host: HOST,
    });
    const logFile = join(options.dir, `${name}.log`);
    // Restarts append to the same log; a marker line shows where each start begins.
    const how = fresh ? 'start' : 'restart';
    appendFileSync(
      logFile,
      `--- faultline: ${how} ${name} on ${HOST}:${port} at ${new Date().toISOString()}\n`,
    );
    const began = performance.now();
    const proc = spawnManaged(name, definition.binary(), args, {
      env: { ...process.env, ...env },
      logFile,
    });
    this.#running.set(name, { port, proc });
    // A process that dies while we wait fails the wait at once, naming its log.
    const died = new AbortController();
    void proc.exited.then(({ code, signal }) => {
      const reason = `${name} exited (code ${code}, signal ${signal}); see ${logFile}`;
      died.abort(new InfrastructureError(reason));
      if (!this.#stopping.delete(proc)) this.providerOptions.onUnexpectedExit?.(name, code, signal);
    });
    const endpoint = { host: HOST, port, ...(definition.options ? { options: definition.options } : {}) };
    await waitUntil(() => definition.answers(endpoint), {
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: definition.probeIntervalMs,
      what: `${name} on ${HOST}:${port}`,
      signal: died.signal,
    });
    this.startupMs[name] = Math.round(performance.now() - began);
  }
}

/**
 * `<dir>/<name>`, emptied on a first start (a new run must not load an earlier run's AOF
 * or SQLite file) and kept on a restart (that is what persistence means).
 */
function freshDataDir(dir: string, name: ServiceName, fresh: boolean): string {
  const dataDir = join(dir, name);
  if (fresh) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  return dataDir;
}
