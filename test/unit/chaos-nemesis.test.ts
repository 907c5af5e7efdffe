import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Nemesis } from '../../chaos/nemesis.js';
import type { ChaosCell } from '../../chaos/ports.js';
import { faultKind } from '../../chaos/registry.js';
import { parseSchedule, planFaults } from '../../chaos/schedule.js';
import { now } from '../../core/clock.js';
import { InfrastructureError } from '../../core/errors.js';
import { HistoryWriter } from '../../core/history/writer.js';

/** A nemesis against fakes of the live cell: it calls them and writes fault events. */
function setup(
  schedule: unknown[],
  restart = async (_name: string, _o?: { downMs?: number }) => {},
  busy: [string, number][] = [
    ['a-w1', 0],
    ['a-w2', 1],
  ],
) {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-nemesis-'));
  const history = new HistoryWriter(join(dir, 'harness.jsonl'));
  const calls: string[] = [];
  const cell: ChaosCell = {
    cell: 'c',
    topology: {
      name: 'a',
      services: ['redis'],
      links: [{ name: 'broker', fronts: 'redis' }],
      orchestrator: { link: 'broker', service: 'redis' },
      workers: [],
      recovery: { boundMs: 1000, governedBy: { lock: 1000 } },
    },
    workers: {
      ids: () => ['a-w1', 'a-w2'],
      // Each worker's count of steps in flight, as steps (run `r<i>`, step `s`).
      inFlight: () =>
        new Map(
          busy.map(([id, n]) => [
            id,
            Array.from({ length: n }, (_, i) => ({ runId: `r${i + 1}`, stepId: 's', attempt: 1 })),
          ]),
        ),
      signal: (ids, signal) => {
        calls.push(`kill ${signal} ${ids.join(',')}`);
        return [...ids];
      },
      poolChildren: () => [],
      signalPoolChild: () => false,
    },
    services: {
      restart: async (name, o) => {
        calls.push(`restart ${name} ${o?.downMs}`);
        await restart(name, o);
        calls.push(`restarted ${name}`);
      },
    },
    world: { setFaults: (f) => calls.push(`world ${JSON.stringify(f)}`) },
    toxiproxy: undefined,
    chaosDir: join(dir, 'chaos'),
  };
  const faults = planFaults(parseSchedule(schedule), {
    seed: 1,
    windowMs: 1000,
    runs: 10,
    workers: 2,
    salt: 's',
  });
  const log: string[] = [];
  const nemesis = new Nemesis({ faults, history, log: (l: string) => log.push(l), graceMs: 200 });
  const failpoints = nemesis.failpoints(cell.chaosDir);
  const events = () =>
    (existsSync(history.path) ? readFileSync(history.path, 'utf8') : '')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  return { nemesis, cell, calls, events, log, failpoints };
}

