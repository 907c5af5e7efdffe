import { describe, expect, it } from 'vitest';
import { NAMED_FAULTS } from '../../chaos/catalog.js';
import {
  checkFaults,
  drainTimeoutFor,
  faultCatalog,
  killsMidStep,
  planCellFaults,
} from '../../chaos/index.js';
import { namedEntries, parseSchedule, planFaults } from '../../chaos/schedule.js';
import { pickWorkers } from '../../chaos/timing.js';
import { seededRng } from '../../core/random.js';
import type { AdapterTopology } from '../../core/topology.js';
import type { ExperimentInput } from '../../harness/config/experiment.js';
import { parseExperiment } from '../../harness/config/load-experiment.js';
import { chaosSettings } from '../../harness/runner/resolve.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';

const plan = planRun(loadScenario('rag-ingest'));
const parsed = (extra: Partial<ExperimentInput> = {}) =>
  parseExperiment(
    { scenarios: ['rag-ingest'], adapters: [{ name: 'bullmq' }], load: { runs: 200, workers: 2 }, ...extra },
    'test',
  );
const experiment = (extra: Partial<ExperimentInput> = {}) => chaosSettings(parsed(extra));
const topology = (name: string, link: string, service: string): AdapterTopology => ({
  name,
  services: [service],
  links: [{ name: link, fronts: service }],
  orchestrator: { link, service },
  workers: [],
  recovery: { boundMs: 60_000, governedBy: {} },
});
const bullmq = topology('bullmq', 'broker', 'redis');
const ctx = { seed: 1, windowMs: 10_000, runs: 200, workers: 4, effectStep: 'persist', salt: 't' };

describe('fault schedules from the seed', () => {
  it('gives the same schedule for the same seed, and another for another seed', () => {
    const entries = parseSchedule([
      { kind: 'kill', at: 'random', target: 'workers:2' },
      { kind: 'partition', at: 'random', duration: 1000 },
    ]);
    const a = planFaults(entries, ctx);
    expect(planFaults(entries, ctx)).toEqual(a);
    expect(planFaults(entries, { ...ctx, seed: 2 })).not.toEqual(a);
    for (const fault of a) {
      expect(fault.atMs).toBeGreaterThanOrEqual(1000);
      expect(fault.atMs).toBeLessThanOrEqual(8000);
    }
  });

  it('numbers occurrences in time order, failpoints (armed all along) first', () => {
    const planned = planFaults(
      parseSchedule([
        { kind: 'model-errors', at: 5000 },
        { kind: 'latency', at: '20%', duration: 1000, params: { latency: 50 } },
        { kind: 'failpoint', params: { point: 'before-effect', nth: 3 } },
      ]),
      ctx,
    );
    expect(planned.map((f) => [f.id, f.kind, f.atMs, f.durationMs])).toEqual([
      ['f1', 'failpoint', null, null],
      ['f2', 'latency', 2000, 1000],
      ['f3', 'model-errors', 5000, 5000],
    ]);
    // Defaults are filled in: the failpoint's step is the scenario's first effect step.
    expect(planned[0]!.params).toMatchObject({ point: 'before-effect', step: 'persist', nth: 3, once: true });
    expect(planned[1]!.params).toEqual({ stream: 'downstream', toxicity: 1, latency: 50, jitter: 50 });
  });

  it('picks distinct worker slots', () => {
    const rng = seededRng(3);
    for (let i = 0; i < 50; i++) {
      const picked = pickWorkers('workers:3', 5, rng);
      expect(new Set(picked).size).toBe(3);
      expect(picked.every((w) => w >= 1 && w <= 5)).toBe(true);
    }
    expect(pickWorkers('workers', 3, rng)).toEqual([1, 2, 3]);
    expect(pickWorkers('w2', 3, rng)).toEqual([2]);
    expect(() => pickWorkers('w4', 3, rng)).toThrow(/3 workers/);
  });

  it('names the bad field of a schedule', () => {
    expect(() => parseSchedule([{ kind: 'latency', params: { latency: -1 } }])).toThrow(
      /^faultSchedule\[0\]\.params\.latency: /m,
    );
    expect(() => parseSchedule([{ kind: 'kill', target: 'everyone' }])).toThrow(
      /\[0\]\.target: expected worker/,
    );
    expect(() => parseSchedule([{ kind: 'meteor' }])).toThrow(/\[0\]\.kind/);
    expect(() => parseSchedule([{ kind: 'failpoint', params: { point: 'x' } }])).toThrow(
      /\[0\]\.params\.point/,
    );
  });
});

