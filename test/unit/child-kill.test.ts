import { describe, expect, it } from 'vitest';
import childKill, { choosePoolChild } from '../../chaos/kinds/child-kill.js';
import type { ChaosCell, PoolChild } from '../../chaos/ports.js';
import type { AdapterTopology, WorkerRoleDeclaration } from '../../core/topology.js';
import { stepsInFlightByPid } from '../../harness/supervisor/pool-children.js';

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

describe('child-kill', () => {
  const entry = childKill.entry.parse({ kind: 'child-kill' });

  it('is refused before anything starts for an adapter whose workers have no pool children', () => {
    expect(
      childKill.check?.(entry, { topology: topology('pooled', true), proxyWorkers: true }),
    ).toBeUndefined();
    expect(childKill.check?.(entry, { topology: topology('single', false), proxyWorkers: true })).toMatch(
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

  it('records the child it chose, and what it ran, before it kills it', async () => {
    const signals: string[] = [];
    const busy = { runId: 'r1', stepId: 'persist', attempt: 2 };
    const cell = {
      workers: {
        ids: () => ['a-w1', 'a-w2'],
        signal: () => [],
        poolChildren: (id: string): PoolChild[] =>
          id === 'a-w2'
            ? [
                { pid: 41, inFlight: null },
                { pid: 42, inFlight: busy },
              ]
            : [],
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
        target: 'w2',
        workers: [2],
        params: { signal: 'SIGKILL' },
      },
      cell,
    );
    expect(injector).toMatchObject({
      target: 'a-w2',
      killed: ['a-w2'],
      pids: [42],
      params: { children: [{ worker: 'a-w2', pid: 42, inFlight: busy }] },
    });
    expect(signals).toEqual([]);
    await injector.inject();
    expect(signals).toEqual(['a-w2 42 SIGKILL']);
  });
});

describe("a worker's steps in flight by pid, from its history", () => {
  const line = (event: Record<string, unknown>) => JSON.stringify({ cell: 'c', worker: 'w', t: 1, ...event });

  it('keeps the attempts no step-done of the same run, step and attempt followed', () => {
    const history = [
      line({ type: 'attempt', runId: 'r1', stepId: 'a', attempt: 1, pid: 11 }),
      line({ type: 'attempt', runId: 'r2', stepId: 'a', attempt: 1, pid: 12 }),
      line({ type: 'step-done', runId: 'r1', stepId: 'a', attempt: 1, outcome: 'ok' }),
      line({ type: 'attempt', runId: 'r1', stepId: 'b', attempt: 1, pid: 11 }),
      // A retry of r2's step elsewhere does not close pid 12's attempt 1.
      line({ type: 'step-done', runId: 'r2', stepId: 'a', attempt: 2, outcome: 'ok' }),
      line({ type: 'attempt', runId: 'r3', stepId: 'a', attempt: 1 }), // no pid: not a pool worker
      '{"type":"attempt","cut by a ki',
    ].join('\n');
    expect(stepsInFlightByPid(history)).toEqual(
      new Map([
        [12, { runId: 'r2', stepId: 'a', attempt: 1 }],
        [11, { runId: 'r1', stepId: 'b', attempt: 1 }],
      ]),
    );
  });
});