/** Polls until `check` holds (no wall-clock bound in the assertion: a loaded machine only waits longer). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(5);
}

const brief = (e: { type: string; faultId: string; fault: string; target: string }) =>
  `${e.type} ${e.faultId} ${e.fault} ${e.target}`;

describe('the nemesis', () => {
  it('injects at the planned moments, heals after the duration, and writes fault-start / fault-end', async () => {
    const n = setup([
      { kind: 'kill', at: 10, target: 'w2' },
      { kind: 'model-errors', at: 20, duration: 40, params: { status: 429 } },
    ]);
    n.nemesis.start(n.cell, now());
    // The error burst heals itself after its duration: wait for that, then heal the rest.
    await until(() => n.events().some((e) => e.type === 'fault-end'));
    await n.nemesis.healAll();
    expect(n.events().map(brief)).toEqual([
      'fault-start f1 kill a-w2', // instant: no fault-end
      'fault-start f2 model-errors model',
      'fault-end f2 model-errors model',
    ]);
    const [kill, errors, healed] = n.events();
    expect(kill.killed).toEqual(['a-w2']); // a SIGKILL kills the steps in flight
    // A timer never fires early: the burst lasted at least its 40 ms.
    expect(healed.t - errors.t).toBeGreaterThanOrEqual(39);
    expect(errors.params).toEqual({ rate: 1, status: 429, retryAfterSeconds: 1 });
    expect(n.calls).toEqual([
      'kill SIGKILL a-w2',
      'world {"modelErrorRate":1,"modelErrorStatus":429,"retryAfterSeconds":1}',
      'world {"modelErrorRate":0}',
    ]);
  });

  it('heals everything in healAll: an active fault ends now, a fault not yet started never starts', async () => {
    const n = setup([
      { kind: 'model-latency', at: 0, duration: 60_000 },
      { kind: 'kill', at: 60_000 },
    ]);
    n.nemesis.start(n.cell, now());
    await until(() => n.events().some((e) => e.type === 'fault-start'));
    await n.nemesis.healAll();
    await n.nemesis.healAll(); // again in the runner's finally: nothing left to do
    const events = n.events();
    expect(events.filter((e) => e.type !== 'fault-unfired').map(brief)).toEqual([
      'fault-start f1 model-latency model',
      'fault-end f1 model-latency model',
    ]);
    // The fault that never started is in the history too, with why.
    expect(events.filter((e) => e.type === 'fault-unfired')).toMatchObject([
      { faultId: 'f2', fault: 'kill', reason: 'load-ended' },
    ]);
    expect(n.calls).toEqual(['world {"extraLatencyMs":1000}', 'world {"extraLatencyMs":0}']);
    expect(n.log.join('\n')).toMatch(/f2 \(kill\) never started/);
  });

  it('arms a failpoint at its moment; the worker, not the nemesis, writes its fault-start', async () => {
    const n = setup([{ kind: 'failpoint', at: 20, params: { point: 'after-effect', step: 'persist' } }]);
    const [spec] = n.failpoints;
    expect(spec).toMatchObject({ point: 'after-effect', stepId: 'persist', nth: 1, once: true });
    n.nemesis.start(n.cell, now());
    expect(existsSync(spec!.armedFile!)).toBe(false);
    await until(() => existsSync(spec!.armedFile!));
    const healing = now();
    await n.nemesis.healAll();
    // Armed but not fired: healAll gave the workers a bounded while to reach the point.
    expect(now() - healing).toBeGreaterThanOrEqual(200);
    expect(n.log[0]).toMatch(/waiting up to 200 ms for failpoint f1/);
    expect(existsSync(join(spec!.markerDir!, 'disarmed'))).toBe(true);
    // No fault-start (the workers write their own when they fire), but the history says it never fired.
    expect(n.events()).toMatchObject([
      {
        type: 'fault-unfired',
        faultId: 'f1',
        fault: 'failpoint',
        reason: 'not-reached',
        workers: ['a-w1', 'a-w2'],
      },
    ]);
    expect(n.log.join('\n')).toMatch(/failpoint f1 \(after-effect persist\) never fired in a-w1, a-w2/);
  });

  it('waits for a backend restart under way; its fault-end marks the server back', async () => {
    const n = setup([{ kind: 'backend-restart', at: 0, params: { downMs: 80 } }], (_, o) => sleep(o?.downMs));
    n.nemesis.start(n.cell, now());
    await until(() => n.calls.length > 0); // the restart is under way
    await n.nemesis.healAll();
    expect(n.calls).toEqual(['restart redis 80', 'restarted redis']);
    const [start, end] = n.events();
    expect([start, end].map(brief)).toEqual([
      'fault-start f1 backend-restart redis',
      'fault-end f1 backend-restart redis',
    ]);
    expect(end.t - start.t).toBeGreaterThanOrEqual(79);
  });

  it('reports a fault that could not be injected as an infrastructure error from healAll', async () => {
    const n = setup([{ kind: 'backend-restart', at: 0 }], async () => {
      throw new Error('redis did not come back');
    });
    n.nemesis.start(n.cell, now());
    await until(() => n.calls.length > 0);
    await expect(n.nemesis.healAll()).rejects.toThrow(InfrastructureError);
    expect(n.events().map((e) => e.type)).toEqual(['fault-start', 'fault-end']);
    await expect(n.nemesis.healAll()).resolves.toBeUndefined();
  });

  it('kills the busiest worker once one has steps in flight, and records a kill that never found one', async () => {
    const busy = setup([{ kind: 'kill', at: 0, target: 'worker' }], undefined, [
      ['a-w1', 1],
      ['a-w2', 3],
    ]);
    busy.nemesis.start(busy.cell, now());
    await until(() => busy.calls.length > 0);
    await busy.nemesis.healAll();
    expect(busy.calls).toEqual(['kill SIGKILL a-w2']);
    expect(busy.events()).toMatchObject([{ type: 'fault-start', target: 'a-w2', killed: ['a-w2'] }]);
    // What the signal hit, from the look that chose it: the target's three steps, not a-w1's.
    expect(busy.events()[0]!.inFlight).toEqual(
      [1, 2, 3].map((i) => ({ worker: 'a-w2', runId: `r${i}`, stepId: 's', attempt: 1 })),
    );

    const idle = setup([{ kind: 'kill', at: 0, target: 'worker' }], undefined, [
      ['a-w1', 0],
      ['a-w2', 0],
    ]);
    idle.nemesis.start(idle.cell, now());
    await sleep(30); // it waits, polling; healAll ends the wait
    await idle.nemesis.healAll();
    expect(idle.calls).toEqual([]);
    expect(idle.events()).toMatchObject([{ type: 'fault-unfired', faultId: 'f1', reason: 'idle-workers' }]);

    // Work that shows up after the load (runs lag behind the arrivals) is still hit, before the drain.
    const counts: [string, number][] = [
      ['a-w1', 0],
      ['a-w2', 0],
    ];
    const late = setup([{ kind: 'kill', at: 0, target: 'worker' }], undefined, counts);
    late.nemesis.start(late.cell, now());
    await sleep(30);
    const healed = late.nemesis.healAll();
    await sleep(30);
    counts[0] = ['a-w1', 2];
    await healed;
    expect(late.calls).toEqual(['kill SIGKILL a-w1']);
    expect(late.events()).toMatchObject([{ type: 'fault-start', target: 'a-w1', killed: ['a-w1'] }]);

    // Without `busy`, the slot drawn from the seed is hit whatever it is doing.
    const blind = setup([{ kind: 'kill', at: 0, target: 'w1', params: { busy: false } }], undefined, [
      ['a-w1', 0],
      ['a-w2', 0],
    ]);
    blind.nemesis.start(blind.cell, now());
    await until(() => blind.calls.length > 0);
    await blind.nemesis.healAll();
    expect(blind.calls).toEqual(['kill SIGKILL a-w1']);
    expect(blind.events()[0]!.inFlight).toEqual([]); // it hit an idle worker, and says so
  });
});

/** An adapter whose workflows and activities run in workers of their own (two roles, two workers each). */
const SPLIT_ROLES = {
  workflow: ['p-workflow-w1', 'p-workflow-w2'],
  activity: ['p-activity-w1', 'p-activity-w2'],
};
const SPLIT_TOPOLOGY = {
  name: 'p',
  services: ['temporal'],
  links: [{ name: 'server', fronts: 'temporal' }],
  orchestrator: { link: 'server', service: 'temporal' },
  workers: [
    {
      role: 'workflow',
      command: { runtime: 'exec', argv: ['x'] },
      killScope: 'process',
      poolChildren: false,
      runsSteps: false,
    },
    {
      role: 'activity',
      command: { runtime: 'exec', argv: ['y'] },
      killScope: 'process',
      poolChildren: false,
    },
  ],
  recovery: { boundMs: 1000, governedBy: {} },
} as const satisfies ChaosCell['topology'];

