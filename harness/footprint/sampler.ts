import type { ProcessUsage } from '../../core/history/events.js';
import type { HistoryWriter } from '../../core/history/writer.js';
import { hasProc, readMachine, readTree, type TreeReading } from './proc.js';

/** About once a second: fine enough for a cell's CPU seconds and its peak memory, cheap enough to ignore. */
const SAMPLE_EVERY_MS = 1000;

/** A process tree to sample: what it is and its main pid now (it may change: a restarted worker). */
export interface SampleTarget {
  name: string;
  role: ProcessUsage['role'];
  pid: number;
}

/**
 * The one sampler of a cell's processes: it reads the CPU time and resident memory of
 * every target from /proc into the history (`process-usage`), one timer per cell, off the
 * hot path: once when started, then every SAMPLE_EVERY_MS, and once when stopped (before
 * the cell's workers are stopped, so their last second counts). Each reading is also
 * handed to `onReading` (the supervisor keeps each worker's last one for its
 * `worker-usage`), so no process is read twice a tick. Every target is read apart from
 * the others: the harness's tree holds neither the workers, the world, the services it
 * started nor the helpers, nor what it reaped of them. A process that dies between two
 * samples loses the CPU it used since the last one (at most a second's worth). Without
 * /proc (not Linux) it samples nothing, and the footprint reads "not measured".
 */
export class FootprintSampler {
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: {
      history: HistoryWriter;
      cell: string;
      targets: () => SampleTarget[];
      onReading?: (target: SampleTarget, reading: TreeReading) => void;
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
    const targets = this.options.targets();
    const pids = new Set(targets.map((t) => t.pid));
    const processes: ProcessUsage[] = [];
    for (const target of targets) {
      const others = new Set([...pids].filter((pid) => pid !== target.pid));
      // Only the harness reaps other targets (it starts them all): its own CPU, not theirs.
      const tree = readTree(target.pid, undefined, { pids: others, reaped: target.role === 'harness' });
      if (tree === null) continue;
      this.options.onReading?.(target, tree);
      const { peakRssKb: _peak, ...usage } = tree;
      processes.push({ ...target, ...usage });
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
