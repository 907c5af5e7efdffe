/**
 * The machine-wide record of every process a faultline process started, so that none
 * outlives it however it dies. The first line of defence is the kernel's parent-death
 * signal (harness/processes.ts); this is the second, for what escapes it (a platform
 * without setpriv, a child not yet armed when its parent died): each faultline process
 * appends one line per child to `<tmp>/faultline-<uid>/<pid>.jsonl` before it can matter,
 * and the next `faultline run` (or `faultline clean`) kills the children recorded by a
 * faultline process that is gone. A process is identified by pid *and* start time, so a
 * recycled pid is never killed.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat, field 22): with the pid, unique. */
  start: string;
}

interface OwnerLine {
  owner: ProcessIdentity;
  cwd: string;
  argv: string[];
}
interface ChildLine extends ProcessIdentity {
  name: string;
  group: boolean;
}
interface ExitLine {
  exited: number;
}

export interface Reaped extends ChildLine {
  /** The faultline process that started it. */
  owner: number;
}

/** Where the records live; FAULTLINE_PROCESS_REGISTRY overrides it (tests). */
export function registryDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FAULTLINE_PROCESS_REGISTRY ?? join(tmpdir(), `faultline-${process.getuid?.() ?? 'user'}`);
}

/** The start time of a running (not zombie) process, or undefined when it is gone. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is the first.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return fields[19]; // field 22 overall
  } catch {
    return undefined;
  }
}

export const isRunning = (p: ProcessIdentity): boolean => processStart(p.pid) === p.start;

let ownFile: string | undefined;
/** The run folder's copy (`<run>/processes.jsonl`): what this run started, kept with its history. */
let runFile: string | undefined;

/**
 * Records this process's children in the run folder too, from now until `undefined` is
 * given: the run's own record of what it started, which `faultline clean RUN_DIR` reads.
 */
export function alsoRecordIn(path: string | undefined): void {
  runFile = path;
  if (path === undefined) return;
  const owner: OwnerLine = {
    owner: { pid: process.pid, start: processStart(process.pid) ?? '' },
    cwd: process.cwd(),
    argv: process.argv.slice(1),
  };
  appendLine(path, owner);
}

function appendLine(path: string | undefined, line: object): void {
  if (path === undefined) return;
  try {
    appendFileSync(path, `${JSON.stringify(line)}\n`);
  } catch {
    // The records are the second line of defence; a full disk must not stop the run.
  }
}

function ownRecord(): string {
  if (ownFile !== undefined) return ownFile;
  const dir = registryDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${process.pid}.jsonl`);
  const owner: OwnerLine = {
    owner: { pid: process.pid, start: processStart(process.pid) ?? '' },
    cwd: process.cwd(),
    argv: process.argv.slice(1),
  };
  // A stale file of an earlier process with this pid is that process's: reap it first.
  if (existsSync(file)) reapRecord(file);
  appendFileSync(file, `${JSON.stringify(owner)}\n`);
  ownFile = file;
  return file;
}

/** Records a child this process just started (synchronously: it is on disk before anything can die). */
export function recordChild(pid: number, name: string, group: boolean): void {
  const start = processStart(pid);
  if (start === undefined) return; // already gone
  const line: ChildLine = { pid, start, name, group };
  let file: string | undefined;
  try {
    file = ownRecord();
  } catch {
    // no registry folder (a read-only /tmp): the run folder's record and the kernel remain
  }
  appendLine(file, line);
  appendLine(runFile, line);
}

export function recordExit(pid: number): void {
  const line: ExitLine = { exited: pid };
  appendLine(ownFile, line);
  appendLine(runFile, line);
}

/** This process is exiting with every child stopped: its record is no longer needed. */
export function forgetOwnRecord(): void {
  if (ownFile === undefined) return;
  try {
    unlinkSync(ownFile);
  } catch {
    // already gone
  }
  ownFile = undefined;
}

/**
 * Kills every process recorded by a faultline process that is gone (never one of a
 * faultline process still running: its run is not ours to end), then drops those
 * records. Returns what it killed.
 */
export function reapOrphans(): Reaped[] {
  const dir = registryDir();
  if (!existsSync(dir)) return [];
  const reaped: Reaped[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.jsonl'))) {
    const file = join(dir, name);
    if (file === ownFile) continue;
    reaped.push(...reapRecord(file));
  }
  return reaped;
}

/**
 * `faultline clean RUN_DIR`: kills what that run recorded in `<run>/processes.jsonl`, if the
 * faultline process that ran it is gone. The record stays: it is part of the run folder.
 */
export function reapRunFolder(runDir: string): Reaped[] {
  const file = join(runDir, 'processes.jsonl');
  if (!existsSync(file)) return [];
  return reapRecord(file, { keep: true });
}

function reapRecord(file: string, options: { keep?: boolean } = {}): Reaped[] {
  let lines: unknown[];
  try {
    lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        try {
          return JSON.parse(line) as unknown;
        } catch {
          return null; // a torn last line of a SIGKILLed owner
        }
      });
  } catch {
    return [];
  }
  const owner = (lines.find((l) => (l as OwnerLine | null)?.owner !== undefined) as OwnerLine | undefined)
    ?.owner;
  if (owner !== undefined && isRunning(owner)) return [];
  const exited = new Set(lines.map((l) => (l as ExitLine | null)?.exited).filter((p) => p !== undefined));
  const reaped: Reaped[] = [];
  for (const line of lines) {
    const child = line as ChildLine | null;
    if (child === null || typeof child.pid !== 'number' || exited.has(child.pid)) continue;
    if (!isRunning(child)) continue;
    killHard(child);
    reaped.push({ ...child, owner: owner?.pid ?? -1 });
  }
  if (!options.keep) rmSync(file, { force: true });
  return reaped;
}

function killHard(child: ChildLine): void {
  for (const target of child.group ? [-child.pid, child.pid] : [child.pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // gone, or not a group leader any more
    }
  }
}