function splitSetup(schedule: unknown[], busy: [string, number][]) {
  const n = setup(schedule, undefined, busy);
  n.cell.topology = SPLIT_TOPOLOGY;
  n.cell.workers.ids = (role) =>
    role === undefined
      ? [...SPLIT_ROLES.workflow, ...SPLIT_ROLES.activity]
      : SPLIT_ROLES[role as 'workflow' | 'activity'];
  return n;
}

describe('kills on an adapter with several worker roles', () => {
  const idle: [string, number][] = [...SPLIT_ROLES.workflow, ...SPLIT_ROLES.activity].map((id) => [id, 0]);
  const busy = (id: string, n: number): [string, number][] => idle.map(([w]) => [w, w === id ? n : 0]);

  it('worker@activity hits the busiest worker of that role, whose steps it kills', async () => {
    const n = splitSetup([{ kind: 'kill', at: 0, target: 'worker@activity' }], busy('p-activity-w2', 3));
    n.nemesis.start(n.cell, now());
    await until(() => n.calls.length > 0);
    await n.nemesis.healAll();
    expect(n.calls).toEqual(['kill SIGKILL p-activity-w2']);
    expect(n.events()).toMatchObject([
      { type: 'fault-start', target: 'p-activity-w2', killed: ['p-activity-w2'] },
    ]);
  });

  it('worker@workflow waits for steps in flight anywhere, then hits the slot drawn from the seed; it kills no step', async () => {
    const waiting = splitSetup([{ kind: 'kill', at: 0, target: 'worker@workflow' }], idle);
    waiting.nemesis.start(waiting.cell, now());
    await sleep(30); // no step in flight in the cell: it waits
    await waiting.nemesis.healAll();
    expect(waiting.calls).toEqual([]);
    expect(waiting.events()).toMatchObject([{ type: 'fault-unfired', reason: 'idle-workers' }]);

    const n = splitSetup([{ kind: 'kill', at: 0, target: 'worker@workflow' }], busy('p-activity-w1', 1));
    const [planned] = n.nemesis.planned;
    n.nemesis.start(n.cell, now());
    await until(() => n.calls.length > 0);
    await n.nemesis.healAll();
    const expected = SPLIT_ROLES.workflow[planned!.workers![0]! - 1]!;
    expect(n.calls).toEqual([`kill SIGKILL ${expected}`]);
    const [start] = n.events();
    expect(start).toMatchObject({ type: 'fault-start', target: expected });
    expect(start).not.toHaveProperty('killed');
  });

  it('workers spans every role; w1@activity names one worker of one role', async () => {
    const all = splitSetup(
      [{ kind: 'kill', at: 0, target: 'workers', params: { signal: 'SIGTERM' } }],
      busy('p-activity-w1', 1),
    );
    all.nemesis.start(all.cell, now());
    await until(() => all.calls.length > 0);
    await all.nemesis.healAll();
    expect(all.calls).toEqual([
      `kill SIGTERM ${[...SPLIT_ROLES.workflow, ...SPLIT_ROLES.activity].join(',')}`,
    ]);
    expect(all.events()[0]!.inFlight).toEqual([
      { worker: 'p-activity-w1', runId: 'r1', stepId: 's', attempt: 1 },
    ]);

    const one = splitSetup([{ kind: 'kill', at: 0, target: 'w1@activity', params: { busy: false } }], idle);
    one.nemesis.start(one.cell, now());
    await until(() => one.calls.length > 0);
    await one.nemesis.healAll();
    expect(one.calls).toEqual(['kill SIGKILL p-activity-w1']);
  });

  it('refuses, before anything starts, a role the adapter lacks and a slot whose role would be a guess', () => {
    const check = (target: string, params?: Record<string, unknown>) =>
      faultKind('kill').check!(
        { kind: 'kill', target, ...(params ? { params } : {}) },
        { topology: SPLIT_TOPOLOGY, proxyWorkers: true, servicesProvider: 'local', canRestart: () => true },
      );
    expect(check('worker@activity')).toBeUndefined();
    expect(check('workers')).toBeUndefined();
    expect(check('worker')).toBeUndefined(); // the busiest, whatever its role
    expect(check('worker@nope')).toMatch(
      /adapter p has no worker role "nope" \(its roles: workflow, activity\)/,
    );
    expect(check('w1')).toMatch(/has worker roles workflow, activity: name one \(e\.g\. w1@activity\)/);
    expect(check('worker', { busy: false })).toMatch(/name one/);
  });

  it('waits for and reports failpoints only in the workers that run steps', async () => {
    const n = splitSetup(
      [{ kind: 'failpoint', at: 0, params: { point: 'after-effect', step: 'persist' } }],
      idle,
    );
    n.nemesis.start(n.cell, now());
    await sleep(20);
    await n.nemesis.healAll();
    expect(n.events()).toMatchObject([
      { type: 'fault-unfired', reason: 'not-reached', workers: SPLIT_ROLES.activity },
    ]);
  });
});
