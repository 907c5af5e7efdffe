import { setTimeout as sleep } from 'node:timers/promises';
import type { AdapterDriver } from '../../adapters/types.js';
import { now } from '../../core/clock.js';
import type { HistoryWriter } from '../../core/history/writer.js';
import type { Arrival } from './arrivals.js';
import type { RunTracker } from './run-tracker.js';

/**
 * Open-loop load: each run is handed to the orchestrator at its scheduled moment, whether
 * or not earlier ones are done, and is recorded as submitted once the orchestrator
 * acknowledged it (`submit`, with the moment it was due), or as refused. Resolves when
 * every submission has settled; returns the number refused.
 */
export async function submitArrivals(options: {
  cell: string;
  arrivals: readonly Arrival[];
  startedAt: number;
  driver: AdapterDriver;
  tracker: RunTracker;
  history: HistoryWriter;
  log: (line: string) => void;
}): Promise<number> {
  const { cell, arrivals, startedAt, driver, tracker, history, log } = options;
  let refused = 0;
  const submissions: Promise<void>[] = [];
  for (const arrival of arrivals) {
    const intendedAt = startedAt + arrival.offsetMs;
    const wait = intendedAt - now();
    if (wait >= 1) await sleep(wait);
    tracker.add(arrival.runId);
    submissions.push(
      driver.submit(arrival.runId).then(
        () => {
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
