import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { InfrastructureError, InputError } from '../../core/errors.js';
import type { LiveCell, LiveChange, LiveState } from './live-state.js';

const CELL_LABELS = ['cell', 'scenario', 'adapter', 'fault'] as const;
type CellLabel = (typeof CELL_LABELS)[number];

/** Latency buckets (s) from a fast step chain to a long training run. */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

const labelsOf = (cell: LiveCell): Record<CellLabel, string> => ({
  cell: cell.id,
  scenario: cell.scenario,
  adapter: cell.adapter,
  fault: cell.fault,
});

/**
 * The live state as Prometheus metrics, per cell (scenario × adapter × fault): a registry
 * of its own per run (the API may run several experiments in one process). Counters are
 * read from the live state when scraped, so they are exactly its counts; the latency
 * histogram is fed as runs finish.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  readonly #latency: Histogram<CellLabel>;

  constructor(state: LiveState) {
    const registers = [this.registry];
    const total = (name: string, help: string, value: (cell: LiveCell) => number) =>
      new Counter({
        name,
        help,
        labelNames: CELL_LABELS,
        registers,
        collect() {
          this.reset();
          for (const cell of state.cells) if (cell.startedAt !== null) this.inc(labelsOf(cell), value(cell));
        },
      });
    total('faultline_runs_submitted_total', 'Runs the orchestrator acknowledged', (c) => c.submitted);
    total('faultline_runs_completed_total', 'Runs reported completed', (c) => c.completed);
    total('faultline_runs_failed_total', 'Runs reported failed', (c) => c.failed);
    total(
      'faultline_effects_applied_total',
      'Effects the world applied (not deduplicated)',
      (c) => c.effects,
    );
    total(
      'faultline_effects_duplicate_total',
      'Effects applied again for the same run and step',
      (c) => c.duplicateEffects,
    );
    total('faultline_step_attempts_total', 'Step attempts the workers started', (c) => c.attempts);
    total('faultline_faults_injected_total', 'Fault occurrences started', (c) => c.faultsInjected);
    new Gauge({
      name: 'faultline_runs_lost',
      help: 'Runs not done when the cell’s drain ended (set at the cell’s end)',
      labelNames: CELL_LABELS,
      registers,
      collect() {
        this.reset();
        for (const cell of state.cells) if (cell.endedAt !== null) this.set(labelsOf(cell), cell.lost);
      },
    });
    new Gauge({
      name: 'faultline_runs_in_flight',
      help: 'Runs submitted and not yet done',
      labelNames: CELL_LABELS,
      registers,
      collect() {
        this.reset();
        for (const cell of state.cells)
          if (cell.startedAt !== null && cell.endedAt === null)
            this.set(labelsOf(cell), Math.max(0, cell.submitted - cell.completed - cell.failed));
      },
    });
    new Gauge({
      name: 'faultline_fault_active',
      help: 'A fault going on now (kills are over as they happen: see faultline_faults_injected_total)',
      labelNames: [...CELL_LABELS, 'kind', 'target'],
      registers,
      collect() {
        this.reset();
        for (const cell of state.cells)
          for (const { kind, target } of cell.activeFaults.values())
            this.set({ ...labelsOf(cell), kind, target }, 1);
      },
    });
    new Gauge({
      name: 'faultline_worker_up',
      help: 'A worker process that announced itself and has not exited (1), or is down (0)',
      labelNames: [...CELL_LABELS, 'worker'],
      registers,
      collect() {
        this.reset();
        for (const cell of state.cells) {
          if (cell.startedAt === null || cell.endedAt !== null) continue;
          for (const worker of cell.workers)
            this.set({ ...labelsOf(cell), worker }, cell.workersUp.has(worker) ? 1 : 0);
        }
      },
    });
    this.#latency = new Histogram({
      name: 'faultline_run_latency_seconds',
      help: 'Run latency from its intended submit time (no coordinated omission)',
      labelNames: CELL_LABELS,
      buckets: LATENCY_BUCKETS,
      registers,
    });
  }

  onChange(change: LiveChange): void {
    if (change.latencySec !== null) this.#latency.observe(labelsOf(change.cell), change.latencySec);
  }

  /** The exposition text, as a scrape would get it. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Serves `/metrics` on 127.0.0.1:`port` (0: a free port); resolves with the port bound. */
export function serveMetrics(
  metrics: PrometheusMetrics,
  port: number,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end('see /metrics\n');
      return;
    }
    metrics.text().then(
      (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      (error: Error) => res.writeHead(500).end(error.message),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES'
          ? new InputError(`--metrics-port ${port}: ${error.code}; choose another port (0 picks a free one)`)
          : new InfrastructureError(`metrics server on port ${port}: ${error.message}`),
      ),
    );
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : port });
    });
  });
}
