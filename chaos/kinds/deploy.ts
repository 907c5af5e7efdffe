import { z } from 'zod';
import { InputError } from '../../core/errors.js';
import type { Scenario } from '../../scenarios/model.js';
import {
  changedScenario,
  DEPLOY_CHANGES,
  type DeployChange,
  versionChange,
} from '../../scenarios/versions.js';
import { At } from '../entry-fields.js';
import type { FaultKind, PlannedFault, RecordedVersion } from '../kind.js';
import { resolveAt } from '../timing.js';

/** The scenario version every cell's workers start with. */
const FIRST_VERSION = 1;

/**
 * Version drift: new worker code while runs are in flight. At its moment the workers are
 * replaced one by one, as a rolling deploy does (each stopped gracefully, its steps in
 * flight finished, started again with the new version, ready before the next), and the new
 * version is the scenario with one change (scenarios/versions.ts): a step added after,
 * removed, renamed, or given a new input. Workers of a cell with a deploy know their
 * version from the start, and every attempt records the version whose code ran it, so the
 * analysis tells what the runs in flight did (analysis/metrics/deploy.ts). What an
 * orchestrator offers against it (versioned jobs, `patched()`) is an adapter knob, `versioning`.
 */
const deploy: FaultKind = {
  kind: 'deploy',
  description:
    'a rolling deploy of a changed scenario (add-step, remove-step, rename-step, change-input): workers replaced one by one while runs are in flight',
  entry: z
    .object({
      kind: z.literal('deploy'),
      at: At,
      target: z.literal('workers').default('workers'),
      params: z
        .object({
          change: z.enum(DEPLOY_CHANGES),
          /** The step changed; default: the first step with an effect that another step precedes. */
          step: z
            .string()
            .regex(/^[a-z][a-z0-9-]*$/)
            .optional(),
        })
        .strict(),
    })
    .strict(),
  maxPerCell: 1,
  plan(entry, ctx, rng) {
    if (!ctx.scenario) throw new InputError('a deploy needs the cell’s scenario to change');
    const params = entry.params as { change: DeployChange; step?: string };
    const change = versionChange(ctx.scenario, params.change, params.step);
    return {
      atMs: resolveAt(entry.at, ctx.windowMs, rng),
      durationMs: null,
      target: 'workers',
      params: { ...change, fromVersion: FIRST_VERSION, version: FIRST_VERSION + 1 },
    };
  },
  // SIGTERM lets steps in flight finish: a deploy kills nothing mid-step.
  killsMidStep: () => false,
  workerSettings: (_fault, scenario) => ({
    scenarioVersion: FIRST_VERSION,
    scenarioVersions: [{ version: FIRST_VERSION, scenario }],
  }),
  scenarioVersions: (fault, scenario) => deployedVersions(scenario, fault),
  injector(fault, cell) {
    const { workers, scenario } = cell;
    if (!workers.redeploy || !scenario) throw new InputError('this cell cannot redeploy its workers');
    return {
      target: workers.ids().join(','),
      async inject() {
        await workers.redeploy!({
          scenarioVersion: Number(fault.params.version),
          scenarioVersions: deployedVersions(scenario, fault).map(({ version, scenario }) => ({
            version,
            scenario,
          })),
        });
      },
    };
  },
};

/** Every version up to the one a deploy brings: the first, and the changed one with its change. */
function deployedVersions(scenario: Scenario, fault: Pick<PlannedFault, 'params'>): RecordedVersion[] {
  const {
    change: name,
    step,
    newStep,
  } = fault.params as { change: DeployChange; step: string; newStep?: string };
  const change = { change: name, step, ...(newStep ? { newStep } : {}) };
  return [
    { version: FIRST_VERSION, scenario },
    { version: Number(fault.params.version), scenario: changedScenario(scenario, change), change },
  ];
}

export default deploy;
