import { describe, expect, it } from 'vitest';
import { analyzeHistory } from '../../analysis/analyze.js';
import { preFaultRatePerSec, timeToThroughputRecoveryMs } from '../../analysis/metrics/recovery.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';
import { HistoryBuilder } from './history-builder.js';

/**
 * A steady 10 runs/s: run i is submitted at 100·i ms (its intended time too) and
 * finishes 21 ms later (HistoryBuilder.run). A fault from 3005 to 5005 stalls
 * every run in flight or submitted meanwhile — r30 (submitted at 3000) to r50
 * (5000) — until 5010, when they drain one every 25 ms: stalled run k starts at
 * 5010 + 25k and finishes 20 ms after it starts.
 */
const FAULT_START = 3005;
const FAULT_END = 5005;
const STALLED = { first: 30, last: 50 };
const drainStart = (k: number) => 5010 + 25 * k;

function historyWithGap(opts: { faultEnds: boolean; runs?: number }): HistoryBuilder {
  const h = new HistoryBuilder();
  for (let i = 0; i < (opts.runs ?? 100); i++) {
    const at = 100 * i;
    const stalled = i >= STALLED.first && i <= STALLED.last;
    h.run(`r${i}`, stalled ? { at, startAt: drainStart(i - STALLED.first) } : { at });
  }
  h.faultStart('f1', { at: FAULT_START, fault: 'network-partition', target: 'world' });
  if (opts.faultEnds) h.faultEnd('f1', { at: FAULT_END, fault: 'network-partition', target: 'world' });
  return h;
}

const faultsOf = async (h: HistoryBuilder) => (await analyzeHistory(h.events, [h.cellMeta()]))[0]!.faults;

describe('recovery per fault occurrence', () => {
  it('measures first progress, throughput recovery and extra delay after a known gap', async () => {
    const [fault] = await faultsOf(historyWithGap({ faultEnds: true }));
    const unaffectedLatency = 21;
    // r30, the first stalled run, starts draining at 5010; its ingest step is done 1 ms later.
    const firstProgress = drainStart(0) + 1 - FAULT_END;
    // Before the fault, r0..r29 finished (at 21..2921): 30 runs over the 2984 ms since the first
    // completion, 10.05/s, so a 1 s window must hold 0.9 × 10.05 = 9.05, i.e. 10 completions.
    // After 5005 they come at 5030 + 25k (drained) and 5121, 5221 (r51, r52); the 10th is
    // r52's at 5221, and all 10 lie within one second after the end.
    const recovered = 100 * 52 + unaffectedLatency - FAULT_END;
    // r30 waited longest: submitted at 3000, done at drainStart(0) + 20.
    const worstExtraDelay = drainStart(0) + 20 - 3000 - unaffectedLatency;
    expect(fault).toEqual({
      id: 'f1',
      kind: 'network-partition',
      target: 'world',
      startMs: FAULT_START, // the first submit, the time origin, is at 0
      endMs: FAULT_END,
      timeToFirstProgressMs: firstProgress,
      timeToThroughputRecoveryMs: recovered,
      affectedRuns: STALLED.last - STALLED.first + 1,
      affectedRunsMaxDelayMs: Number(worstExtraDelay.toPrecision(3)),
    });
  });

  it('ends a fault with no fault-end at its start, like an instant kill', async () => {
    const [fault] = await faultsOf(historyWithGap({ faultEnds: false }));
    expect(fault).toMatchObject({ startMs: FAULT_START, endMs: FAULT_START });
    // Only r30 was in flight at the kill; runs submitted later are not affected by it.
    expect(fault!.affectedRuns).toBe(1);
    expect(fault!.timeToFirstProgressMs).toBe(Number((drainStart(0) + 1 - FAULT_START).toPrecision(3)));
    expect(fault!.timeToThroughputRecoveryMs).toBe(Number((100 * 52 + 21 - FAULT_START).toPrecision(3)));
  });

  it('is null where it cannot be decided: never recovered, no pre-fault rate', async () => {
    // The history stops with the stalled runs still stalled: r0..r29 finished, nothing after.
    const h = new HistoryBuilder();
    for (let i = 0; i < 30; i++) h.run(`r${i}`, { at: 100 * i });
    h.submit('r30', { at: 3000 }).faultStart('f1', { at: FAULT_START }).faultEnd('f1', { at: FAULT_END });
    const [fault] = await faultsOf(h);
    expect(fault).toMatchObject({
      affectedRuns: 1,
      timeToFirstProgressMs: null,
      timeToThroughputRecoveryMs: null,
      affectedRunsMaxDelayMs: null,
    });

    // A fault before the first completion has no rate to recover to.
    const early = new HistoryBuilder().run('r0', { at: 0 }).run('r1', { at: 100 });
    early.faultStart('f0', { at: 5 }).faultEnd('f0', { at: 6 });
    expect((await faultsOf(early))[0]!.timeToThroughputRecoveryMs).toBeNull();
  });
});

