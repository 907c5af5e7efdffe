import { InputError } from '../core/errors.js';
import { parseScenario } from './index.js';
import type { Scenario, StepSpec } from './model.js';

/**
 * Scenario versions: what a deploy changes in the pipeline (chaos/kinds/deploy.ts), as
 * data. Version 2 is version 1 with one change to one step, computed by a pure function
 * from the change's name and the step, so the harness, the workers and the analysis all
 * derive the same version 2 from what config.json and the history record.
 */
export const DEPLOY_CHANGES = ['add-step', 'remove-step', 'rename-step', 'change-input'] as const;
export type DeployChange = (typeof DEPLOY_CHANGES)[number];

/** The change a deploy makes: to which step, and the step it adds or renames it to. */
export interface VersionChange {
  change: DeployChange;
  /** The step changed (added after, removed, renamed, given a new input). */
  step: string;
  /** add-step: the step added; rename-step: the step's new name. */
  newStep?: string;
}

/** Kinds a deploy may change: steps the step runtime executes, one instance each. */
const CHANGEABLE: ReadonlySet<StepSpec['kind']> = new Set(['llm', 'tool', 'compute', 'persist']);

/**
 * The step a deploy changes when the schedule names none: the first step with an effect
 * that something precedes (a change there meets runs that already passed it and runs that
 * have not), else the first changeable step with a dependency.
 */
function defaultDeployStep(scenario: Scenario): string {
  const candidates = scenario.steps.filter(
    (s) => CHANGEABLE.has(s.kind) && s.forEach === undefined && s.dependsOn.length > 0,
  );
  const step = candidates.find((s) => s.effect !== undefined) ?? candidates[0];
  if (!step)
    throw new InputError(
      `scenario ${scenario.name} has no step a deploy can change (a ${[...CHANGEABLE].join(', ')} step after another, not per item)`,
    );
  return step.id;
}

/** The change, checked against the scenario; errors name the step and why. */
export function versionChange(scenario: Scenario, change: DeployChange, step?: string): VersionChange {
  const id = step ?? defaultDeployStep(scenario);
  const spec = scenario.steps.find((s) => s.id === id);
  if (!spec)
    throw new InputError(
      `deploy: scenario ${scenario.name} has no step "${id}"; steps: ${scenario.steps.map((s) => s.id).join(', ')}`,
    );
  if (!CHANGEABLE.has(spec.kind) || spec.forEach !== undefined)
    throw new InputError(
      `deploy: step "${id}" is a ${spec.forEach === undefined ? spec.kind : 'per-item'} step; a deploy changes a ${[...CHANGEABLE].join(', ')} step that runs once per run`,
    );
  if (change !== 'change-input' && spec.dependsOn.length === 0)
    throw new InputError(
      `deploy: step "${id}" is a first step: the client submits it, so ${change} would change the client, not the workers`,
    );
  const newStep = change === 'rename-step' ? `${id}-v2` : change === 'add-step' ? `${id}-audit` : undefined;
  if (newStep !== undefined && scenario.steps.some((s) => s.id === newStep))
    throw new InputError(`deploy: scenario ${scenario.name} already has a step "${newStep}"`);
  return { change, step: id, ...(newStep === undefined ? {} : { newStep }) };
}

/** Version 2 of a scenario: version 1 with the change applied (validated like any scenario). */
export function changedScenario(scenario: Scenario, { change, step, newStep }: VersionChange): Scenario {
  const rewire = (ids: string[], from: string, to: string[]) => [
    ...new Set(ids.flatMap((id) => (id === from ? to : [id]))),
  ];
  let steps: StepSpec[];
  switch (change) {
    case 'rename-step':
      steps = scenario.steps.map((s) => ({
        ...s,
        ...(s.id === step ? { id: newStep! } : {}),
        dependsOn: rewire(s.dependsOn, step, [newStep!]),
      }));
      break;
    case 'add-step': {
      const added: StepSpec = {
        id: newStep!,
        kind: 'compute',
        description: `added by a deploy after ${step}`,
        dependsOn: [step],
        work: { dist: 'constant', ms: 1 },
      };
      steps = scenario.steps.flatMap((s) => {
        const rewired = { ...s, dependsOn: rewire(s.dependsOn, step, [newStep!]) };
        return s.id === step ? [s, added] : [rewired];
      });
      break;
    }
    case 'remove-step': {
      const removed = scenario.steps.find((s) => s.id === step)!;
      steps = scenario.steps
        .filter((s) => s.id !== step)
        .map((s) => ({ ...s, dependsOn: rewire(s.dependsOn, step, removed.dependsOn) }));
      break;
    }
    case 'change-input':
      steps = scenario.steps.map((s) =>
        s.id === step ? { ...s, inputVersion: (s.inputVersion ?? 1) + 1 } : s,
      );
      break;
  }
  return parseScenario({ ...scenario, steps }, `${scenario.name} after ${change} of ${step}`);
}
