/**
 * What Linux says about a process in /proc: its CPU time, resident memory (now and at its
 * peak), start time and children. The one reader of process usage: the footprint's samples
 * and the supervisor's worker-usage both come from readTree. Synchronous reads of a few
 * small files per process; a process gone between two reads is simply not there.
 * Elsewhere than Linux there is no /proc, and nothing is read.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat the footprint uses (proc(5)). */
export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime: the process's CPU and that of its children already reaped. */
  cpuTicks: number;
  /** utime + stime: the process's own CPU alone. */
  ownTicks: number;
  /** Start time after boot, in clock ticks. */
  startTicks: number;
  rssPages: number;
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) is in parentheses and may hold
 * spaces and parentheses itself, so the fields are counted from the last `)`.
 */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // After the name: state (field 3), ppid (4), … utime (14) stime (15) cutime (16) cstime (17) … starttime (22) vsize (23) rss (24).
  const f = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const at = (field: number) => Number(f[field - 3]);
  const stat = {
    pid,
    ppid: at(4),
    cpuTicks: at(14) + at(15) + at(16) + at(17),
    ownTicks: at(14) + at(15),
    startTicks: at(22),
    rssPages: at(24),
  };
  return Object.values(stat).every(Number.isFinite) ? stat : null;
}

/** The system's constants a reading needs: ticks per second, page size, boot time. */
export interface ProcClock {
  ticksPerSecond: number;
  pageBytes: number;
  bootEpochMs: number;
}

export function hasProc(): boolean {
  return process.platform === 'linux' && existsSync('/proc/self/stat');
}

function getconf(name: string, fallback: number): number {
  try {
    const value = Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

let clock: ProcClock | undefined;

/** Read once: CLK_TCK and PAGESIZE from getconf (Linux's usual 100 and 4096 if it fails), btime from /proc/stat. */
export function procClock(): ProcClock {
  if (clock) return clock;
  const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
  clock = {
    ticksPerSecond: getconf('CLK_TCK', 100),
    pageBytes: getconf('PAGESIZE', 4096),
    bootEpochMs: btime ? Number(btime[1]) * 1000 : 0,
  };
  return clock;
}

export function readStat(pid: number): ProcStat | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** A process's children, from every one of its threads (a child belongs to the thread that forked it). */
export function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const task of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ')) {
        if (child.trim() !== '') children.push(Number(child));
      }
    } catch {
      // the thread ended meanwhile
    }
  }
  return children;
}

/** VmHWM (peak resident set) in KiB from /proc/<pid>/status; 0 when absent (a zombie). */
export function statusPeakRssKb(status: string): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return match ? Number(match[1]) : 0;
}

function readPeakRssKb(pid: number): number {
  try {
    return statusPeakRssKb(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return 0;
  }
}

/** A process and its live descendants, summed; null when the process is gone. */
export interface TreeReading {
  startedAt: number;
  cpuMs: number;
  rssBytes: number;
  /** The sum of each process's own peak resident memory (VmHWM), KiB: what it held at worst. */
  peakRssKb: number;
  children: number;
}

/** Processes read on their own, not as part of the tree being read. */
export interface Apart {
  /** Descendants left out, with their own descendants. */
  pids: ReadonlySet<number>;
  /**
   * The root's children already reaped are left out too (its own CPU only): they were
   * sampled apart while they lived (the harness reaps the workers and services it started).
   */
  reaped: boolean;
}

/**
 * Reads a process and its live descendants, but those sampled `apart` (the harness's
 * children are the world, the workers, locally started services and helpers, each read
 * as a process of its own).
 */
export function readTree(
  pid: number,
  c: ProcClock = procClock(),
  apart: Apart = { pids: new Set(), reaped: false },
): TreeReading | null {
  const root = readStat(pid);
  if (root === null) return null;
  let ticks = apart.reaped ? root.ownTicks : root.cpuTicks;
  let pages = root.rssPages;
  let peakRssKb = readPeakRssKb(pid);
  let children = 0;
  const queue = childrenOf(pid);
  const seen = new Set<number>([pid]);
  while (queue.length > 0) {
    const next = queue.pop()!;
    if (seen.has(next) || apart.pids.has(next)) continue;
    seen.add(next);
    const stat = readStat(next);
    if (stat === null) continue;
    children++;
    ticks += stat.cpuTicks;
    pages += stat.rssPages;
    peakRssKb += readPeakRssKb(next);
    queue.push(...childrenOf(next));
  }
  return {
    startedAt: Math.round(c.bootEpochMs + (root.startTicks / c.ticksPerSecond) * 1000),
    cpuMs: (ticks / c.ticksPerSecond) * 1000,
    rssBytes: pages * c.pageBytes,
    peakRssKb,
    children,
  };
}

/** The whole machine's CPU time since boot (/proc/stat's `cpu` line): busy (anything running) and idle, ms. */
export interface MachineReading {
  busyMs: number;
  idleMs: number;
  cores: number;
}

/** Parses /proc/stat: busy = user + nice + system + irq + softirq + steal; idle = idle + iowait. */
export function parseMachine(text: string, ticksPerSecond: number): MachineReading | null {
  const line = /^cpu\s+(.*)$/m.exec(text);
  if (!line) return null;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line[1]!
    .trim()
    .split(/\s+/)
    .map(Number);
  const ms = (ticks: number) => (ticks / ticksPerSecond) * 1000;
  const cores = (text.match(/^cpu\d+\s/gm) ?? []).length;
  return { busyMs: ms(user + nice + system + irq + softirq + steal), idleMs: ms(idle + iowait), cores };
}

export function readMachine(c: ProcClock = procClock()): MachineReading | null {
  try {
    return parseMachine(readFileSync('/proc/stat', 'utf8'), c.ticksPerSecond);
  } catch {
    return null;
  }
}
