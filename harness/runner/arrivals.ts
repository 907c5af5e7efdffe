import { exponential, seededRng } from '../../core/random.js';
import { plannedRunId } from '../../core/results.js';

export interface Arrival {
  runId: string;
  /** Milliseconds after the cell's start at which the run is due (open loop). */
  offsetMs: number;
  warmup: boolean;
}

export interface ArrivalOptions {
  runs: number;
  ratePerSec: number;
  seed: number;
  warmupRuns: number;
}

/**
 * Poisson arrivals: exponential gaps at the given rate, from the seed alone, so
 * every adapter of an experiment gets exactly the same schedule. Open loop: a slow
 * system does not slow the arrivals down, it just makes runs wait (and that wait
 * counts in latency, which is measured from the intended time).
 */
export function poissonArrivals({ runs, ratePerSec, seed, warmupRuns }: ArrivalOptions): Arrival[] {
  const rng = seededRng(seed);
  const meanGapMs = 1000 / ratePerSec;
  const arrivals: Arrival[] = [];
  let offsetMs = 0;
  for (let i = 0; i < runs; i++) {
    if (i > 0) offsetMs += exponential(rng, meanGapMs);
    arrivals.push({ runId: plannedRunId(i, runs), offsetMs, warmup: i < warmupRuns });
  }
  return arrivals;
}
