import { setTimeout as sleep } from 'node:timers/promises';
import type { AdapterDriver } from '../../adapters/types.js';
import { now } from '../../core/clock.js';
import type { HistoryWriter } from '../../core/history/writer.js';
import type { Arrival } from './arrivals.js';
import type { RunTracker } from './run-tracker.js';

/**
 * Submissions awaiting the orchestrator's acknowledgement at once, at most: a producer's
 * bound on its outstanding requests (OpenMessaging Benchmark's Pulsar driver keeps 1,000
 * pending messages; Kafka's producer bounds its buffer). Without it an arrival schedule
 * faster than the orchestrator takes runs put every run in flight at once: the bench's
 * 20,000 BullMQ adds, each job, command and promise alive in the harness until its reply,
 * and the harness's garbage collector copying them again at every young-generation
 * collection (37 % of its CPU while submitting, in a CPU profile). A run held back keeps
 * its intended moment, so its wait counts in its latency, as wrk2 measures a late request
 * from when it was due. At the rates experiments run at (a few runs a second) the bound is
 * never reached: 1,000 unacknowledged submissions at 4 runs/s is over four minutes of an
 * orchestrator refusing nothing and answering nothing.
 */
const MAX_UNACKNOWLEDGED_SUBMITS = 1000;

/**
 * Open-loop load: each run is handed to the orchestrator at its scheduled moment, whether
 * or not earlier ones are done (up to MAX_UNACKNOWLEDGED_SUBMITS awaiting their
 * acknowledgement), and is recorded as submitted once the orchestrator acknowledged it
 * (`submit`, with the moment it was due), or as refused. Resolves when every submission
 * has settled; returns the number refused.
 */
export async function submitArrivals(options: {
  cell: string;
  arrivals: readonly Arrival[];
  startedAt: number;
  driver: AdapterDriver;
  tracker: RunTracker;
  history: HistoryWriter;
  log: (line: string) => void;
  /** MAX_UNACKNOWLEDGED_SUBMITS unless a test sets it. */
  maxUnacknowledged?: number;
}): Promise<number> {
  const { cell, arrivals, startedAt, driver, tracker, history, log } = options;
  const limit = options.maxUnacknowledged ?? MAX_UNACKNOWLEDGED_SUBMITS;
  let refused = 0;
  const submissions: Promise<void>[] = [];
  let unacknowledged = 0;
  /** Resumes the schedule once half the bound is free again: one wake-up per 500 replies, not per reply. */
  let resume: (() => void) | null = null;
  const settled = () => {
    unacknowledged--;
    if (resume !== null && unacknowledged <= limit / 2) {
      const resumeNow = resume;
      resume = null;
      resumeNow();
    }
  };
  for (const arrival of arrivals) {
    const intendedAt = startedAt + arrival.offsetMs;
    const wait = intendedAt - now();
    if (wait >= 1) await sleep(wait);
    if (unacknowledged >= limit)
      await new Promise<void>((resolve) => {
        resume = resolve;
      });
    unacknowledged++;
    tracker.add(arrival.runId);
    submissions.push(
      driver.submit(arrival.runId).then(
        () => {
          settled();
          // Acknowledgements arrive together (replies read at once): one write for those of a tick.
          history.appendInTick({
            type: 'submit',
            cell,
            runId: arrival.runId,
            intendedAt,
            ...(arrival.warmup ? { warmup: true } : {}),
          });
        },
        (error: Error) => {
          settled();
          tracker.forget(arrival.runId);
          refused++;
          history.append({
            type: 'submit-refused',
            cell,
            runId: arrival.runId,
            intendedAt,
            reason: error.message,
          });
          if (refused <= 3) log(`  submit ${arrival.runId} failed: ${error.message}`);
        },
      ),
    );
  }
  await Promise.all(submissions);
  return refused;
}