describe('named faults', () => {
  it('lists every required fault with a one-line description', () => {
    const names = faultCatalog().map((f) => f.name);
    for (const required of [
      'none',
      'worker-kill',
      'worker-restart',
      'kill-after-effect',
      'network-partition',
      'network-latency',
      'backend-restart',
      'model-outage',
    ])
      expect(names).toContain(required);
    for (const f of faultCatalog()) expect(f.description).toMatch(/^[^\n]{10,110}$/);
  });

  it('every named fault plans for rag-ingest, the same for every adapter', () => {
    for (const { name } of NAMED_FAULTS) {
      const planned = planCellFaults(name, experiment(), plan, 10_000);
      expect(planned).toEqual(planCellFaults(name, experiment(), plan, 10_000));
      for (const f of planned) if (f.atMs !== null) expect(f.atMs).toBeLessThan(10_000);
    }
    expect(planCellFaults('none', experiment(), plan, 10_000)).toEqual([]);
  });

  it('has quick-run defaults: worker-kill kills one worker at 30%, kill-after-effect arms persist at 30%', () => {
    const [kill] = planCellFaults('worker-kill', experiment(), plan, 10_000);
    expect(kill).toMatchObject({ kind: 'kill', atMs: 3000, params: { signal: 'SIGKILL' } });
    expect(kill!.workers).toHaveLength(1);
    const [fp] = planCellFaults('kill-after-effect', experiment(), plan, 10_000);
    expect(fp).toMatchObject({
      kind: 'failpoint',
      atMs: 3000,
      params: { point: 'after-effect', step: 'persist', nth: 1, once: true },
    });
    expect(namedEntries('network-partition', { runs: 1, workers: 1 })[0]).toMatchObject({
      kind: 'partition',
      target: 'orchestrator',
      duration: 5000,
    });
  });
});

describe('faults in an experiment', () => {
  it('runs a faultSchedule as the cell fault "schedule"', () => {
    const e = parsed({ faultSchedule: [{ kind: 'kill', at: 1000 }] });
    expect(e.faults).toEqual(['schedule']);
    expect(planCellFaults('schedule', chaosSettings(e), plan, 5000)[0]).toMatchObject({
      kind: 'kill',
      atMs: 1000,
    });
    expect(parsed().faults).toEqual(['none']);
  });

  it('rejects bad schedules and "schedule" without one, naming the field', () => {
    expect(() => parsed({ faults: ['none', 'schedule'] })).toThrow(
      /faults\[1\]: "schedule" needs a faultSchedule/,
    );
    expect(() => parsed({ faultSchedule: [{ kind: 'partition', duration: 0 }] })).toThrow(
      /faultSchedule\[0\]\.duration/,
    );
  });

  it('refuses network faults the workers cannot be reached by', () => {
    expect(() => checkFaults(['network-partition'], experiment(), [bullmq])).not.toThrow();
    expect(() => checkFaults(['network-partition'], experiment({ proxyWorkers: false }), [bullmq])).toThrow(
      /proxyWorkers/,
    );
    const onServer = parsed({ faultSchedule: [{ kind: 'partition', target: 'server' }] });
    expect(() => checkFaults(onServer.faults, chaosSettings(onServer), [bullmq])).toThrow(
      /adapter bullmq has no "server" link; its links: orchestrator, world, broker/,
    );
    // The same schedule is fine for an adapter that declares that link.
    const temporal = topology('temporal', 'server', 'temporal');
    expect(() => checkFaults(onServer.faults, chaosSettings(onServer), [temporal])).not.toThrow();
    expect(() => checkFaults(['earthquake'], experiment(), [bullmq])).toThrow(/unknown fault/);
  });

  it('refuses a backend restart of a service the adapter does not use', () => {
    const e = parsed({ faultSchedule: [{ kind: 'backend-restart', target: 'temporal' }] });
    expect(() => checkFaults(e.faults, chaosSettings(e), [bullmq])).toThrow(
      /adapter bullmq does not use "temporal"; its services: backend, redis/,
    );
  });

  it('refuses a backend restart the services provider cannot perform (an external server)', () => {
    expect(() => checkFaults(['backend-restart'], experiment({ services: 'external' }), [bullmq])).toThrow(
      /the external services provider cannot restart redis \(a server it does not own\)/,
    );
    for (const services of ['local', 'testcontainers'] as const)
      expect(() => checkFaults(['backend-restart'], experiment({ services }), [bullmq])).not.toThrow();
    // Other faults need no restart: fine against external servers.
    expect(() =>
      checkFaults(['network-partition'], experiment({ services: 'external' }), [bullmq]),
    ).not.toThrow();
  });
});

describe('recovery facts', () => {
  it('raises the drain for faults that kill workers mid-step, to the recovery bound plus a margin', () => {
    const kill = planCellFaults('worker-kill', experiment(), plan, 10_000);
    expect(drainTimeoutFor(kill, 60_000, 60_000)).toBe(60_000 + 15_000);
    // A bound well inside the configured drain changes nothing.
    expect(drainTimeoutFor(kill, 3_000, 60_000)).toBe(60_000);
    // A graceful stop kills nothing mid-step.
    const graceful = planCellFaults('worker-restart', experiment(), plan, 10_000);
    expect(drainTimeoutFor(graceful, 60_000, 60_000)).toBe(60_000);
  });

  it('defines "a kill" once, by kind: a SIGKILL and a failpoint kill mid-step, a SIGTERM or a partition do not', () => {
    expect(killsMidStep({ kind: 'failpoint', params: {} })).toBe(true);
    expect(killsMidStep({ kind: 'kill', params: { signal: 'SIGKILL' } })).toBe(true);
    expect(killsMidStep({ kind: 'kill', params: { signal: 'SIGTERM' } })).toBe(false);
    expect(killsMidStep({ kind: 'partition', params: {} })).toBe(false);
  });
});
