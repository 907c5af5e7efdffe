import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';
import type { HistoryEvent } from '../../core/history/events.js';
import type { LatencySummary } from '../../core/results.js';
import type { RunPlan } from '../../scenarios/plan.js';
import { isSubmitted, type RunState, RunTable, Slot } from '../checker/runs.js';

/**
 * Latency (DESIGN.md): a run's completion time minus its *intended* submit time
 * from the arrival schedule, so a harness or orchestrator that falls behind shows
 * up as latency instead of hiding it (no coordinated omission). Kept in an
 * HdrHistogram so every quantile is available; reported in ms to 3 significant digits.
 */

/** HdrHistogram stores integers: record microseconds, so sub-millisecond latencies keep 3 digits too. */
const MICROS_PER_MS = 1000;

export function latencyHistogram(): Histogram {
  return build({ numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1, autoResize: true });
}

/** Records one latency in ms; a negative one (clock skew between processes) counts as 0. */
export function recordLatencyMs(histogram: Histogram, ms: number): void {
  histogram.recordValue(Math.max(0, Math.round(ms * MICROS_PER_MS)));
}

export function toThreeDigits(ms: number): number {
  return ms === 0 ? 0 : Number(ms.toPrecision(3));
}

/**
 * A latency percentile (0..100) in ms: the top of its HdrHistogram bucket
 * (conservative), never past the exact max, to 3 significant digits.
 */
export function latencyAtPercentile(histogram: Histogram, percentile: number): number {
  return toThreeDigits(
    Math.min(histogram.getValueAtPercentile(percentile), histogram.maxValue) / MICROS_PER_MS,
  );
}

/** The largest recorded latency in ms, to 3 significant digits. */
export function latencyMaxMs(histogram: Histogram): number {
  return toThreeDigits(histogram.maxValue / MICROS_PER_MS);
}

export function summarizeHistogram(histogram: Histogram): LatencySummary {
  const count = histogram.totalCount;
  if (count === 0) return { count: 0, p50: null, p90: null, p95: null, p99: null, max: null, mean: null };
  const at = (percentile: number) => latencyAtPercentile(histogram, percentile);
  return {
    count,
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    max: latencyMaxMs(histogram),
    mean: toThreeDigits(histogram.mean / MICROS_PER_MS),
  };
}

export function summarizeLatencies(samplesMs: Iterable<number>): LatencySummary {
  const histogram = latencyHistogram();
  for (const ms of samplesMs) recordLatencyMs(histogram, ms);
  return summarizeHistogram(histogram);
}

/** A completed, non-warm-up run's latency in ms; null for every other run (they are no sample). */
export function runLatencyMs(run: RunState): number | null {
  if (run.status !== 'completed' || run.warmup || !isSubmitted(run)) return null;
  return run.doneAt - run.intendedAt;
}

/** The steady-state runs' latencies as an HdrHistogram (µs), for the summary and the encoding results keep. */
export function runLatencyHistogram(runs: Iterable<RunState>): Histogram {
  const histogram = latencyHistogram();
  for (const run of runs) {
    const ms = runLatencyMs(run);
    if (ms !== null) recordLatencyMs(histogram, ms);
  }
  return histogram;
}

/**
 * The whole latency distribution, compact: HdrHistogram's compressed base64 encoding (µs
 * values). Results carry it so intervals, pooled repeats and aggregated runs are computed
 * from results alone; null without samples.
 */
export function encodeLatencies(histogram: Histogram): string | null {
  return histogram.totalCount === 0 ? null : encodeIntoCompressedBase64(histogram);
}

/** Encoded latency distributions added into one histogram. */
export function poolLatencies(encoded: readonly (string | null)[]): Histogram {
  const pooled = latencyHistogram();
  for (const e of encoded) if (e !== null) pooled.add(decodeFromCompressedBase64(e));
  return pooled;
}

interface RecordedValues {
  recordedValuesIterator: {
    reset(): void;
    hasNext(): boolean;
    next(): { valueIteratedTo: number; countAtValueIteratedTo: number };
  };
}

/** Distinct latencies in ms and their counts, from an encoded histogram (or several, pooled). */
export function decodeLatencies(encoded: readonly (string | null)[]): [number, number][] {
  const pooled = poolLatencies(encoded);
  const pairs: [number, number][] = [];
  // The JS histogram iterates its recorded values, but its type declarations omit the iterator.
  const it = (pooled as unknown as RecordedValues).recordedValuesIterator;
  if (typeof it?.reset !== 'function') throw new Error('hdr-histogram-js no longer iterates recorded values');
  it.reset();
  while (it.hasNext()) {
    const v = it.next();
    pairs.push([v.valueIteratedTo / MICROS_PER_MS, v.countAtValueIteratedTo]);
  }
  return pairs;
}

export interface StepTimings {
  /** Per step (spec id; fan-out items grouped): attempt start to its step-done, any outcome. */
  stepLatencyMs: Record<string, LatencySummary>;
  /**
   * Per step: from the moment it could start — its run's submit (`t`, the handover:
   * this measures the orchestrator's dispatch, the harness's lag is in run latency)
   * or its last dependency's step-done ok — to its first attempt.
   */
  queueWaitMs: Record<string, LatencySummary>;
}

/** A streaming fold for per-step latency and queue wait of non-warm-up runs. */
function createStepTimingFold(plan: RunPlan): {
  add(event: HistoryEvent): void;
  result(): StepTimings;
} {
  const runs = new RunTable(plan);
  const stepLatency = new Map<string, Histogram>();
  const queueWait = new Map<string, Histogram>();
  const record = (into: Map<string, Histogram>, step: number, ms: number) => {
    const specId = plan.instances[step]!.spec.id;
    const histogram = into.get(specId) ?? latencyHistogram();
    into.set(specId, histogram);
    recordLatencyMs(histogram, ms);
  };
  return {
    add(event) {
      if (event.type === 'attempt' || event.type === 'step-done') {
        const run = runs.get(event.runId);
        const step = runs.indexOf(event.stepId);
        if (run !== undefined && !run.warmup && isSubmitted(run) && step >= 0) {
          if (event.type === 'step-done') {
            const startedAt = RunTable.read(run, step, Slot.lastAttemptAt);
            if (!Number.isNaN(startedAt)) record(stepLatency, step, event.t - startedAt);
          } else if (RunTable.read(run, step, Slot.attempts) === 0) {
            const readyAt = readySince(run, step, runs);
            if (readyAt !== null) record(queueWait, step, event.t - readyAt);
          }
        }
      }
      runs.apply(event);
    },
    result() {
      return { stepLatencyMs: summarizeAll(stepLatency), queueWaitMs: summarizeAll(queueWait) };
    },
  };
}

/** Per-step latency and queue wait of an in-memory history. */
export function stepTimings(events: Iterable<HistoryEvent>, plan: RunPlan): StepTimings {
  const fold = createStepTimingFold(plan);
  for (const event of events) fold.add(event);
  return fold.result();
}

/** When a step instance became ready; null if a dependency never finished (the checker reports that). */
function readySince(run: RunState, step: number, runs: RunTable): number | null {
  let readyAt = run.submittedAt;
  for (const dep of runs.plan.instances[step]!.dependsOn) {
    const okAt = RunTable.read(run, runs.indexOf(dep), Slot.okAt);
    if (Number.isNaN(okAt)) return null;
    readyAt = Math.max(readyAt, okAt);
  }
  return readyAt;
}

function summarizeAll(histograms: Map<string, Histogram>): Record<string, LatencySummary> {
  return Object.fromEntries([...histograms].map(([stepId, h]) => [stepId, summarizeHistogram(h)]));
}
