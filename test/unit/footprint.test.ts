/**
 * The operational footprint (#15): /proc parsing, reading a real process tree, and the
 * fold from `process-usage` samples to CPU per 1,000 runs, peaks and the stack's start.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { analyzeHistory } from '../../analysis/analyze.js';
import { createFootprintFold } from '../../analysis/metrics/footprint.js';
import { poolCells } from '../../analysis/pool.js';
import type { ProcessUsage, ProcessUsageEvent } from '../../core/history/events.js';
import {
  childrenOf,
  hasProc,
  parseStat,
  procClock,
  readStat,
  readTree,
} from '../../harness/footprint/proc.js';
import { HistoryBuilder } from './history-builder.js';

describe('/proc/<pid>/stat', () => {
  it('reads the fields after the last parenthesis, whatever the command name holds', () => {
    // Fields 3–24 of proc(5); utime 14 = 700, stime 15 = 300, cutime 16 = 40, cstime 17 = 10, starttime 22, rss 24.
    const rest = 'S 1 42 42 0 -1 4194560 100 0 0 0 700 300 40 10 20 0 9 0 123456 2000000 5000';
    const stat = parseStat(`4242 (my (odd) name) ${rest}`);
    expect(stat).toEqual({
      pid: 4242,
      ppid: 1,
      cpuTicks: 700 + 300 + 40 + 10,
      ownTicks: 700 + 300,
      startTicks: 123456,
      rssPages: 5000,
    });
    expect(parseStat('garbage')).toBeNull();
  });
});

if (!hasProc())
  console.warn('footprint: the /proc tests are skipped: this system has no /proc to read processes from');
describe.runIf(hasProc())('a process tree read from /proc', () => {
  it('sums the CPU and memory of a process and its children', async () => {
    // A parent that forks a busy child: both spin for a while.
    const script = `
      const { spawn } = require('node:child_process');
      spawn(process.execPath, ['-e', 'const end = Date.now() + 3000; while (Date.now() < end) {}'], { stdio: 'ignore' });
      const end = Date.now() + 3000; while (Date.now() < end) {}`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    try {
      // Wait until the child exists and has used some CPU of its own.
      let child: number | undefined;
      let childCpuTicks = 0;
      for (let i = 0; i < 500 && childCpuTicks === 0; i++) {
        await sleep(20);
        child = childrenOf(parent.pid!)[0];
        childCpuTicks = child === undefined ? 0 : (readStat(child)?.cpuTicks ?? 0);
      }
      const parentCpuTicks = readStat(parent.pid!)!.cpuTicks;
      const tree = readTree(parent.pid!)!;
      const { ticksPerSecond } = procClock();
      expect(tree.children).toBe(1);
      expect(childCpuTicks).toBeGreaterThan(0);
      // Counters only grow: the tree read after holds at least both processes' CPU read before.
      expect(tree.cpuMs).toBeGreaterThanOrEqual(((parentCpuTicks + childCpuTicks) / ticksPerSecond) * 1000);
      expect(tree.rssBytes).toBeGreaterThan(readStat(parent.pid!)!.rssPages * procClock().pageBytes);
      expect(Math.abs(tree.startedAt - Date.now())).toBeLessThan(60_000);
    } finally {
      parent.kill('SIGKILL');
    }
    await new Promise((resolve) => parent.once('exit', resolve));
    expect(readTree(parent.pid!)).toBeNull();
  });

  it('leaves out a descendant read apart, and with `reaped` the children the root already reaped', async () => {
    // The parent says "ready" once its child has started running its script: before that
    // both are still mapping memory, and the parent's growth between two reads could match
    // what a child caught mid-exec holds.
    const script = `
      const { spawn } = require('node:child_process');
      const child = spawn(process.execPath, ['-e', 'process.stdout.write("r"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
      child.stdout.once('data', () => process.stdout.write('ready'));
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    let child: number | undefined;
    try {
      await new Promise((resolve) => parent.stdout.once('data', resolve));
      child = childrenOf(parent.pid!)[0];
      expect(child).toBeDefined();
      const whole = readTree(parent.pid!)!;
      const apart = readTree(parent.pid!, procClock(), { pids: new Set([child!]), reaped: true })!;
      expect(whole.children).toBe(1);
      expect(apart.children).toBe(0);
      expect(apart.rssBytes).toBeLessThan(whole.rssBytes);
      expect(apart.peakRssKb).toBeLessThan(whole.peakRssKb);
      // This process reaped earlier test children: apart from them, its CPU is its own alone.
      const self = readStat(process.pid)!;
      const own = readTree(process.pid, procClock(), { pids: new Set(), reaped: true })!;
      expect(own.cpuMs).toBeGreaterThanOrEqual((self.ownTicks / procClock().ticksPerSecond) * 1000);
    } finally {
      // The child outlives a SIGKILLed parent: it is killed by its own pid.
      if (child !== undefined) process.kill(child, 'SIGKILL');
      parent.kill('SIGKILL');
    }
    await new Promise((resolve) => parent.once('exit', resolve));
  });
});

const usage = (
  name: string,
  role: ProcessUsage['role'],
  cpuMs: number,
  rssBytes: number,
  pid = 100,
  startedAt = 0,
): ProcessUsage => ({ name, role, pid, startedAt, cpuMs, rssBytes, children: 0 });

const sample = (t: number, processes: ProcessUsage[], cell = 'c'): ProcessUsageEvent => ({
  type: 'process-usage',
  cell,
  t,
  processes,
});

describe('the footprint fold', () => {
  it('charges the adapter with its own services and its workers, counting CPU from the cell’s first sample', () => {
    const fold = createFootprintFold(['redis']);
    fold.add(
      sample(1000, [
        usage('redis', 'service', 5000, 10e6, 1),
        usage('bw1', 'worker', 900, 100e6, 2),
        usage('temporal', 'service', 70, 200e6, 3),
      ]),
    );
    fold.add(
      sample(2000, [
        usage('redis', 'service', 5300, 12e6, 1),
        usage('bw1', 'worker', 1500, 90e6, 2),
        usage('temporal', 'service', 75, 200e6, 3),
      ]),
    );
    fold.add(
      sample(3000, [
        usage('redis', 'service', 5400, 11e6, 1),
        usage('bw1', 'worker', 1700, 95e6, 2),
        usage('temporal', 'service', 80, 201e6, 3),
      ]),
    );
    const f = fold.result(200)!;
    expect(f.samples).toBe(3);
    expect(f.spanMs).toBe(2000);
    expect(f.backend).toEqual({ cpuMs: 400, peakRssBytes: 12e6, processes: ['redis'] });
    expect(f.workers).toEqual({ cpuMs: 800, peakRssBytes: 100e6, processes: ['bw1'] });
    // The other adapter's server idled along: listed, never charged.
    expect(f.processes.temporal).toEqual({
      cpuMs: 10,
      peakRssBytes: 201e6,
      processes: ['temporal'],
      role: 'service',
    });
    expect(f.cpuMsPer1000Runs).toBe(((400 + 800) / 200) * 1000);
  });

  it('lists the harness and its helpers without charging them, and says how busy the busiest harness-side process was', () => {
    const fold = createFootprintFold(['redis']);
    fold.add(
      sample(0, [
        usage('harness', 'harness', 1000, 50e6, 1),
        usage('helper:celery-submitter', 'helper', 200, 30e6, 2),
        usage('w1', 'worker', 0, 40e6, 3),
      ]),
    );
    fold.add(
      sample(2000, [
        usage('harness', 'harness', 1400, 50e6, 1),
        usage('helper:celery-submitter', 'helper', 1800, 30e6, 2),
        usage('w1', 'worker', 500, 40e6, 3),
      ]),
    );
    const f = fold.result(10)!;
    expect(f.workers.cpuMs).toBe(500);
    expect(f.cpuMsPer1000Runs).toBe((500 / 10) * 1000);
    expect(f.processes['helper:celery-submitter']).toMatchObject({ role: 'helper', cpuMs: 1600 });
    // The helper used 1,600 ms over 2,000 ms: 0.8 of a core, more than the harness's 0.2.
    expect(f.harnessCores).toBe(0.8);
  });

  it('counts a worker restarted during the cell from 0, and its dead incarnation up to its last sample', () => {
    const fold = createFootprintFold([]);
    fold.add(sample(1000, [usage('w1', 'worker', 2000, 50e6, 10, 100)]));
    fold.add(sample(2000, [usage('w1', 'worker', 2600, 50e6, 10, 100)]));
    // Killed; restarted as pid 11 at t=2500, already 300 ms of CPU into its start when sampled.
    fold.add(sample(3000, [usage('w1', 'worker', 300, 40e6, 11, 2500)]));
    fold.add(sample(4000, [usage('w1', 'worker', 700, 45e6, 11, 2500)]));
    expect(fold.result(10)!.workers.cpuMs).toBe(600 + 700);
  });

  it('peaks on the sum of a group at one sample, not on the sum of each process’s own peak', () => {
    const fold = createFootprintFold([]);
    fold.add(sample(1000, [usage('w1', 'worker', 0, 100e6, 1), usage('w2', 'worker', 0, 10e6, 2)]));
    fold.add(sample(2000, [usage('w1', 'worker', 0, 10e6, 1), usage('w2', 'worker', 0, 100e6, 2)]));
    expect(fold.result(1)!.workers.peakRssBytes).toBe(110e6);
  });

  it('times the stack: slowest own service, setup, workers, then the first run’s acceptance', async () => {
    const h = new HistoryBuilder();
    h.submit('r1', { at: 5000, intendedAt: 4990 }).steps('r1').runDone('r1');
    const events = [
      ...h.events,
      {
        type: 'stack-start',
        cell: h.cell,
        t: 4000,
        servicesMs: { redis: 700, temporal: 3800, toxiproxy: 900 },
        setupMs: 150,
        workersMs: 2100,
      } as const,
      sample(4001, [usage('redis', 'service', 0, 1e6)], h.cell),
    ];
    const [cell] = await analyzeHistory(
      events.sort((a, b) => a.t - b.t),
      [h.cellMeta({ services: ['redis'] })],
    );
    expect(cell!.footprint!.stackStartMs).toBe(700 + 150 + 2100 + (5000 - 4990));
    const [other] = await analyzeHistory(events, [h.cellMeta({ services: ['redis', 'temporal'] })]);
    expect(other!.footprint!.stackStartMs).toBe(3800 + 150 + 2100 + 10);
  });

  it('is absent from a cell that was not sampled, and pools repeats by adding CPU over all their runs', async () => {
    const h = new HistoryBuilder();
    h.run('r1', { at: 0 });
    const [plain] = await analyzeHistory(h.events, [h.cellMeta()]);
    expect(plain!.footprint).toBeUndefined();
    const a = {
      ...plain!,
      runs: { ...plain!.runs, completed: 100 },
      footprint: createFootprintFoldResult(300, 700),
    };
    const b = {
      ...plain!,
      id: `${plain!.id}@2`,
      runs: { ...plain!.runs, completed: 300 },
      footprint: createFootprintFoldResult(500, 1500),
    };
    const pooled = poolCells([a, b]);
    expect(pooled.footprint!.backend.cpuMs).toBe(800);
    expect(pooled.footprint!.cpuMsPer1000Runs).toBe(((800 + 2200) / 400) * 1000);
  });
});

function createFootprintFoldResult(backendCpu: number, workersCpu: number) {
  const fold = createFootprintFold(['redis']);
  fold.add(sample(0, [usage('redis', 'service', 0, 1e6, 1), usage('w1', 'worker', 0, 1e6, 2)]));
  fold.add(
    sample(1000, [usage('redis', 'service', backendCpu, 1e6, 1), usage('w1', 'worker', workersCpu, 1e6, 2)]),
  );
  return fold.result(1)!;
}
