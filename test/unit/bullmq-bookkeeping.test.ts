import { describe, expect, it } from 'vitest';
import { fanInBookkeeping } from '../../adapters/bullmq/advance.js';
import { completedRun } from '../../adapters/bullmq/driver.js';
import { loadScenario, parseScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';

describe('BullMQ fan-in bookkeeping', () => {
  it('records only what a join waits on; one sink announces the run', () => {
    const { sinks, recorded } = fanInBookkeeping(planRun(loadScenario('rag-ingest')));
    expect(sinks).toEqual(['notify']);
    expect([...recorded].sort()).toEqual(['embed#0', 'embed#1', 'embed#2', 'embed#3']);
  });

  it('records every sink when a run has several', () => {
    const plan = planRun(
      parseScenario(
        {
          name: 'two-sinks',
          description: 'test',
          steps: [
            { id: 'a', kind: 'tool' },
            { id: 'b', kind: 'tool', dependsOn: ['a'] },
            { id: 'c', kind: 'tool', dependsOn: ['a'] },
          ],
        },
        'inline',
      ),
    );
    const { sinks, recorded } = fanInBookkeeping(plan);
    expect(sinks).toEqual(['b', 'c']);
    expect([...recorded].sort()).toEqual(['b', 'c']);
  });
});

describe('BullMQ driver: runs announced by their last job', () => {
  // Fields of events as BullMQ's scripts XADD them (moveToFinished, addStandardJob).
  it("reads the run from a completed event's return value, and nothing from other events", () => {
    expect(
      completedRun([
        'event',
        'completed',
        'jobId',
        'run-7.notify',
        'returnvalue',
        '{"completedRun":"run-7"}',
        'prev',
        'active',
      ]),
    ).toBe('run-7');
    // A step that completes no run: BullMQ stores its undefined value as null.
    expect(
      completedRun(['event', 'completed', 'jobId', 'run-7.chunk', 'returnvalue', 'null', 'prev', 'active']),
    ).toBeUndefined();
    expect(completedRun(['event', 'active', 'jobId', 'run-7.notify', 'prev', 'waiting'])).toBeUndefined();
    expect(
      completedRun(['event', 'failed', 'jobId', 'run-7.notify', 'failedReason', '{"completedRun":"x"}']),
    ).toBeUndefined();
  });
});
