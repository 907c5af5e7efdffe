/**
 * The submit loop's bound on unacknowledged submissions: the schedule holds once the bound
 * is reached, resumes when half of it is free (an acknowledgement or a refusal frees a
 * slot), and a run held back keeps the moment it was due.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { AdapterDriver } from '../../adapters/types.js';
import { now } from '../../core/clock.js';
import { HistoryWriter } from '../../core/history/writer.js';
import type { Arrival } from '../../harness/runner/arrivals.js';
import { RunTracker } from '../../harness/runner/run-tracker.js';
import { submitArrivals } from '../../harness/runner/submissions.js';

/** A driver whose submissions settle when the test says: the orchestrator's replies, by hand. */
function heldDriver() {
  const calls: { runId: string; settle: (error?: Error) => void }[] = [];
  const driver = {
    submit: (runId: string) =>
      new Promise<void>((resolve, reject) => {
        calls.push({ runId, settle: (error) => (error ? reject(error) : resolve()) });
      }),
  } as unknown as AdapterDriver;
  return { driver, calls };
}

/** Lets the loop run until it waits on something outside it. */
const settleTicks = () => sleep(5);

describe('submitArrivals', () => {
  it('holds the schedule at the bound, resumes at half of it, and keeps each run’s due moment', async () => {
    const runs = 10;
    const limit = 4;
    const arrivals: Arrival[] = Array.from({ length: runs }, (_, i) => ({
      runId: `run-${i}`,
      offsetMs: 0,
      warmup: false,
    }));
    const path = join(mkdtempSync(join(tmpdir(), 'faultline-submit-')), 'h.jsonl');
    const history = new HistoryWriter(path);
    const tracker = new RunTracker(history, 'c');
    const { driver, calls } = heldDriver();
    const startedAt = now();
    const done = submitArrivals({
      cell: 'c',
      arrivals,
      startedAt,
      driver,
      tracker,
      history,
      log: () => {},
      maxUnacknowledged: limit,
    });

    await settleTicks();
    // Every run is due at once; only `limit` are handed over.
    expect(calls.length).toBe(limit);
    calls[0]!.settle();
    await settleTicks();
    // limit - 1 unacknowledged: above half the bound, the schedule still holds.
    expect(calls.length).toBe(limit);
    // A refusal frees its slot as an acknowledgement does: limit / 2 unacknowledged, so it resumes.
    calls[1]!.settle(new Error('refused'));
    await settleTicks();
    expect(calls.length).toBe(limit + limit / 2);
    // Acknowledge whatever is handed over until every run was.
    for (let i = 2; i < runs; i++) {
      while (calls.length <= i) await settleTicks();
      calls[i]!.settle();
    }
    expect(await done).toBe(1);
    history.close();

    expect(calls.map((c) => c.runId)).toEqual(arrivals.map((a) => a.runId));
    const lines = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; runId: string; intendedAt: number; t: number });
    const submitted = lines.filter((l) => l.type === 'submit');
    expect(submitted.map((l) => l.runId).sort()).toEqual(
      arrivals
        .map((a) => a.runId)
        .filter((id) => id !== 'run-1')
        .sort(),
    );
    expect(lines.filter((l) => l.type === 'submit-refused').map((l) => l.runId)).toEqual(['run-1']);
    // A run held back is still due when it was scheduled: its wait is part of its latency.
    for (const line of submitted) expect(line.intendedAt).toBe(startedAt);
    const last = submitted.find((l) => l.runId === `run-${runs - 1}`)!;
    expect(last.t - last.intendedAt).toBeGreaterThanOrEqual(5 * 2);
    expect(tracker.pending).toBe(runs - 1);
  });
});
