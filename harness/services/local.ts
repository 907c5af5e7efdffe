/**
 * The default provider: starts redis-server, the Temporal dev server and Toxiproxy as
 * child processes on free 127.0.0.1 ports, each logging to `<dir>/<name>.log`.
 */
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { InfrastructureError, InputError } from '../../core/errors.js';
import type {
  HostPort,
  RestartOptions,
  ServiceEndpoints,
  ServiceName,
  ServicesProvider,
  StartOptions,
} from '../../core/services.js';
import { installCleanupHandlers, type ManagedProcess, spawnManaged, stopManaged } from '../processes.js';
import { toolPath } from '../tools.js';
import { freePort, waitUntil } from './ports.js';

const HOST = '127.0.0.1';
const NAMESPACE = 'default';
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
  readonly kind = 'local' as const;
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
    // Resolve every binary before starting anything, so a missing one fails fast.
    for (const name of which) toolPath(name);
    // In parallel: Temporal alone takes about a second (longer on a busy CI machine).
    const results = await Promise.allSettled(
      which.map(async (name) => this.#launch(name, await freePort(), true)),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.stop();
      throw failed.reason;
    }
    const endpoints: ServiceEndpoints = {};
    for (const [name, { port }] of this.#running) {
      if (name === 'temporal') endpoints.temporal = { host: HOST, port, namespace: NAMESPACE };
      else endpoints[name] = { host: HOST, port };
    }
    return endpoints;
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
    await this.#launch(name, running.port, false);
  }

  async stop(): Promise<void> {
    const all = [...this.#running.values()].map((r) => r.proc);
    this.#running.clear();
    for (const proc of all) this.#stopping.add(proc);
    await Promise.all(all.map((proc) => stopManaged(proc, STOP_GRACE_MS)));
  }

  async #launch(name: ServiceName, port: number, fresh: boolean): Promise<void> {
    const options = this.#options!;
    const { args, env } = commandLine(name, port, options, fresh);
    // The dev server picks its HTTP API and metrics ports itself and was once seen to pick
    // its own gRPC port, which it had not bound yet: give it free ones of ours instead.
    if (name === 'temporal')
      args.push('--http-port', String(await freePort()), '--metrics-port', String(await freePort()));
    const logFile = join(options.dir, `${name}.log`);
    // Restarts append to the same log; a marker line shows where each start begins.
    const how = fresh ? 'start' : 'restart';
    appendFileSync(
      logFile,
      `--- faultline: ${how} ${name} on ${HOST}:${port} at ${new Date().toISOString()}\n`,
    );
    const began = performance.now();
    const proc = spawnManaged(name, toolPath(name), args, { env: { ...process.env, ...env }, logFile });
    this.#running.set(name, { port, proc });
    // A process that dies while we wait fails the wait at once, naming its log.
    const died = new AbortController();
    void proc.exited.then(({ code, signal }) => {
      const reason = `${name} exited (code ${code}, signal ${signal}); see ${logFile}`;
      died.abort(new InfrastructureError(reason));
      if (!this.#stopping.delete(proc)) this.providerOptions.onUnexpectedExit?.(name, code, signal);
    });
    await waitUntil(() => answers(name, { host: HOST, port }), {
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: name === 'temporal' ? 250 : 50,
      what: `${name} on ${HOST}:${port}`,
      signal: died.signal,
    });
    this.startupMs[name] = Math.round(performance.now() - began);
  }
}

function commandLine(
  name: ServiceName,
  port: number,
  { dir, persistence }: StartOptions,
  fresh: boolean,
): { args: string[]; env?: NodeJS.ProcessEnv } {
  switch (name) {
    case 'redis': {
      const dataDir = freshDataDir(dir, name, fresh);
      const aof = persistence ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no'];
      // noeviction: a queue silently losing keys under memory pressure would look like lost runs.
      return {
        args: ['--port', String(port), '--bind', HOST, '--dir', dataDir, ...aof].concat([
          '--maxmemory-policy',
          'noeviction',
          '--save',
          '',
        ]),
      };
    }
    case 'temporal': {
      const dbFile = join(freshDataDir(dir, name, fresh), 'temporal.db');
      // --headless: no UI port. Internal service ports default to random free ports, so
      // two dev servers never collide; #launch adds free HTTP API and metrics ports.
      const args = ['server', 'start-dev', '--headless', '--ip', HOST, '--port', String(port)];
      args.push('--log-level', 'warn');
      // WAL with synchronous=NORMAL survives a crash of the server process (what a backend
      // restart fault does), like Redis's appendfsync everysec; SQLite's default syncs to
      // disk on every commit, which would make the dev server, not Temporal, the bottleneck.
      if (persistence) {
        args.push('--db-filename', dbFile);
        args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
      }
      return { args };
    }
    case 'toxiproxy':
      // Its default log level is "trace" (several lines per API call).
      return { args: ['-host', HOST, '-port', String(port)], env: { LOG_LEVEL: 'info' } };
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

/** One readiness probe: true when the service answers a real request. */
export async function answers(
  name: ServiceName,
  endpoint: HostPort,
  namespace = NAMESPACE,
): Promise<boolean> {
  switch (name) {
    case 'redis':
      return (await redisCommand(endpoint, 'PING', 1000)) === '+PONG';
    case 'toxiproxy': {
      const res = await fetch(`http://${endpoint.host}:${endpoint.port}/version`, {
        signal: AbortSignal.timeout(1000),
      });
      await res.text();
      return res.ok;
    }
    case 'temporal': {
      const connection = await Connection.connect({
        address: `${endpoint.host}:${endpoint.port}`,
        connectTimeout: 2000,
      });
      try {
        // The frontend answers before the "default" namespace exists; wait for both.
        await connection.withDeadline(Date.now() + 2000, () =>
          connection.workflowService.describeNamespace({ namespace }),
        );
        return true;
      } finally {
        await connection.close();
      }
    }
  }
}

/**
 * Sends one inline Redis command over a fresh socket and returns the first reply line
 * ("+PONG", or "-LOADING ..." while an AOF is replayed). Raw socket rather than ioredis:
 * ioredis would queue and retry, hiding exactly the "not yet" we are polling for.
 */
export function redisCommand(endpoint: HostPort, command: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let reply = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no reply within ${timeoutMs} ms`)));
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      const end = reply.indexOf('\r\n');
      if (end >= 0) {
        socket.destroy();
        resolve(reply.slice(0, end));
      }
    });
    socket.once('close', () => reject(new Error('connection closed before a reply')));
    socket.connect(endpoint.port, endpoint.host, () => socket.write(`${command}\r\n`));
  });
}
