import { now } from '../../core/clock.js';
import { readTree, type TreeReading } from '../footprint/proc.js';

/**
 * What a worker process used over its life: CPU time and peak resident memory, kept for
 * its `worker-usage` event, written when the process exits (once a process is reaped its
 * /proc entry is gone, so the figures must be read before). The readings come from the
 * cell's one sampler (harness/footprint/sampler.ts, every second) and from reads on
 * demand: when the worker is started, when it announces readiness, and right before the
 * supervisor signals it. Both go through the same /proc reader (readTree).
 */

export interface ProcessUsage {
  /** User + system CPU of the process, the children it reaped, and its live descendants, in ms. */
  cpuMs: number;
  /** VmHWM of the process plus that of its live descendants, in KiB. */
  peakRssKb: number;
}

/** The usage of a process and its live descendants now; null when the process is gone (or this is not Linux). */
export function readUsage(pid: number): ProcessUsage | null {
  const tree = readTree(pid);
  return tree === null ? null : usageOf(tree);
}

const usageOf = (tree: TreeReading): ProcessUsage => ({ cpuMs: tree.cpuMs, peakRssKb: tree.peakRssKb });

interface Tracked {
  pid: number;
  last: ProcessUsage | null;
  sampledAt: number;
  atReady: ProcessUsage | null;
}

/** Each running worker's last reading, by worker id, until its exit is recorded. */
export class WorkerUsageLedger {
  readonly #tracked = new Map<string, Tracked>();

  /** A worker's new process: read it once now. */
  track(id: string, pid: number): void {
    this.#tracked.set(id, { pid, last: null, sampledAt: 0, atReady: null });
    this.sample([id]);
  }

  /** A reading of a worker's process taken elsewhere (the cell's sampler); ignored for another incarnation. */
  record(id: string, pid: number, reading: TreeReading): void {
    const tracked = this.#tracked.get(id);
    if (tracked?.pid === pid) this.#keep(tracked, usageOf(reading));
  }

  /** Reads the named workers' processes now (a process already gone keeps its last reading). */
  sample(ids: readonly string[]): void {
    for (const id of ids) {
      const tracked = this.#tracked.get(id);
      const usage = tracked ? readUsage(tracked.pid) : null;
      if (tracked && usage !== null) this.#keep(tracked, usage);
    }
  }

  #keep(tracked: Tracked, usage: ProcessUsage): void {
    // Both only grow; a process that just died (a zombie until reaped) still reads its CPU
    // but no longer its memory, so keep the larger of each.
    tracked.last = {
      cpuMs: Math.max(usage.cpuMs, tracked.last?.cpuMs ?? 0),
      peakRssKb: Math.max(usage.peakRssKb, tracked.last?.peakRssKb ?? 0),
    };
    tracked.sampledAt = now();
  }

  /** The worker announced readiness: what it used up to now is its start-up. */
  ready(id: string): void {
    this.sample([id]);
    const tracked = this.#tracked.get(id);
    if (tracked) tracked.atReady = tracked.last;
  }

  /** The worker's process exited: its last reading, and it is no longer kept. */
  finish(
    id: string,
    pid: number,
  ): { usage: ProcessUsage; atReady: ProcessUsage | null; sampledAt: number } | null {
    const tracked = this.#tracked.get(id);
    if (!tracked || tracked.pid !== pid) return null;
    this.#tracked.delete(id);
    return tracked.last === null
      ? null
      : { usage: tracked.last, atReady: tracked.atReady, sampledAt: tracked.sampledAt };
  }
}
