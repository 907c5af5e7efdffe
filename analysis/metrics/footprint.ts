import type { HistoryEvent, ProcessUsage, StackStartEvent } from '../../core/history/events.js';
import type { FootprintResults, UsageTotals } from '../../core/results.js';

/**
 * The footprint of one cell from its `process-usage` samples. Each process (name, pid and
 * start time) is a series of CPU counters: it counts from its first sample when it was
 * already running at the cell's first sample, and from 0 when it started after (a worker
 * restarted after a kill: its start-up is the fault's cost). Peak memory is the largest
 * sum of a group's resident memory at one sample. Pure: from the events alone.
 */
export interface FootprintFold {
  add(event: HistoryEvent): void;
  /** Undefined when the cell was not sampled. */
  result(completedRuns: number): FootprintResults | undefined;
}

interface Series {
  name: string;
  role: ProcessUsage['role'];
  baseline: number;
  last: number;
}

export function createFootprintFold(backendServices: readonly string[] = []): FootprintFold {
  const backend = new Set(backendServices);
  const series = new Map<string, Series>();
  const peaks = new Map<string, number>();
  const roles = new Map<string, ProcessUsage['role']>();
  let firstAt = Number.NaN;
  let lastAt = Number.NaN;
  let samples = 0;
  let stack: StackStartEvent | undefined;
  let machineFirst: { busyMs: number; idleMs: number } | undefined;
  let machineLast: { busyMs: number; idleMs: number } | undefined;
  /** The first accepted run: its acknowledgement minus the moment it was due. */
  let firstSubmit: { intendedAt: number; t: number } | undefined;
  const group = (usage: ProcessUsage) =>
    usage.role === 'worker'
      ? 'workers'
      : usage.role === 'service' && backend.has(usage.name)
        ? 'backend'
        : null;

  return {
    add(event) {
      if (event.type === 'stack-start') stack ??= event;
      if (event.type === 'submit' && (!firstSubmit || event.intendedAt < firstSubmit.intendedAt))
        firstSubmit = { intendedAt: event.intendedAt, t: event.t };
      if (event.type !== 'process-usage') return;
      if (samples === 0) firstAt = event.t;
      lastAt = event.t;
      samples++;
      if (event.machine) {
        machineFirst ??= event.machine;
        machineLast = event.machine;
      }
      const sums = new Map<string, number>();
      const add = (key: string, bytes: number) => sums.set(key, (sums.get(key) ?? 0) + bytes);
      for (const usage of event.processes) {
        const key = `${usage.name}\0${usage.pid}\0${usage.startedAt}`;
        const known = series.get(key);
        if (known) known.last = Math.max(known.last, usage.cpuMs);
        else {
          // Started after the cell's first sample: all its CPU is the cell's. (Start times come in 10 ms steps.)
          const fresh = samples > 1 && usage.startedAt > firstAt;
          series.set(key, {
            name: usage.name,
            role: usage.role,
            baseline: fresh ? 0 : usage.cpuMs,
            last: usage.cpuMs,
          });
        }
        roles.set(usage.name, usage.role);
        add(`name:${usage.name}`, usage.rssBytes);
        const g = group(usage);
        if (g) add(`group:${g}`, usage.rssBytes);
      }
      for (const [key, bytes] of sums) peaks.set(key, Math.max(peaks.get(key) ?? 0, bytes));
    },
    result(completedRuns) {
      if (samples === 0) return undefined;
      const cpu = new Map<string, number>();
      for (const s of series.values()) cpu.set(s.name, (cpu.get(s.name) ?? 0) + (s.last - s.baseline));
      const names = [...roles.keys()].sort();
      const totals = (members: string[], key: string): UsageTotals => ({
        cpuMs: round(members.reduce((t, n) => t + (cpu.get(n) ?? 0), 0)),
        peakRssBytes: peaks.get(key) ?? 0,
        processes: members,
      });
      const backendNames = names.filter((n) => roles.get(n) === 'service' && backend.has(n));
      const workerNames = names.filter((n) => roles.get(n) === 'worker');
      const backendTotals = totals(backendNames, 'group:backend');
      const workerTotals = totals(workerNames, 'group:workers');
      const charged = backendTotals.cpuMs + workerTotals.cpuMs;
      return {
        samples,
        spanMs: round(lastAt - firstAt),
        backend: backendTotals,
        workers: workerTotals,
        processes: Object.fromEntries(
          names.map((n) => [n, { ...totals([n], `name:${n}`), role: roles.get(n)! }]),
        ),
        cpuMsPer1000Runs: completedRuns > 0 ? round((charged / completedRuns) * 1000) : null,
        stackStartMs: stackStartMs(stack, backendServices, firstSubmit),
        machineBusy: busyShare(machineFirst, machineLast),
        harnessCores: harnessSideCores(cpu, roles, lastAt - firstAt),
      };
    },
  };
}

/**
 * The busiest harness-side process (the harness, or a helper doing its work out of process)
 * over the cell, in cores: near 1, the harness's side may have been the limit. Null
 * without a span or such a process.
 */
function harnessSideCores(
  cpu: ReadonlyMap<string, number>,
  roles: ReadonlyMap<string, ProcessUsage['role']>,
  spanMs: number,
): number | null {
  const sides = [...roles].filter(([, role]) => role === 'harness' || role === 'helper');
  if (!(spanMs > 0) || sides.length === 0) return null;
  const busiest = Math.max(...sides.map(([name]) => cpu.get(name) ?? 0));
  return Math.round((busiest / spanMs) * 1000) / 1000;
}

/** The machine's busy share between two /proc/stat readings; null without two of them. */
function busyShare(
  first: { busyMs: number; idleMs: number } | undefined,
  last: { busyMs: number; idleMs: number } | undefined,
): number | null {
  if (!first || !last) return null;
  const busy = last.busyMs - first.busyMs;
  const total = busy + (last.idleMs - first.idleMs);
  return total > 0 ? Math.round((busy / total) * 1000) / 1000 : null;
}

/** The slowest of the adapter's services, then setup, workers and the first run's acceptance. */
function stackStartMs(
  stack: StackStartEvent | undefined,
  services: readonly string[],
  firstSubmit: { intendedAt: number; t: number } | undefined,
): number | null {
  if (!stack || !firstSubmit || services.length === 0) return null;
  const times = services.map((s) => stack.servicesMs[s]);
  if (times.some((t) => t === undefined)) return null;
  const servicesMs = Math.max(...(times as number[]));
  return round(
    servicesMs + stack.setupMs + stack.workersMs + Math.max(0, firstSubmit.t - firstSubmit.intendedAt),
  );
}

const round = (ms: number) => Math.round(ms * 10) / 10;
