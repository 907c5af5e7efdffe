import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { armFailpointFile, disarmFailpoints, unfiredFailpoints } from '../../chaos/failpoint.js';
import { faultKind } from '../../chaos/registry.js';
import { planFaults } from '../../chaos/schedule.js';
import { HistoryWriter } from '../../core/history/writer.js';
import { armFailpoints } from '../../scenarios/failpoints.js';

/** Failpoints as a worker arms them, with a crash that only counts instead of SIGKILL. */
function worker(markerDir: string, nth: number, workerId = 'w1', at?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-fp-'));
  const history = new HistoryWriter(join(dir, 'worker.jsonl'));
  const planned = planFaults(
    [
      {
        kind: 'failpoint',
        target: 'workers',
        ...(at === undefined ? {} : { at }),
        params: { point: 'after-effect', step: 'persist', nth, once: true },
      },
    ],
    { seed: 1, windowMs: 1000, runs: 10, workers: 1, salt: 'x' },
  );
  const specs = planned.map((fault) => faultKind('failpoint').workerFailpoint!(fault, markerDir));
  let crashes = 0;
  const unfired = (ids: string[]) =>
    unfiredFailpoints(specs, ids).map(
      (u) => `${u.faultId} (${u.spec.point} ${u.spec.stepId}) in ${u.workers.join(', ')}`,
    );
  const arm = () => armFailpoints(specs, { history, cell: 'c', workerId, crash: () => crashes++ });
  const events = () =>
    readFileSync(history.path, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  return { arm, crashes: () => crashes, events, unfired, specs };
}

const call = (runId: string, stepId = 'persist') => ({ runId, stepId, attempt: 1 });

describe('failpoints armed in a worker', () => {
  it('crashes at the Nth occurrence of its point and step, after writing a fault-start', () => {
    const markers = mkdtempSync(join(tmpdir(), 'faultline-markers-'));
    const w = worker(markers, 2);
    const hook = w.arm();
    hook('after-effect', call('r1', 'notify')); // another step
    hook('before-effect', call('r1')); // another point
    hook('after-effect', call('r1'));
    expect(w.crashes()).toBe(0);
    hook('after-effect', call('r2'));
    expect(w.crashes()).toBe(1);
    const [start] = w.events();
    expect(start).toMatchObject({
      type: 'fault-start',
      cell: 'c',
      fault: 'failpoint',
      target: 'w1',
      params: { point: 'after-effect', step: 'persist', runId: 'r2', attempt: 1, nth: 2 },
      killed: ['w1'],
    });
    expect(start.faultId).toMatch(/^f1:w1:\d+$/);
  });

  it('fires once per worker slot: a restarted worker stays armed no more', () => {
    const markers = mkdtempSync(join(tmpdir(), 'faultline-markers-'));
    const w = worker(markers, 1);
    w.arm()('after-effect', call('r1'));
    expect(w.crashes()).toBe(1);
    const restarted = w.arm();
    restarted('after-effect', call('r2'));
    restarted('after-effect', call('r3'));
    expect(w.crashes()).toBe(1);
    // Another worker slot has its own marker; the harness can tell which never fired.
    expect(w.unfired(['w1', 'w2'])).toEqual(['f1 (after-effect persist) in w2']);
    const other = worker(markers, 1, 'w2');
    other.arm()('after-effect', call('r4'));
    expect(other.crashes()).toBe(1);
    expect(w.unfired(['w1', 'w2'])).toEqual([]);
  });

  it('with an `at`, counts only once the nemesis armed it', () => {
    const markers = mkdtempSync(join(tmpdir(), 'faultline-markers-'));
    const w = worker(markers, 2, 'w1', 500);
    const hook = w.arm();
    hook('after-effect', call('r1'));
    hook('after-effect', call('r2'));
    expect(w.crashes()).toBe(0);
    armFailpointFile(w.specs[0]!);
    hook('after-effect', call('r3'));
    expect(w.crashes()).toBe(0);
    hook('after-effect', call('r4'));
    expect(w.crashes()).toBe(1);
    expect(w.events()[0].params.runId).toBe('r4');
  });

  it('is healed by the disarm file: no crash after healAll', () => {
    const markers = mkdtempSync(join(tmpdir(), 'faultline-markers-'));
    const w = worker(markers, 1);
    const hook = w.arm();
    disarmFailpoints(markers);
    hook('after-effect', call('r1'));
    expect(w.crashes()).toBe(0);
    expect(w.events()).toEqual([]);
  });
});
