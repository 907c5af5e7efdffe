import type { HistoryEvent } from '../../core/history/events.js';
import type { DeployOutcome, DeployResults } from '../../core/results.js';
import type { RunPlan } from '../../scenarios/plan.js';
import type { VersionChange } from '../../scenarios/versions.js';
import { isSubmitted, type RunState, RunTable, Slot } from '../checker/runs.js';

/** One version of the cell's scenario as the analysis needs it. */
export interface PlanVersion {
  version: number;
  plan: RunPlan;
  /** After the first: the change that made it. */
  change?: VersionChange;
}

const OUTCOMES: readonly DeployOutcome[] = [
  'duplicate-effects',
  'stuck',
  'failed',
  'old-path',
  'new-path',
  'mixed',
];
export const MAX_EXAMPLES = 3;

export interface DeployFold {
  add(event: HistoryEvent): void;
  /** Undefined when no deploy happened in the cell. */
  result(runs: RunTable): DeployResults | undefined;
}

/**
 * What the runs in flight at a deploy did, from the history alone (DeployResults): the
 * deploy's start and end, each run's submit and outcome, the steps it finished and their
 * effects (the checker's run table, which knows every version's steps), the version of the
 * code that ran the changed step, and the version conflicts workers reported.
 */
export function createDeployFold(versions: readonly PlanVersion[]): DeployFold {
  const [first, second] = versions;
  const change = second?.change;
  const changedSteps = new Set([change?.step, change?.newStep].filter((s): s is string => s !== undefined));
  let startAt = Number.NaN;
  let endAt = Number.NaN;
  let faultId: string | undefined;
  /** `${runId}|${stepId}|${attempt}|${worker}` → the version whose code ran that attempt. */
  const attemptVersions = new Map<string, number>();
  /** Run → the version of the changed step's first ok attempt. */
  const okVersion = new Map<string, number>();
  const conflicts = new Set<string>();
  return {
    add(event) {
      switch (event.type) {
        case 'fault-start':
          if (event.fault === 'deploy' && faultId === undefined) {
            faultId = event.faultId;
            startAt = event.t;
          }
          return;
        case 'fault-end':
          if (event.faultId === faultId) endAt = event.t;
          return;
        case 'attempt':
          if (changedSteps.has(event.stepId) && event.version !== undefined)
            attemptVersions.set(key(event), event.version);
          return;
        case 'step-done':
          if (event.outcome === 'ok' && changedSteps.has(event.stepId) && !okVersion.has(event.runId)) {
            const version = attemptVersions.get(key(event));
            if (version !== undefined) okVersion.set(event.runId, version);
          }
          return;
        case 'version-conflict':
          conflicts.add(event.runId);
          return;
        default:
          return;
      }
    },
    result(runs) {
      if (faultId === undefined || !first || !second || !change) return undefined;
      const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<DeployOutcome, number>;
      const examples: Partial<Record<DeployOutcome, string[]>> = {};
      const until = Number.isNaN(endAt) ? startAt : endAt;
      let inFlight = 0;
      let versionConflicts = 0;
      for (const run of runs.runs.values()) {
        if (!isSubmitted(run) || run.submittedAt > until || run.doneAt < startAt) continue;
        inFlight++;
        if (conflicts.has(run.runId)) versionConflicts++;
        const outcome = outcomeOf(run, runs, first, second, change, okVersion.get(run.runId));
        outcomes[outcome]++;
        if (outcome === 'old-path' || outcome === 'new-path') continue;
        const list = examples[outcome] ?? [];
        if (list.length < MAX_EXAMPLES) examples[outcome] = [...list, run.runId];
      }
      return {
        change: { ...change },
        fromVersion: first.version,
        toVersion: second.version,
        durationMs: Number.isNaN(endAt) ? null : Math.round(endAt - startAt),
        inFlight,
        outcomes,
        versionConflicts,
        examples,
      };
    },
  };
}

const key = (e: { runId: string; stepId: string; attempt: number; worker: string }) =>
  `${e.runId}|${e.stepId}|${e.attempt}|${e.worker}`;

/** One run's outcome: the harm first, then no outcome, failure, and the path a completed run took. */
function outcomeOf(
  run: RunState,
  runs: RunTable,
  first: PlanVersion,
  second: PlanVersion,
  change: VersionChange,
  changedStepVersion: number | undefined,
): DeployOutcome {
  const applied = (stepId: string) => {
    const step = runs.indexOf(stepId);
    return step < 0 ? 0 : RunTable.read(run, step, Slot.applied);
  };
  const twice = runs.plan.instances.some((i) => applied(i.id) > 1);
  // A renamed step is the same step: its effect under both names is the effect twice.
  const underBothNames =
    change.newStep !== undefined &&
    change.change === 'rename-step' &&
    applied(change.step) > 0 &&
    applied(change.newStep) > 0;
  if (twice || underBothNames) return 'duplicate-effects';
  if (run.status === undefined) return 'stuck';
  if (run.status === 'failed') return 'failed';
  const done = new Set(
    runs.plan.instances
      .filter((_, step) => !Number.isNaN(RunTable.read(run, step, Slot.okAt)))
      .map((i) => i.id),
  );
  const follows = (v: PlanVersion) =>
    v.plan.instances.every((i) => done.has(i.id)) && [...done].every((id) => v.plan.byId.has(id));
  const old = follows(first);
  const fresh = follows(second);
  // The same steps in both (a changed input): the version of the code that ran the changed step tells.
  if (old && fresh)
    return changedStepVersion === first.version
      ? 'old-path'
      : changedStepVersion === second.version
        ? 'new-path'
        : 'mixed';
  return old ? 'old-path' : fresh ? 'new-path' : 'mixed';
}
