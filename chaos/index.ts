import { join } from 'node:path';
import { InputError, unknownName } from '../core/errors.js';
import type { HistoryWriter } from '../core/history/writer.js';
import type { FaultOccurrenceResult } from '../core/results.js';
import type { ServiceName } from '../core/services.js';
import type { Experiment } from '../harness/config/experiment.js';
import type { CellFaults } from '../harness/runner/cell.js';
import type { Environment } from '../harness/runner/environment.js';
import type { RunPlan } from '../scenarios/plan.js';
import { NAMED_FAULTS, SCHEDULE_FAULT } from './catalog.js';
import { Nemesis } from './nemesis.js';
import { namedEntries, type PlannedFault, parseSchedule, planFaults } from './schedule.js';
import type { FaultEntry } from './spec.js';
import { isNetworkFault, resolveLink } from './targets.js';

export { SCHEDULE_FAULT } from './catalog.js';
export type { PlannedFault } from './schedule.js';

/** The fault catalog as `faultline list` shows it: name → one-line description. */
export interface FaultDefinition {
  name: string;
  description: string;
}

export function faultCatalog(): FaultDefinition[] {
  return [
    ...NAMED_FAULTS.map(({ name, description }) => ({ name, description })),
    {
      name: SCHEDULE_FAULT,
      description: "the experiment file's own faultSchedule (at, duration, target, params)",
    },
  ];
}

export function faultNames(): string[] {
  return faultCatalog().map((f) => f.name);
}

export function checkFaultName(name: string): void {
  if (!faultNames().includes(name)) throw unknownName('fault', name, faultNames());
}

export const noFaults: CellFaults = {
  start() {},
  async healAll() {},
};

/** The entries a cell's fault stands for: a named fault, or the experiment's schedule. */
function entriesOf(fault: string, experiment: Experiment): FaultEntry[] {
  if (fault !== SCHEDULE_FAULT)
    return namedEntries(fault, { runs: experiment.load.runs, workers: experiment.load.workers });
  if (!experiment.faultSchedule)
    throw new InputError('fault "schedule" needs a faultSchedule in the experiment');
  return parseSchedule(experiment.faultSchedule);
}

/**
 * Pure: a cell's fault occurrences from the seed. The salt is the fault's name, not
 * the adapter's, so every adapter of the matrix meets the same schedule.
 */
export function planCellFaults(
  fault: string,
  experiment: Experiment,
  plan: RunPlan,
  windowMs: number,
): PlannedFault[] {
  return planFaults(entriesOf(fault, experiment), {
    seed: experiment.seed,
    windowMs,
    runs: experiment.load.runs,
    workers: experiment.load.workers,
    effectStep: plan.effectSteps[0]?.split('#')[0],
    salt: fault,
  });
}

/** Checks every fault against the experiment before anything starts (bad input costs no server start). */
export function checkFaults(
  experiment: Experiment,
  adapters: { name: string; services: readonly ServiceName[] }[],
) {
  for (const fault of experiment.faults) {
    checkFaultName(fault);
    for (const entry of entriesOf(fault, experiment)) {
      if (!isNetworkFault(entry.kind)) continue;
      if (!experiment.proxyWorkers)
        throw new InputError(`fault ${fault}: network faults need proxyWorkers (workers behind Toxiproxy)`);
      for (const adapter of adapters) {
        const link = resolveLink(entry.target, adapter.services);
        if (link !== 'world' && !hasLink(link, adapter))
          throw new InputError(`fault ${fault}: adapter ${adapter.name} has no "${link}" link`);
      }
    }
  }
}

const hasLink = (link: string, adapter: { services: readonly ServiceName[] }) =>
  (link === 'broker' && adapter.services.includes('redis')) ||
  (link === 'server' && adapter.services.includes('temporal'));

export interface CellFaultsContext {
  cell: string;
  fault: string;
  experiment: Experiment;
  plan: RunPlan;
  /** From the first to the last intended submit: where "30%" lands. */
  windowMs: number;
  /** The adapter's services. */
  services: readonly ServiceName[];
  env: Environment;
  history: HistoryWriter;
  runDir: string;
  log: (line: string) => void;
}

export function createCellFaults(ctx: CellFaultsContext): CellFaults & { planned: PlannedFault[] } {
  const planned = planCellFaults(ctx.fault, ctx.experiment, ctx.plan, ctx.windowMs);
  if (planned.length === 0) return { ...noFaults, planned };
  const nemesis = new Nemesis({
    cell: ctx.cell,
    faults: planned,
    env: ctx.env,
    history: ctx.history,
    services: ctx.services,
    markerDir: join(ctx.runDir, 'chaos', ctx.cell.replaceAll('/', '_')),
    log: ctx.log,
  });
  return Object.assign(nemesis, { planned });
}

/** A worker dies mid-step: what it held is recovered only by the adapter's own timeouts. */
const killsMidStep = (kind: string, params?: Record<string, unknown>) =>
  kind === 'failpoint' || (kind === 'kill' && (params?.signal ?? 'SIGKILL') === 'SIGKILL');

/** Durations in a recovery knob's description: "lockDuration=30000, stalledInterval=30000" → 60000. */
export function recoveryBoundMs(knob: string): number {
  let total = 0;
  for (const m of knob.matchAll(/=\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\b/g)) {
    const unit = m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1;
    total += Number(m[1]) * unit;
  }
  return total;
}

const DRAIN_MARGIN_MS = 15_000;

/**
 * The drain a cell needs: a worker killed mid-step leaves its work until the
 * adapter's recovery timeouts fire (BullMQ: lock expiry plus a stalled check), which
 * at production defaults can exceed the configured drain. Such cells get at least
 * the recovery bound plus a margin, so slow recovery is measured, not counted lost.
 */
export function drainTimeoutFor(
  planned: readonly PlannedFault[],
  recoveryKnob: string,
  configuredMs: number,
) {
  if (!planned.some((f) => killsMidStep(f.kind, f.params))) return configuredMs;
  return Math.max(configuredMs, recoveryBoundMs(recoveryKnob) + DRAIN_MARGIN_MS);
}

/** The knob that governed recovery from this occurrence, where the adapter's knob is the answer. */
export function governedBy(fault: FaultOccurrenceResult, recoveryKnob: string): string | undefined {
  return killsMidStep(fault.kind, fault.params) ? recoveryKnob : undefined;
}
