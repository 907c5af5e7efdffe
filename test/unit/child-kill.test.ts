import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import childKill, { choosePoolChild } from '../../chaos/kinds/child-kill.js';
import type { ChaosCell, PoolChild } from '../../chaos/ports.js';
import type { AdapterTopology, WorkerRoleDeclaration } from '../../core/topology.js';
import { InFlightTracker } from '../../harness/supervisor/in-flight.js';

const role = (poolChildren: boolean): WorkerRoleDeclaration => ({
  role: 'worker',
  command: { runtime: 'exec', argv: ['true'] },
  killScope: 'group',
  poolChildren,
});

const topology = (name: string, poolChildren: boolean): AdapterTopology => ({
  name,
  services: ['redis'],
  links: [{ name: 'broker', fronts: 'redis' }],
  orchestrator: { link: 'broker', service: 'redis' },
  workers: [role(poolChildren)],
  recovery: { boundMs: 1000, governedBy: {} },
});

const context = (topo: AdapterTopology) => ({
  topology: topo,
  proxyWorkers: true,
  servicesProvider: 'local',
  canRestart: () => true,
});

describe('child-kill', () => {
  const entry = childKill.entry.parse({ kind: 'child-kill' });

  it('is refused before anything starts for an adapter whose workers have no pool children', () => {
    expect(childKill.check?.(entry, context(topology('pooled', true)))).toBeUndefined();
    expect(childKill.check?.(entry, context(topology('single', false)))).toMatch(
      /adapter single's workers have no pool children \(poolChildren: false\).*use the kill fault/,
    );
  });

  it('prefers a child with a step in flight, then the lowest pid', () => {
    const busy = { runId: 'r1', stepId: 'embed#0', attempt: 1 };
    const idle = (pid: number): PoolChild => ({ pid, inFlight: null });
    expect(choosePoolChild([idle(10), { pid: 30, inFlight: busy }, { pid: 20, inFlight: busy }])?.pid).toBe(
      20,
    );
    expect(choosePoolChild([idle(31), idle(12)])?.pid).toBe(12);
    expect(choosePoolChild([])).toBeUndefined();
  });

  it('waits for a child with a step in flight, records it, then kills it', async () => {
    const signals: string[] = [];
    const busy = { runId: 'r1', stepId: 'persist', attempt: 2 };
    let children: PoolChild[] = [{ pid: 41, inFlight: null }];
    const cell = {
      workers: {
        ids: () => ['a-w1', 'a-w2'],
        signal: () => [],
        inFlight: () =>
          new Map([
            ['a-w1', []],
            ['a-w2', children.flatMap((c) => (c.inFlight ? [c.inFlight] : []))],
          ]),
        poolChildren: (id: string): PoolChild[] => (id === 'a-w2' ? children : []),
        signalPoolChild: (id: string, pid: number, signal: NodeJS.Signals) => {
          signals.push(`${id} ${pid} ${signal}`);
          return true;
        },
      },
    } as unknown as ChaosCell;
    const injector = childKill.injector(
      {
        id: 'f1',
        kind: 'child-kill',
        atMs: 0,
        durationMs: null,
        target: 'worker',
        workers: [1],
        params: { signal: 'SIGKILL', busy: true },
      },
      cell,
    );
    const stop = new AbortController();
    const ready = injector.ready!(stop.signal);
    // Idle children: it keeps waiting; then one picks up a step.
    await new Promise((r) => setTimeout(r, 50));
    children = [
      { pid: 41, inFlight: null },
      { pid: 42, inFlight: busy },
    ];
    expect(await ready).toBe(true);
    expect(injector).toMatchObject({
      target: 'a-w2',
      killed: ['a-w2'],
      pids: [42],
      params: { pid: 42, inFlight: busy },
    });
    expect(signals).toEqual([]);
    await injector.inject();
    expect(signals).toEqual(['a-w2 42 SIGKILL']);
  });

  it('gives up, unfired, when no child was ever busy before the load ended', async () => {
    const cell = {
      workers: {
        ids: () => ['a-w1'],
        inFlight: () => new Map([['a-w1', 0]]),
        poolChildren: (): PoolChild[] => [{ pid: 7, inFlight: null }],
        signalPoolChild: () => true,
      },
    } as unknown as ChaosCell;
    const injector = childKill.injector(
      {
        id: 'f1',
        kind: 'child-kill',
        atMs: 0,
        durationMs: null,
        target: 'w1',
        workers: [1],
        params: { busy: true },
      },
      cell,
    );
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 30);
    expect(await injector.ready!(stop.signal)).toBe(false);
  });
});

describe("a worker's steps in flight, by the pid running each", () => {
  const line = (event: Record<string, unknown>) =>
    `${JSON.stringify({ cell: 'c', worker: 'w', t: 1, ...event })}\n`;

  it('keeps the attempts no step-done of the same run, step and attempt followed, read as the history grows', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'faultline-in-flight-')), 'worker.jsonl');
    const tracker = new InFlightTracker(path, (stepId) => stepId === 'approve');
    appendFileSync(path, line({ type: 'attempt', runId: 'r1', stepId: 'a', attempt: 1, pid: 11 }));
    appendFileSync(path, line({ type: 'attempt', runId: 'r2', stepId: 'a', attempt: 1, pid: 12 }));
    expect(tracker.byPid()).toEqual(
      new Map([
        [11, { runId: 'r1', stepId: 'a', attempt: 1 }],
        [12, { runId: 'r2', stepId: 'a', attempt: 1 }],
      ]),
    );
    appendFileSync(path, line({ type: 'step-done', runId: 'r1', stepId: 'a', attempt: 1, outcome: 'ok' }));
    appendFileSync(path, line({ type: 'attempt', runId: 'r1', stepId: 'b', attempt: 1, pid: 11 }));
    // A retry of r2's step elsewhere does not close pid 12's attempt 1.
    appendFileSync(path, line({ type: 'step-done', runId: 'r2', stepId: 'a', attempt: 2, outcome: 'ok' }));
    appendFileSync(path, line({ type: 'attempt', runId: 'r3', stepId: 'a', attempt: 1 })); // no pid
    appendFileSync(path, line({ type: 'attempt', runId: 'r4', stepId: 'approve', attempt: 1, pid: 13 })); // a human holds it
    appendFileSync(path, '{"type":"attempt","cut by a ki');
    expect(tracker.byPid()).toEqual(
      new Map([
        [12, { runId: 'r2', stepId: 'a', attempt: 1 }],
        [11, { runId: 'r1', stepId: 'b', attempt: 1 }],
      ]),
    );
    // In the order they began; the approval wait is not the worker's.
    expect(tracker.steps()).toEqual([
      { runId: 'r2', stepId: 'a', attempt: 1 },
      { runId: 'r1', stepId: 'b', attempt: 1 },
      { runId: 'r3', stepId: 'a', attempt: 1 },
    ]);
    // A restart clears what the dead incarnation held.
    appendFileSync(path, `\n${line({ type: 'worker-start', pid: 99 })}`);
    expect(tracker.byPid()).toEqual(new Map());
  });
});
