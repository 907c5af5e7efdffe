/**
 * The one registry of every child process the harness starts (services, world, workers).
 * The design promises that every process the harness starts is gone when it exits, also
 * after Ctrl-C or a crash; keeping them all here is how that promise is kept.
 *
 * Services stay in the harness's process group, so a terminal's Ctrl-C reaches them too.
 * Workers get a group of their own (a kill must reach a prefork pool's children) and a
 * stdin pipe whose end of file tells them the harness is gone.
 *
 * However the harness dies (a SIGKILL, the OOM killer, a cancelled CI job), its children
 * die with it: on Linux each is started through `setpriv --pdeathsig KILL`, so the kernel
 * SIGKILLs it when the thread that forked it (Node's main thread) exits; and each is
 * recorded in the process registry (process-registry.ts), from which the next run or
 * `faultline clean` kills whatever escaped.
 */
import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { InfrastructureError } from '../core/errors.js';
import { forgetOwnRecord, recordChild, recordExit } from './process-registry.js';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr are appended to this file; without it they go to the harness's own. */
  logFile?: string;
  /** Open an IPC channel (`child.send` / `process.send`). */
  ipc?: boolean;
  /**
   * A pipe as stdin that the harness holds and never writes: when the harness dies, however
   * it dies, the child reads end of file (the worker protocol's "the harness is gone").
   */
  stdinPipe?: boolean;
  /** Its stdout as a pipe the harness reads (a helper's replies); stderr still goes to the log file. */
  stdoutPipe?: boolean;
  /** Its own process group, so a signal can reach it and every child it forks (a prefork pool). */
  group?: boolean;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves (never rejects) once the process has exited. */
  readonly exited: Promise<ExitStatus>;
  /** Whether signals go to its whole process group. */
  readonly group: boolean;
  /** Sends a signal (default SIGTERM), to its group when it has one, if it is still running. */
  kill(signal?: NodeJS.Signals): void;
}

const alive = new Set<ManagedProcess>();

export function spawnManaged(
  name: string,
  command: string,
  args: readonly string[],
  opts: SpawnOptions = {},
): ManagedProcess {
  // The child writes straight into the log file (no pipe through the harness): nothing to
  // pump, and the log keeps the last lines even when the harness dies first.
  const fd = opts.logFile === undefined ? undefined : openSync(opts.logFile, 'a');
  const out = fd ?? 'inherit';
  const stdin = opts.stdinPipe ? 'pipe' : 'ignore';
  const stdout = opts.stdoutPipe ? 'pipe' : out;
  const stdio: StdioOptions = opts.ipc ? [stdin, stdout, out, 'ipc'] : [stdin, stdout, out];
  const group = opts.group === true;
  const [program, argv] = diesWithParent(command, args);
  let child: ChildProcess;
  try {
    child = spawn(program, argv, { env: opts.env, cwd: opts.cwd, stdio, detached: group });
  } finally {
    if (fd !== undefined) closeSync(fd); // the child holds its own copy
  }
  const pid = child.pid;
  if (pid === undefined) {
    // Spawn failed (ENOENT, EACCES); the 'error' event with the reason comes later.
    child.once('error', () => {});
    throw new InfrastructureError(`could not start ${name}: ${command} ${args.join(' ')}`);
  }
  recordChild(pid, name, group);
  let running = true;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      alive.delete(managed);
      recordExit(pid);
      resolve({ code, signal });
    });
  });
  // An 'error' after a successful spawn (e.g. a failed kill) must not crash the harness.
  child.on('error', () => {});
  // The held stdin must not keep the harness's event loop alive, nor fail it when the child is gone.
  if (child.stdin) {
    child.stdin.on('error', () => {});
    (child.stdin as unknown as { unref?: () => void }).unref?.();
  }
  const managed: ManagedProcess = {
    name,
    pid,
    child,
    exited,
    group,
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (running) signalProcess(pid, group, signal);
    },
  };
  alive.add(managed);
  return managed;
}

/**
 * The command wrapped so the kernel SIGKILLs it when this process dies (PR_SET_PDEATHSIG,
 * kept across exec; setpriv execs the command, so the pid is the command's). Only for an
 * absolute, executable command, so a missing binary still fails at spawn with its name;
 * FAULTLINE_NO_PDEATHSIG=1 turns it off (the test of the registry's reaping uses it).
 */
function diesWithParent(command: string, args: readonly string[]): [string, readonly string[]] {
  if (SETPRIV === undefined || !isAbsolute(command) || !isExecutable(command)) return [command, args];
  return [SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args]];
}

const SETPRIV =
  process.platform === 'linux' && process.env.FAULTLINE_NO_PDEATHSIG !== '1'
    ? (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, 'setpriv'))
        .find(isExecutable)
    : undefined;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
export async function stopManaged(p: ManagedProcess, graceMs = 5000): Promise<ExitStatus> {
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** A signal to a process, or to its whole group; a process already gone is no error. */
export function signalProcess(pid: number, group: boolean, signal: NodeJS.Signals): void {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    // already gone
  }
}

/** Synchronous SIGKILL to every child still running: for exit paths that cannot wait. */
function killAllManaged(): void {
  for (const p of alive) signalProcess(p.pid, p.group, 'SIGKILL');
}

/** Children still running, oldest first. */
export function managedProcesses(): readonly ManagedProcess[] {
  return [...alive];
}

let installed = false;
const interruptHooks = new Set<(signal: NodeJS.Signals) => void>();

/**
 * Runs synchronously when the harness is interrupted, before the children are killed (a
 * history line written here is on disk before anything else happens). Returns the undo.
 */
export function onInterrupt(hook: (signal: NodeJS.Signals) => void): () => void {
  interruptHooks.add(hook);
  return () => interruptHooks.delete(hook);
}

/**
 * On SIGINT / SIGTERM / SIGHUP: kill every child, exit with 128 + signal number. On any
 * exit (including uncaught exceptions and unhandled rejections, which the monitor event
 * sees without changing Node's own reporting and exit code): kill the survivors.
 */
export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  const onSignal = (code: number) => (signal: NodeJS.Signals) => {
    for (const hook of interruptHooks) {
      try {
        hook(signal);
      } catch {
        // A hook must never keep the children alive.
      }
    }
    killAllManaged();
    process.exit(code);
  };
  process.on('SIGINT', onSignal(130));
  process.on('SIGTERM', onSignal(143));
  process.on('SIGHUP', onSignal(129));
  process.on('exit', () => {
    killAllManaged();
    forgetOwnRecord(); // every child is SIGKILLed: nothing left for a later run to reap
  });
  // Fires for uncaught exceptions and (Node's default "throw" mode) unhandled rejections.
  process.on('uncaughtExceptionMonitor', killAllManaged);
}
