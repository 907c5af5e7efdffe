/**
 * The default provider: starts each service's binary as a child process on a free
 * 127.0.0.1 port, logging to `<dir>/<name>.log`. What a service needs is in its
 * definition (kinds/); this file knows none of them.
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
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
/** First starts on a fresh free port, when the one chosen was taken before the server bound it. */
const PORT_ATTEMPTS = 3;
/** How a server's log says it could not bind (Go's net package, Redis, Toxiproxy alike). */
const PORT_TAKEN = /address already in use/i;

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
      definitions.map((definition) => this.#launchOnFreePort(definition)),
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

  /**
   * A first start on a free port, tried on another when the server says its port was taken:
   * freePort's port is free when chosen, and another process can bind it (or one of the
   * ports the Temporal dev server picks for its internal services) before the server does.
   * Rare with one run on the machine, real with two suites at once. A restart keeps its port.
   */
  async #launchOnFreePort(definition: ServiceDefinition): Promise<void> {
    const logFile = join(this.#options!.dir, `${definition.name}.log`);
    for (let attempt = 1; ; attempt++) {
      const logged = logLength(logFile);
      try {
        await this.#launch(definition, await freePort(), true);
        return;
      } catch (error) {
        const since = readFileSync(logFile, 'utf8').slice(logged);
        if (attempt >= PORT_ATTEMPTS || !PORT_TAKEN.test(since)) throw error;
        // Dead by now, as a rule; one that hangs on after a failed bind is stopped first.
        const failed = this.#running.get(definition.name);
        this.#running.delete(definition.name);
        if (failed) {
          this.#stopping.add(failed.proc);
          await stopManaged(failed.proc, STOP_GRACE_MS);
        }
      }
    }
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

function logLength(logFile: string): number {
  try {
    return readFileSync(logFile, 'utf8').length;
  } catch {
    return 0; // no log yet: the first start writes it
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
