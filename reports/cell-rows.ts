import type { CellResult } from '../core/results.js';
import { DASH, fmtMs, fmtNum, governedBy, maxOf } from './format.js';

/** Rows of the side-by-side table: a label and how a cell fills it. */
export const CELL_ROWS: [string, (cell: CellResult) => string][] = [
  ['verdict', (c) => c.verdict.toUpperCase()],
  [
    'runs submitted / completed / failed',
    (c) => `${c.runs.submitted} / ${c.runs.completed} / ${c.runs.failed}`,
  ],
  ['lost runs', (c) => String(c.runs.lost)],
  ['duplicate effects', (c) => String(c.effects.duplicates)],
  ['deduplicated by key', (c) => String(c.effects.deduplicated)],
  ['effects applied / compensated', (c) => `${c.effects.applied} / ${c.effects.compensated}`],
  ['retry amplification', (c) => fmtNum(c.attempts.retryAmplification)],
  ['work redone after checkpoints', (c) => (c.redoneWorkMs == null ? DASH : fmtMs(c.redoneWorkMs))],
  [
    'latency p50 / p95 / p99',
    (c) => [c.latencyMs.p50, c.latencyMs.p95, c.latencyMs.p99].map(fmtMs).join(' / '),
  ],
  ['latency max', (c) => fmtMs(c.latencyMs.max)],
  ['throughput (runs/s)', (c) => fmtNum(c.throughputPerSec)],
  ['fault occurrences', (c) => String(c.faults.length)],
  [
    'recovery: first progress (max)',
    (c) => (c.faults.length ? fmtMs(maxOf(c, 'timeToFirstProgressMs')) : DASH),
  ],
  [
    'recovery: throughput at 90% (max)',
    (c) => (c.faults.length ? fmtMs(maxOf(c, 'timeToThroughputRecoveryMs')) : DASH),
  ],
  [
    'world (simulated APIs): requests, CPU',
    (c) =>
      c.world
        ? `${c.world.requests}, ${fmtNum(c.world.cpuUtilisation === null ? null : c.world.cpuUtilisation * 100)}% of a core`
        : DASH,
  ],
  ['recovery governed by', (c) => governedBy(c).join(', ') || DASH],
  [
    'worker CPU: serving / start-up',
    (c) =>
      c.workerUsage
        ? `${fmtMs(c.workerUsage.cpuMs - c.workerUsage.startupCpuMs)} / ${fmtMs(c.workerUsage.startupCpuMs)}`
        : DASH,
  ],
  [
    'worker peak memory (largest)',
    (c) => (c.workerUsage ? `${fmtNum(c.workerUsage.maxPeakRssKb / 1024)} MiB` : DASH),
  ],
];
