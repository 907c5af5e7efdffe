import type { HistoryEvent } from '../../core/history/events.js';
import type { WorkerUsageSummary } from '../../core/results.js';

/**
 * What a cell's worker processes used, from their `worker-usage` events (one per process
 * incarnation, restarts included): CPU summed over all of them, start-up CPU apart, and
 * the largest peak memory of one. Null when the history holds none (written before the
 * event existed, or not on Linux).
 */
export interface WorkerUsageFold {
  add(event: HistoryEvent): void;
  result(): WorkerUsageSummary | null;
}

export function createWorkerUsageFold(): WorkerUsageFold {
  let processes = 0;
  let cpuMs = 0;
  let startupCpuMs = 0;
  let maxPeakRssKb = 0;
  return {
    add(event) {
      if (event.type !== 'worker-usage') return;
      processes++;
      cpuMs += event.cpuMs;
      // A process that died before it was ready spent everything it used starting up.
      startupCpuMs += event.readyCpuMs ?? event.cpuMs;
      maxPeakRssKb = Math.max(maxPeakRssKb, event.peakRssKb);
    },
    result() {
      if (processes === 0) return null;
      return { processes, cpuMs: round(cpuMs), startupCpuMs: round(startupCpuMs), maxPeakRssKb };
    },
  };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
