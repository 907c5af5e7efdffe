import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryWriter } from '../core/history/writer.js';
import { deriveSeed, seededRng } from '../core/random.js';
import type { FailpointName, StepCall } from './runtime.js';

/**
 * Failpoints, the worker's side (Jepsen-style): a worker SIGKILLs itself at a named point
 * of the step runtime ("died right after charging the card"). Only the worker knows the
 * exact moment, so it appends the fault-start to its own history right before dying (one
 * synchronous write, which survives the SIGKILL). Plain files coordinate with the harness,
 * so a worker in any language can honour them (adapters/README.md): a marker per
 * (failpoint, worker) makes `once` hold across restarts, an armed file starts the count at
 * the fault's moment, and a disarm file heals every failpoint of the cell before the drain.
 */
export interface FailpointSpec {
  point: FailpointName;
  /** Only for this step (instance id, or step id for all its instances); any step when absent. */
  stepId?: string;
  /** Crash at the Nth time the point is reached in this process, counted from when it is armed (1-based). */
  nth?: number;
  /** Or crash with this probability each time, drawn from the seed of (point, run, step, attempt). */
  probability?: number;
  /** The planned fault (f1…); each firing gets its own faultId derived from it. */
  faultId?: string;
  /** Fire at most once per worker, restarts included. */
  once?: boolean;
  /** The cell's chaos folder: fired markers and the disarm file. */
  markerDir?: string;
  /** Counted only once this file exists (the harness writes it at the fault's `at`). */
  armedFile?: string;
}

/** The disarm file in a cell's chaos folder: once it exists no failpoint fires. */
export const DISARMED_FILE = 'disarmed';

export const failpointId = (spec: FailpointSpec, index: number) => spec.faultId ?? `fp${index + 1}`;

/** The marker a worker writes when its `once` failpoint fires. */
export const firedMarker = (dir: string, faultId: string, workerId: string) =>
  join(dir, `${faultId}.${workerId}.fired`);

export interface ArmContext {
  history: HistoryWriter;
  cell: string;
  workerId: string;
  /** How to die; tests replace it. */
  crash?: () => void;
}

export type FailpointHook = (point: FailpointName, call: StepCall) => void;

/** The step runtime's failpoint hook for these specs, recording each firing as a fault-start. */
export function armFailpoints(specs: readonly FailpointSpec[], ctx: ArmContext): FailpointHook {
  const crash = ctx.crash ?? (() => process.kill(process.pid, 'SIGKILL'));
  // A spec this worker already fired (before a restart) stays quiet.
  const live = specs
    .map((spec, index) => ({ spec, id: failpointId(spec, index) }))
    .filter(
      ({ spec, id }) =>
        !(spec.once && spec.markerDir && existsSync(firedMarker(spec.markerDir, id, ctx.workerId))),
    );
  if (live.length === 0) return () => {};
  const hooks = live.map(({ spec, id }) => specHook(spec, () => fire(spec, id)));
  let current: { point: FailpointName; call: StepCall } | null = null;

  const fire = (spec: FailpointSpec, id: string) => {
    const { markerDir } = spec;
    if (markerDir && existsSync(join(markerDir, DISARMED_FILE))) return;
    if (markerDir && spec.once) writeFileSync(firedMarker(markerDir, id, ctx.workerId), '');
    const { point, call } = current!;
    ctx.history.append({
      type: 'fault-start',
      cell: ctx.cell,
      faultId: `${id}:${ctx.workerId}:${process.pid}`,
      fault: 'failpoint',
      target: ctx.workerId,
      params: {
        point,
        step: call.stepId,
        runId: call.runId,
        attempt: call.attempt,
        ...(spec.nth === undefined ? {} : { nth: spec.nth }),
        ...(spec.probability === undefined ? {} : { probability: spec.probability }),
      },
      killed: [ctx.workerId],
    });
    crash();
  };

  return (point, call) => {
    current = { point, call };
    for (const hook of hooks) hook(point, call);
  };
}

/** One spec's trigger: its point and step, from its armed moment, at the Nth time or with a probability. */
function specHook(spec: FailpointSpec, fire: () => void): FailpointHook {
  let armed = spec.armedFile === undefined;
  let hits = 0;
  return (point, call) => {
    if (point !== spec.point) return;
    if (spec.stepId && spec.stepId !== call.stepId && spec.stepId !== call.stepId.split('#')[0]) return;
    // Not counting before it is armed: nth counts from the fault's `at`.
    if (!armed) {
      if (!existsSync(spec.armedFile!)) return;
      armed = true;
    }
    hits++;
    if (spec.nth === hits || (spec.probability !== undefined && drawFor(point, call) < spec.probability))
      fire();
  };
}

/** Seeded per (point, run, step, attempt): the same seed crashes at the same places. */
function drawFor(point: FailpointName, call: StepCall): number {
  return seededRng(deriveSeed('failpoint', point, call.runId, call.stepId, call.attempt))();
}
