import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { EventType } from '../../core/history/events.js';
import { HistoryTail } from './history-tail.js';
import { type CellPlanEntry, LiveState } from './live-state.js';
import { type ProgressView, plainProgress, terminalProgress } from './progress.js';
import { PrometheusMetrics, serveMetrics } from './prometheus.js';

/** How often the history files are read: the live view's only cost, off the events' path. */
const POLL_MS = 500;
/** Without a terminal, a progress line per running cell this often. */
const PLAIN_EVERY_MS = 10_000;

export type ProgressMode = 'auto' | 'terminal' | 'plain' | 'off';

export interface LiveOptions {
  runDir: string;
  cells: readonly CellPlanEntry[];
  /** Serve Prometheus metrics on 127.0.0.1:port/metrics (0: a free port); none when undefined. */
  metricsPort?: number;
  /** auto: bars on a terminal, plain lines otherwise. */
  progress?: ProgressMode;
  /** Where plain progress lines and the metrics address go. */
  log: (line: string) => void;
}

export interface LiveMonitor {
  /** The port /metrics is served on, when it is. */
  metricsPort: number | undefined;
  /** A log that prints above the progress bars instead of through them. */
  log: (line: string) => void;
  /** Reads the history once more, writes metrics.prom (the last exposition) and stops serving. */
  stop(): Promise<void>;
}

/** Types the live view needs: the harness's and the world's lines, and the workers' with metrics on. */
const PROGRESS_TYPES: EventType[] = [
  'cell-start',
  'cell-end',
  'submit',
  'run-done',
  'effect',
  'fault-start',
  'fault-end',
];
const METRICS_TYPES: EventType[] = [...PROGRESS_TYPES, 'attempt', 'worker-start', 'worker-exit'];

/**
 * The live view of a running experiment: it follows the history files on a timer and
 * shows the counts as progress (a bar per cell on a terminal, plain lines in CI) and as
 * Prometheus metrics. It reads what the run writes anyway, so the run does no extra work
 * per event; without a metrics port it skips the workers' files altogether.
 */
export async function startLiveMonitor(options: LiveOptions): Promise<LiveMonitor> {
  // Nobody watching (no progress, no /metrics): no history to read twice during the run.
  if ((options.progress ?? 'auto') === 'off' && options.metricsPort === undefined)
    return { metricsPort: undefined, log: options.log, stop: async () => {} };
  const state = new LiveState(options.cells);
  const withMetrics = options.metricsPort !== undefined;
  const tail = new HistoryTail(
    join(options.runDir, 'history.d'),
    withMetrics ? METRICS_TYPES : PROGRESS_TYPES,
    withMetrics ? undefined : (file) => file === 'harness.jsonl' || file === 'world.jsonl',
  );
  const metrics = withMetrics ? new PrometheusMetrics(state) : null;
  let server: Server | undefined;
  let port: number | undefined;
  if (metrics) {
    ({ server, port } = await serveMetrics(metrics, options.metricsPort!));
    options.log(`metrics: http://127.0.0.1:${port}/metrics`);
  }
  const view = progressView(options.progress ?? 'auto', options.log);
  const poll = () => {
    // Files are read one after another: order the batch by time before folding it.
    const events = tail.read().sort((a, b) => a.t - b.t);
    for (const event of events) {
      const change = state.apply(event);
      if (change && metrics) metrics.onChange(change);
    }
    view?.render(state.cells, Date.now());
  };
  const timer = setInterval(poll, POLL_MS);
  timer.unref();
  return {
    metricsPort: port,
    log: view ? view.log : options.log,
    async stop() {
      clearInterval(timer);
      poll();
      view?.stop(state.cells, Date.now());
      if (metrics) writeFileSync(join(options.runDir, 'metrics.prom'), await metrics.text());
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
}

function progressView(mode: ProgressMode, log: (line: string) => void): ProgressView | null {
  if (mode === 'off') return null;
  const terminal = mode === 'terminal' || (mode === 'auto' && process.stderr.isTTY === true);
  return terminal ? terminalProgress(process.stderr) : plainProgress(log, PLAIN_EVERY_MS);
}
