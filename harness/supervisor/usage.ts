import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { now } from '../../core/clock.js';

/**
 * What a worker process uses, read from Linux's /proc: CPU time and peak resident memory.
 * The supervisor samples every worker while it runs and writes the last sample to the
 * history when the process exits (`worker-usage`): once a process is reaped its /proc
 * entry is gone, so the figures must be read before.
 */

export interface ProcessUsage {
  /** User + system CPU of the process, the children it reaped, and its live descendants, in ms. */
  cpuMs: number;
  /** VmHWM of the process plus that of its live descendants, in KiB. */
  peakRssKb: number;
}

/** The clock ticks /proc counts CPU time in (USER_HZ; 100 on every Linux port but a few). */
let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * The CPU ticks of /proc/<pid>/stat: utime, stime, cutime, cstime (fields 14 to 17). The
 * command name (field 2) is in parentheses and may hold spaces: fields count from after its `)`.
 */
export function statCpuTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, so fields[11].
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
}

/** VmHWM (peak resident set) in KiB from /proc/<pid>/status; 0 when absent (a zombie). */
export function statusPeakRssKb(status: string): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return match ? Number(match[1]) : 0;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The pids of a process's children that its main thread started (Linux's task children file). */
function childrenOf(pid: number): number[] {
  const text = readOrNull(`/proc/${pid}/task/${pid}/children`);
  return text === null ? [] : text.split(' ').filter(Boolean).map(Number);
}

/**
 * The usage of a process and its live descendants now; null when the process is gone (or
 * this is not Linux). Descendants are found through each process's main thread, which is
 * where a prefork pool forks its children.
 */
export function readUsage(pid: number): ProcessUsage | null {
  let ticks = 0;
  let peakRssKb = 0;
  let found = false;
  const seen = new Set<number>();
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    const stat = readOrNull(`/proc/${next}/stat`);
    if (stat === null) continue;
    if (next === pid) found = true;
    ticks += statCpuTicks(stat);
    peakRssKb += statusPeakRssKb(readOrNull(`/proc/${next}/status`) ?? '');
    pending.push(...childrenOf(next));
  }
  if (!found) return null;
  return { cpuMs: (ticks * 1000) / clockTicks(), peakRssKb };
}

interface Tracked {
  pid: number;
  last: ProcessUsage | null;
  sampledAt: number;
  atReady: ProcessUsage | null;
}

/** Every second is enough: a failpoint's self-kill loses at most that much of a worker's CPU. */
const USAGE_SAMPLE_MS = 1000;

/**
 * Samples the supervisor's running workers every USAGE_SAMPLE_MS, and on demand (right
 * before a signal), keeping each one's last reading until its exit is recorded.
 */
export class UsageSampler {
  readonly #tracked = new Map<string, Tracked>();
  #timer: NodeJS.Timeout | null = null;

  /** Starts sampling a worker's new process. */
  track(id: string, pid: number): void {
    this.#tracked.set(id, { pid, last: null, sampledAt: 0, atReady: null });
    this.sample([id]);
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.sample([...this.#tracked.keys()]), USAGE_SAMPLE_MS);
      this.#timer.unref();
    }
  }

  /** Reads the named workers' processes now (a process already gone keeps its last reading). */
  sample(ids: readonly string[]): void {
    for (const id of ids) {
      const tracked = this.#tracked.get(id);
      const usage = tracked ? readUsage(tracked.pid) : null;
      if (!tracked || usage === null) continue;
      // Both only grow; a process that just died (a zombie until reaped) still reads its CPU
      // but no longer its memory, so keep the larger of each.
      tracked.last = {
        cpuMs: Math.max(usage.cpuMs, tracked.last?.cpuMs ?? 0),
        peakRssKb: Math.max(usage.peakRssKb, tracked.last?.peakRssKb ?? 0),
      };
      tracked.sampledAt = now();
    }
  }

  /** The worker announced readiness: what it used up to now is its start-up. */
  ready(id: string): void {
    this.sample([id]);
    const tracked = this.#tracked.get(id);
    if (tracked) tracked.atReady = tracked.last;
  }

  /** The worker's process exited: its last reading, and it is no longer sampled. */
  finish(
    id: string,
    pid: number,
  ): { usage: ProcessUsage; atReady: ProcessUsage | null; sampledAt: number } | null {
    const tracked = this.#tracked.get(id);
    if (!tracked || tracked.pid !== pid) return null;
    this.#tracked.delete(id);
    if (this.#tracked.size === 0) this.stop();
    return tracked.last === null
      ? null
      : { usage: tracked.last, atReady: tracked.atReady, sampledAt: tracked.sampledAt };
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
