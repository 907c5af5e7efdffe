import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.js';
import { loadScenario, parseScenario, scenarioNames } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';

const scenario = (steps: unknown[]) => ({ name: 'x', description: 'test', steps });
const errorOf = (data: unknown): string => {
  try {
    parseScenario(data, 'x.json');
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected the scenario to be rejected');
};

describe('scenario validation names the bad field', () => {
  it('rejects an unknown dependency and lists the steps', () => {
    const message = errorOf(
      scenario([
        { id: 'a', kind: 'tool' },
        { id: 'b', kind: 'tool', dependsOn: ['nope'] },
      ]),
    );
    expect(message).toContain('steps[1].dependsOn[0]: unknown step "nope"; steps are: a, b');
  });

  it('rejects a dependency cycle and shows it', () => {
    const message = errorOf(
      scenario([
        { id: 'a', kind: 'tool', dependsOn: ['c'] },
        { id: 'b', kind: 'tool', dependsOn: ['a'] },
        { id: 'c', kind: 'tool', dependsOn: ['b'] },
      ]),
    );
    expect(message).toMatch(/dependency cycle: a -> c -> b -> a/);
  });

  it('rejects a wrong type, a missing field and an unknown kind', () => {
    expect(errorOf(scenario([{ id: 'a', kind: 'tool', work: { dist: 'constant', ms: 'ten' } }]))).toContain(
      'steps[0].work.ms',
    );
    expect(errorOf({ name: 'x', steps: [{ id: 'a', kind: 'tool' }] })).toContain('description');
    expect(errorOf(scenario([{ id: 'a', kind: 'teleport' }]))).toContain('steps[0].kind');
  });

  it('rejects a forEach over a step that is not a fan-out', () => {
    const message = errorOf(
      scenario([
        { id: 'a', kind: 'tool' },
        { id: 'b', kind: 'tool', dependsOn: ['a'], forEach: 'a' },
      ]),
    );
    expect(message).toContain('steps[1].forEach: "a" is not a fan-out step');
  });

  it('loads every shipped scenario', () => {
    for (const name of scenarioNames()) expect(loadScenario(name).name).toBe(name);
  });
});

describe('run plan', () => {
  it('expands a fan-out into one instance per item, joined by the next step', () => {
    const plan = planRun(loadScenario('rag-ingest'));
    const fanOut = loadScenario('rag-ingest').steps.find((s) => s.kind === 'fan-out')!.fanOut!;
    const embeds = plan.instances.filter((i) => i.spec.id === 'embed').map((i) => i.id);
    expect(embeds).toEqual(Array.from({ length: fanOut }, (_, i) => `embed#${i}`));
    expect(plan.byId.get('llm-extract')!.dependsOn).toEqual(embeds);
    expect(plan.dependents.get('chunk')).toEqual(embeds);
    expect(plan.roots).toEqual(['ingest']);
    expect(plan.effectSteps).toEqual(['persist', 'notify']);
    expect(plan.canFail).toBe(false);
  });

  it('pairs per-item steps over the same fan-out item by item', () => {
    const plan = planRun(
      parseScenario(
        scenario([
          { id: 'split', kind: 'fan-out', fanOut: 2 },
          { id: 'clean', kind: 'compute', dependsOn: ['split'], forEach: 'split' },
          { id: 'embed', kind: 'llm', dependsOn: ['split', 'clean'], forEach: 'split' },
        ]),
        'inline',
      ),
    );
    expect(plan.byId.get('embed#1')!.dependsOn).toEqual(['split', 'clean#1']);
  });
});
