/**
 * Chaos's public face for the runner and the CLI: the fault catalog, the check of an
 * experiment's faults against each adapter before anything starts, and each cell's
 * planned faults with the nemesis that runs them.
 */
import { InputError, unknownName } from '../core/errors.js';
import type { AdapterTopology } from '../core/topology.js';
import type { Scenario } from '../scenarios/model.js';
import type { RunPlan } from '../scenarios/plan.js';
import { NAMED_FAULTS, SCHEDULE_FAULT } from './catalog.js';
import type { FaultEntry, PlannedFault, RecordedVersion, WorkerSettings } from './kind.js';
import { faultKind } from './registry.js';
import { namedEntries, parseSchedule, planFaults } from './schedule.js';

export { SCHEDULE_FAULT } from './catalog.js';
export { drainTimeoutFor, killsMidStep } from './drain.js';
export type { PlannedFault, RecordedVersion, WorkerSettings } from './kind.js';
export { type CellFaults, Nemesis } from './nemesis.js';
export type { ChaosCell } from './ports.js';
export { FaultScheduleSchema, faultKinds } from './registry.js';

/** What chaos reads of an experiment. */
export interface ChaosSettings {
  seed: number;
  /** Runs per cell. */
  runs: number;
  /** Worker processes per role. */
  workers: number;
  /** The experiment's own schedule (the cell fault "schedule"). */
  faultSchedule?: unknown;
  proxyWorkers: boolean;
  /** The services provider of the run (`local`, `testcontainers`, `external`), named in refusals. */
  servicesProvider: string;
  /** Whether that provider can restart a service (an external server belongs to someone else). */
  canRestart(service: string): boolean;
}

/** The fault catalog as `faultline list` shows it: name → one-line description. */
export function faultCatalog(): { name: string; description: string }[] {
  return [
    ...NAMED_FAULTS.map(({ name, description }) => ({ name, description })),
    {
      name: SCHEDULE_FAULT,
      description: "the experiment file's own faultSchedule (at, duration, target, params)",
    },
  ];
}

function faultNames(): string[] {
  return faultCatalog().map((f) => f.name);
}

function checkFaultName(name: string): void {
  if (!faultNames().includes(name)) throw unknownName('fault', name, faultNames());
}

/** The entries a cell's fault stands for: a named fault, or the experiment's schedule. */
function entriesOf(fault: string, settings: ChaosSettings): FaultEntry[] {
  if (fault !== SCHEDULE_FAULT)
    return namedEntries(fault, { runs: settings.runs, workers: settings.workers });
  if (!settings.faultSchedule)
    throw new InputError('fault "schedule" needs a faultSchedule in the experiment');
  return parseSchedule(settings.faultSchedule);
}

/**
 * Pure: a cell's fault occurrences from the seed. The salt is the fault's name, not the
 * adapter's, so every adapter of the matrix meets the same schedule.
 */
export function planCellFaults(
  fault: string,
  settings: ChaosSettings,
  plan: RunPlan,
  windowMs: number,
  scenario?: Scenario,
): PlannedFault[] {
  return planFaults(entriesOf(fault, settings), {
    seed: settings.seed,
    windowMs,
    runs: settings.runs,
    workers: settings.workers,
    effectStep: plan.effectSteps[0]?.split('#')[0],
    salt: fault,
    ...(scenario ? { scenario } : {}),
  });
}

/** Every version of the scenario a cell runs, when its faults change it (a deploy); undefined otherwise. */
export function scenarioVersionsFor(
  planned: readonly PlannedFault[],
  scenario: Scenario,
): RecordedVersion[] | undefined {
  for (const fault of planned) {
    const versions = faultKind(fault.kind).scenarioVersions?.(fault, scenario);
    if (versions) return versions;
  }
  return undefined;
}

/** What the workers of a cell need in their config from the start, for the cell's faults (a deploy: versions). */
export function workerSettingsFor(planned: readonly PlannedFault[], scenario: Scenario): WorkerSettings {
  return Object.assign({}, ...planned.map((f) => faultKind(f.kind).workerSettings?.(f, scenario) ?? {}));
}

/** Checks every fault against every adapter before anything starts: bad input costs no server start. */
export function checkFaults(
  faults: readonly string[],
  settings: ChaosSettings,
  topologies: readonly AdapterTopology[],
): void {
  for (const fault of faults) {
    checkFaultName(fault);
    for (const entry of entriesOf(fault, settings)) {
      const kind = faultKind(entry.kind);
      for (const topology of topologies) {
        const problem = kind.check?.(entry, {
          topology,
          proxyWorkers: settings.proxyWorkers,
          servicesProvider: settings.servicesProvider,
          canRestart: settings.canRestart,
        });
        if (problem) throw new InputError(`fault ${fault} (${entry.kind}): ${problem}`);
      }
    }
  }
}
