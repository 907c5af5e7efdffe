import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { analyzeHistory } from '../../analysis/analyze.js';
import { parseStat, statusPeakRssKb } from '../../harness/footprint/proc.js';
import { readUsage, WorkerUsageLedger } from '../../harness/supervisor/usage.js';
import { HistoryBuilder } from './history-builder.js';

/** A child that burns `cpuMs` of CPU, then idles until killed. */
function burner(cpuMs: number) {
  return spawn(
    process.execPath,
    [
      '-e',
      `const end = process.cpuUsage().user + ${cpuMs * 1000}; while (process.cpuUsage().user < end); setInterval(() => {}, 1000);`,
    ],
    { stdio: 'ignore' },
  );
}

/** Polls until `read` returns a value meeting `done` (no wall-clock bound: a loaded machine only waits longer). */
async function until<T>(read: () => T, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = read();
    if (done(value)) return value;
    await sleep(20);
  }
}

describe('reading a process’s usage from /proc', () => {
  it('sums utime, stime, cutime and cstime, counting fields after the command name (which may hold spaces and parentheses)', () => {
    // Fields 14–17 are 7, 3, 20 and 10 ticks; the name "(a) b" must not shift them.
    const stat = '4242 ((a) b) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 20 10 20 0 1 0 5 1000 200';
    expect(parseStat(stat)!.cpuTicks).toBe(7 + 3 + 20 + 10);
    expect(parseStat(stat)!.ownTicks).toBe(7 + 3);
    expect(statusPeakRssKb('Name:\tnode\nVmHWM:\t  123456 kB\nVmRSS:\t  100 kB\n')).toBe(123456);
    expect(statusPeakRssKb('Name:\tzombie\n')).toBe(0);
  });

  it('reads a live process and its descendants; a process that is gone reads as null', async () => {
    const child = burner(300);
    try {
      const own = await until(
        () => readUsage(child.pid!),
        (u) => u !== null && u.cpuMs >= 300,
      );
      expect(own!.peakRssKb).toBeGreaterThan(0);
      // This process counts the child among its live descendants.
      expect(readUsage(process.pid)!.cpuMs).toBeGreaterThanOrEqual(own!.cpuMs);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((resolve) => child.once('exit', resolve));
    expect(readUsage(child.pid!)).toBeNull();
  });

  it('keeps a worker’s last reading past its death, with what it used by the time it was ready', async () => {
    const sampler = new WorkerUsageLedger();
    const child = burner(200);
    sampler.track('w1', child.pid!);
    await until(
      () => readUsage(child.pid!),
      (u) => u !== null && u.cpuMs >= 200,
    );
    sampler.ready('w1');
    sampler.sample(['w1']);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    sampler.sample(['w1']); // gone: the last reading stays
    const used = sampler.finish('w1', child.pid!);
    expect(used!.usage.cpuMs).toBeGreaterThanOrEqual(200);
    expect(used!.atReady!.cpuMs).toBeLessThanOrEqual(used!.usage.cpuMs);
    // Another incarnation's pid is not this one's.
    expect(sampler.finish('w1', child.pid!)).toBeNull();
  });

  it('keeps the larger of its own reads and the readings the cell’s sampler hands it, for the same incarnation only', () => {
    const ledger = new WorkerUsageLedger();
    ledger.track('w1', process.pid);
    const own = readUsage(process.pid)!;
    const reading = { startedAt: 0, cpuMs: own.cpuMs + 1e9, rssBytes: 0, peakRssKb: 7, children: 0 };
    ledger.record('w1', process.pid + 1, reading); // another incarnation's pid: ignored
    expect(ledger.finish('w1', process.pid)!.usage.cpuMs).toBeLessThan(own.cpuMs + 1e9);
    ledger.track('w1', process.pid);
    ledger.record('w1', process.pid, reading);
    const used = ledger.finish('w1', process.pid)!.usage;
    expect(used.cpuMs).toBe(own.cpuMs + 1e9);
    // The memory is the larger of the two: this process's own peak, not the reading's 7 KiB.
    expect(used.peakRssKb).toBeGreaterThanOrEqual(own.peakRssKb);
  });
});

describe('worker usage and roles in the results', () => {
  it('sums the worker-usage of every incarnation and names the roles a fault hit', async () => {
    const h = new HistoryBuilder();
    h.event({
      type: 'cell-start',
      cell: h.cell,
      drainTimeoutMs: 1000,
      workers: ['a-workflow-w1', 'a-activity-w1'],
      roles: { 'a-workflow-w1': 'workflow', 'a-activity-w1': 'activity' },
    });
    h.run('r1', { at: 10 });
    h.faultStart('f1', { fault: 'kill', target: 'a-workflow-w1', at: 40 });
    h.faultStart('f2', { fault: 'kill', target: 'a-activity-w1,a-workflow-w1', killed: ['a-activity-w1'] });
    h.faultStart('f3', { fault: 'partition', target: 'server' });
    const usage = (worker: string, cpuMs: number, readyCpuMs: number | null, peakRssKb: number) =>
      h.event({
        type: 'worker-usage',
        cell: h.cell,
        worker,
        pid: 1,
        cpuMs,
        readyCpuMs,
        peakRssKb,
        sampledAt: 0,
      });
    usage('a-workflow-w1', 900, 400, 2048);
    usage('a-activity-w1', 500, 300, 4096);
    usage('a-activity-w1', 120, null, 1024); // died before it was ready: all of it was start-up
    const [cell] = await analyzeHistory(h.events, [h.cellMeta()]);
    expect(cell!.workerUsage).toEqual({
      processes: 3,
      cpuMs: 900 + 500 + 120,
      startupCpuMs: 400 + 300 + 120,
      maxPeakRssKb: 4096,
    });
    expect(cell!.faults.map((f) => f.roles)).toEqual([['workflow'], ['activity', 'workflow'], undefined]);
  });

  it('has no usage to report when the history holds no reading', async () => {
    const h = new HistoryBuilder();
    h.run('r1');
    const [cell] = await analyzeHistory(h.events, [h.cellMeta()]);
    expect(cell!.workerUsage).toBeNull();
  });
});
