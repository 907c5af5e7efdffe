/**
 * Timer steps and the operational footprint on every adapter, for real (#15): each
 * adapter's orchestrator keeps the scheduled-followup timer (a delayed job, a workflow
 * timer, a countdown) and fires it once, no earlier than due, and the footprint the harness
 * sampled is the adapter's own backend and workers, with every figure derived again here
 * from the history.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { adapterNames } from '../../adapters/index.js';
import type { HistoryEvent } from '../../core/history/events.js';
import type { Results } from '../../core/results.js';
import type { RecordedConfig } from '../../harness/runner/recorded-config.js';
import { loadScenario } from '../../scenarios/index.js';
import { readRunHistory } from '../helpers/history.js';
import { runForTest } from '../helpers/run.js';

const RUNS = 12;
const scenario = loadScenario('scheduled-followup');
const TIMER = scenario.steps.find((s) => s.kind === 'timer')!;

let results: Results;
let events: HistoryEvent[];
let config: RecordedConfig;

beforeAll(async () => {
  const run = await runForTest({
    seed: 5,
    scenarios: ['scheduled-followup'],
    adapters: adapterNames().map((name) => ({ name })),
    faults: ['none'],
    load: { runs: RUNS, ratePerSec: 4, workers: 2, warmupRuns: 0, drainTimeoutMs: 60_000 },
  });
  results = run.results;
  config = JSON.parse(readFileSync(join(run.outDir, 'config.json'), 'utf8')) as RecordedConfig;
  events = readRunHistory(run.outDir);
});

const of = <T extends HistoryEvent['type']>(cell: string, type: T) =>
  events.filter((e): e is Extract<HistoryEvent, { type: T }> => e.cell === cell && e.type === type);

describe.each(adapterNames())('timers and footprint: %s', (adapter) => {
  const cellId = `scheduled-followup/${adapter}/none`;
  const cell = () => results.cells.find((c) => c.id === cellId)!;

  it('fires every timer exactly once, after its dependency finished plus the delay', () => {
    expect(cell().runs.completed).toBe(RUNS);
    const fired = of(cellId, 'timer-fired');
    expect(fired.map((e) => e.runId).sort()).toEqual(
      of(cellId, 'submit')
        .map((e) => e.runId)
        .sort(),
    );
    for (const firing of fired) {
      const [dependency] = TIMER.dependsOn;
      const doneAt = of(cellId, 'step-done').find(
        (e) => e.runId === firing.runId && e.stepId === dependency && e.outcome === 'ok',
      )!.t;
      // Processes share the wall clock; a timer firing before it was due would be a scheduling bug.
      expect(firing.t - doneAt, firing.runId).toBeGreaterThanOrEqual(TIMER.delayMs! - 1);
      // What the orchestrator was asked for: set after the dependency finished.
      expect(firing.intendedAt - doneAt, firing.runId).toBeGreaterThanOrEqual(TIMER.delayMs! - 1);
    }
    expect(cell().timers).toMatchObject({ due: RUNS, fired: RUNS, lost: 0, firedTwice: 0, early: 0 });
    expect(cell().timers!.driftMs.count).toBe(RUNS);
  });

  it('samples CPU and memory of its own backend and workers, and charges it nothing else', () => {
    const footprint = cell().footprint!;
    const services = config.adapters.find((a) => a.name === adapter)!.topology.services;
    const [cellStart] = of(cellId, 'cell-start');
    expect(footprint.backend.processes).toEqual([...services].sort());
    expect(footprint.workers.processes).toEqual([...cellStart!.workers].sort());
    for (const group of [footprint.backend, footprint.workers]) {
      expect(group.cpuMs).toBeGreaterThan(0);
      expect(group.peakRssBytes).toBeGreaterThan(0);
    }
    // Every sample names the processes it read; the world and the harness are listed, never charged.
    const samples = of(cellId, 'process-usage');
    expect(samples.length).toBe(footprint.samples);
    expect(footprint.processes.world?.role).toBe('world');
    expect(footprint.processes.harness?.role).toBe('harness');
    for (const name of cellStart!.workers)
      expect(samples.at(-1)!.processes.some((p) => p.name === name && p.role === 'worker')).toBe(true);
    // The harness's tree holds none of the processes sampled apart (it started them all).
    for (const sample of samples) {
      const harness = sample.processes.find((p) => p.role === 'harness')!;
      expect(harness.children).toBeLessThan(sample.processes.length - 1);
    }
    // One sampler: each worker's worker-usage (its whole life) is at least the last reading
    // the cell's sampler took of that process, which fed it.
    for (const usage of of(cellId, 'worker-usage')) {
      const readings = samples.flatMap((s) => s.processes.filter((p) => p.pid === usage.pid));
      expect(readings.length, usage.worker).toBeGreaterThan(0);
      expect(usage.cpuMs).toBeGreaterThanOrEqual(readings.at(-1)!.cpuMs);
    }
    const charged = footprint.backend.cpuMs + footprint.workers.cpuMs;
    expect(footprint.cpuMsPer1000Runs).toBeCloseTo((charged / cell().runs.completed) * 1000, 0);
    // The stack's start holds at least its slowest service's start and its workers' start.
    const [stack] = of(cellId, 'stack-start');
    const slowest = Math.max(...services.map((s) => stack!.servicesMs[s]!));
    expect(footprint.stackStartMs).toBeGreaterThanOrEqual(slowest + stack!.workersMs);
  });
});

describe('footprint attribution on celery', () => {
  const cellId = 'scheduled-followup/celery/none';

  it('sums a prefork worker’s pool children into it, and lists the submitter as the harness’s helper, never charged', () => {
    const footprint = results.cells.find((c) => c.id === cellId)!.footprint!;
    const samples = of(cellId, 'process-usage');
    const workers = samples.flatMap((s) => s.processes.filter((p) => p.role === 'worker'));
    // The knob's default concurrency is the CPU count: at least one pool child per worker.
    expect(workers.length).toBeGreaterThan(0);
    expect(Math.min(...workers.map((p) => p.children))).toBeGreaterThanOrEqual(1);
    const helpers = Object.entries(footprint.processes).filter(([, p]) => p.role === 'helper');
    expect(helpers.map(([name]) => name)).toEqual([expect.stringMatching(/^helper:celery-submitter/)]);
    const [name, submitter] = helpers[0]!;
    // It published every run's canvas: it used CPU, and none of it is the adapter's.
    expect(submitter.cpuMs).toBeGreaterThan(0);
    expect(footprint.workers.processes).not.toContain(name);
    expect(footprint.backend.processes).not.toContain(name);
  });
});
