import type { ProcessUsage } from '../../core/history/events.js';
import type { HistoryWriter } from '../../core/history/writer.js';
import { hasProc, readMachine, readTree } from './proc.js';

/** About once a second: fine enough for a cell's CPU seconds and its peak memory, cheap enough to ignore. */
export const SAMPLE_EVERY_MS = 1000;

/** A process tree to sample: what it is and its main pid now (it may change: a restarted worker). */
export interface SampleTarget {
  name: string;
  role: ProcessUsage['role'];
  pid: number;
}

/**
 * Samples the CPU time and resident memory of a cell's processes from /proc into the
 * history (`process-usage`), one timer per cell, off the hot path: once when started,
 * then every SAMPLE_EVERY_MS, and once when stopped (before the cell's workers are
 * stopped, so their last second counts). A process that dies between two samples loses
 * the CPU it used since the last one (at most a second's worth). Without /proc (not
 * Linux) it samples nothing, and the footprint reads "not measured".
 */
export class FootprintSampler {
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: {
      history: HistoryWriter;
      cell: string;
      targets: () => SampleTarget[];
      everyMs?: number;
    },
  ) {}

  start(): void {
    if (!hasProc() || this.#timer !== null) return;
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.options.everyMs ?? SAMPLE_EVERY_MS);
    this.#timer.unref();
  }

  /** The last sample, then no more; safe to call twice. */
  stop(): void {
    if (this.#timer === null) return;
    clearInterval(this.#timer);
    this.#timer = null;
    this.sample();
  }

  sample(): void {
    const processes: ProcessUsage[] = [];
    for (const target of this.options.targets()) {
      const tree = readTree(target.pid);
      if (tree !== null) processes.push({ ...target, ...tree });
    }
    if (processes.length === 0) return;
    const machine = readMachine();
    this.options.history.append({
      type: 'process-usage',
      cell: this.options.cell,
      processes,
      ...(machine ? { machine } : {}),
    });
  }
}
