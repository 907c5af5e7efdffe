import { describe, expect, it } from 'vitest';
import { loadAdapter } from '../../adapters/index.js';

/**
 * Temporal's three adapters differ only in their workers' language: the harness's side
 * (knobs and their defaults, recovery facts, driver) is one, so a comparison between them
 * is like for like, and the cross-language pipeline's workers are exactly the other two's.
 */
describe('the temporal family of adapters', async () => {
  const [temporal, python, polyglot] = await Promise.all(
    ['temporal', 'temporal-python', 'temporal-polyglot'].map((name) => loadAdapter(name)),
  );

  it('shares temporal’s knobs with their defaults, its recovery facts and its driver', () => {
    const defaults = temporal!.knobs.parse({});
    for (const adapter of [python!, polyglot!]) {
      expect(adapter.knobs.parse({}), adapter.name).toEqual(defaults);
      const short = adapter.knobs.parse({ startToCloseTimeout: 3000, retry: { initialInterval: 200 } });
      expect(adapter.recovery(short)).toEqual(temporal!.recovery(short));
      expect(adapter.createDriver).toBe(temporal!.createDriver);
      expect(adapter.services).toEqual(temporal!.services);
      expect(adapter.links).toEqual(temporal!.links);
    }
  });

  it('bounds a kill’s recovery by the activity timeout, the first retry and the sticky timeout in series', () => {
    // The retry's result schedules a workflow task on the dead worker's sticky queue, which
    // waits out its timeout only then: the three waits add up, and each is credited.
    const knobs = temporal!.knobs.parse({
      startToCloseTimeout: 3000,
      heartbeatTimeout: 1000,
      stickyQueueScheduleToStartTimeout: 700,
      retry: { initialInterval: 200 },
    });
    expect(temporal!.recovery(knobs)).toEqual({
      boundMs: 3000 + 200 + 700,
      governedBy: {
        startToCloseTimeout: 3000,
        heartbeatTimeout: 1000,
        'retry.initialInterval': 200,
        stickyQueueScheduleToStartTimeout: 700,
      },
    });
    // A heartbeat timeout longer than the start-to-close one is the activity's bound instead.
    const beating = temporal!.knobs.parse({ ...knobs, heartbeatTimeout: 4000 });
    expect(temporal!.recovery(beating).boundMs).toBe(4000 + 200 + 700);
  });

  it('declares one family in three languages', () => {
    expect([temporal, python, polyglot].map((a) => a!.lineage)).toEqual([
      { family: 'temporal', language: 'typescript' },
      { family: 'temporal', language: 'python' },
      { family: 'temporal', language: 'typescript workflows, python activities' },
    ]);
  });

  it('runs the cross-language pipeline’s workflows in temporal’s worker and its activities in temporal-python’s', () => {
    const [workflow, activity] = polyglot!.workers;
    expect(polyglot!.workers).toHaveLength(2);
    expect(workflow).toMatchObject({
      role: 'workflow',
      runsSteps: false,
      command: temporal!.workers[0]!.command,
    });
    expect(activity).toMatchObject({ role: 'activity', command: python!.workers[0]!.command });
    expect(activity).not.toHaveProperty('runsSteps');
    // The TypeScript workflow worker loads temporal's bundle; the Python workers need none.
    expect(polyglot!.prepare).toBe(temporal!.prepare);
    expect(python!.prepare).toBeUndefined();
  });
});