describe('throughput windows', () => {
  it('takes the pre-fault rate over at most 5 s, from the first completion at the earliest', () => {
    const everySecond = Float64Array.from({ length: 20 }, (_, i) => 1000 * i);
    // Fault at 10 500: the window is 5500..10500, holding completions at 6000..10000.
    expect(preFaultRatePerSec(everySecond, 10_500)).toBe(5 / 5);
    // Fault at 2500: the window is 0..2500 (first completion at 0), holding 0, 1000, 2000.
    expect(preFaultRatePerSec(everySecond, 2500)).toBe(3 / 2.5);
    expect(preFaultRatePerSec(everySecond, 0)).toBeNull();
    expect(preFaultRatePerSec(new Float64Array(), 1000)).toBeNull();
  });

  it('counts only completions after the fault end toward recovery', () => {
    // 10/s before; after the end at 1000, completions only resume at 3000, 10/s.
    const times = [
      ...Array.from({ length: 10 }, (_, i) => 100 * i),
      ...Array.from({ length: 20 }, (_, i) => 3000 + 100 * i),
    ];
    const sorted = Float64Array.from(times);
    // 9 completions needed: the 9th after the end comes at 3800.
    expect(timeToThroughputRecoveryMs(sorted, 1000, 10)).toBe(3800 - 1000);
    expect(timeToThroughputRecoveryMs(sorted, 1000, 100)).toBeNull(); // never back to 90/s
    expect(timeToThroughputRecoveryMs(sorted, 1000, null)).toBeNull();
  });

  it('measures a worker kill by the steps the killed worker had open, not by other runs', async () => {
    const h = new HistoryBuilder();
    h.submit('r1', { at: 0 }).attempt('r1', 'ingest', { at: 10, worker: 'w1' });
    h.submit('r2', { at: 20 }).attempt('r2', 'ingest', { at: 30, worker: 'w2' });
    h.faultStart('k1', { at: 1000, fault: 'kill', target: 'w1', killed: ['w1'] }).workerExit('w1', {
      at: 1001,
    });
    // r2 progresses on the surviving worker right after the kill: not the killed work coming back.
    h.stepDone('r2', 'ingest', { at: 1010, worker: 'w2' });
    // The killed step runs again elsewhere once its lock expired or its timeout fired.
    h.attempt('r1', 'ingest', { at: 5990, worker: 'w2', attempt: 2 });
    h.stepDone('r1', 'ingest', { at: 6000, worker: 'w2' });
    const [fault] = await faultsOf(h);
    expect(fault).toMatchObject({
      kind: 'kill',
      affectedRuns: 1,
      stepsInFlight: 1,
      timeToFirstProgressMs: 6000 - 1000,
    });
  });

  it('measures a pool child kill by the step that child had open, not by its siblings', async () => {
    const h = new HistoryBuilder();
    // One worker, two pool children: pid 11 runs r1's step, pid 12 runs r2's.
    h.submit('r1', { at: 0 }).attempt('r1', 'ingest', { at: 10, worker: 'w1', pid: 11 });
    h.submit('r2', { at: 20 }).attempt('r2', 'ingest', { at: 30, worker: 'w1', pid: 12 });
    h.faultStart('c1', { at: 1000, fault: 'child-kill', target: 'w1', killed: ['w1'], pids: [11] });
    // The sibling finishes right after: not the killed work coming back.
    h.stepDone('r2', 'ingest', { at: 1010, worker: 'w1' });
    h.attempt('r1', 'ingest', { at: 2990, worker: 'w1', pid: 13 });
    h.stepDone('r1', 'ingest', { at: 3000, worker: 'w1' });
    const [fault] = await faultsOf(h);
    expect(fault).toMatchObject({
      kind: 'child-kill',
      affectedRuns: 1,
      stepsInFlight: 1,
      timeToFirstProgressMs: 3000 - 1000,
    });
  });

  it('leaves out a killed worker’s approval waits: a human holds them, and their answer is no recovery', async () => {
    const h = new HistoryBuilder(planRun(loadScenario('approval-decision')));
    // w1 holds r1's approval (waiting for the human) and runs r2's reserve-budget when it dies.
    h.submit('r1', { at: 0 }).attempt('r1', 'approve', { at: 10, worker: 'w1' });
    h.submit('r2', { at: 20 }).attempt('r2', 'reserve-budget', { at: 990, worker: 'w1' });
    h.faultStart('k1', { at: 1000, fault: 'kill', target: 'w1', killed: ['w1'] }).workerExit('w1', {
      at: 1001,
    });
    // The human answers soon after the kill: the orchestrator has recovered nothing yet.
    h.stepDone('r1', 'approve', { at: 1500, worker: 'w2' });
    // The killed step runs again once its lock expired.
    h.attempt('r2', 'reserve-budget', { at: 3990, worker: 'w2', attempt: 2 });
    h.stepDone('r2', 'reserve-budget', { at: 4000, worker: 'w2' });
    const [fault] = await faultsOf(h);
    expect(fault).toMatchObject({
      kind: 'kill',
      affectedRuns: 1,
      stepsInFlight: 1,
      timeToFirstProgressMs: 4000 - 1000,
    });
  });

  it('leaves recovery undecided when the killed worker had nothing open', async () => {
    const h = new HistoryBuilder();
    h.submit('r1', { at: 0 }).attempt('r1', 'ingest', { at: 10, worker: 'w2' });
    h.faultStart('k1', { at: 1000, fault: 'kill', target: 'w1', killed: ['w1'] });
    h.stepDone('r1', 'ingest', { at: 1010, worker: 'w2' });
    const [fault] = await faultsOf(h);
    // The kill hit an idle worker: no recovery sample, and the result says so.
    expect(fault).toMatchObject({ affectedRuns: 0, stepsInFlight: 0, timeToFirstProgressMs: null });
  });
});
