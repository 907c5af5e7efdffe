import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryWriter } from '../core/history/writer.js';
import { armFailpoints, type FailpointSpec } from '../scenarios/failpoints.js';
import type { FailpointName, StepCall } from '../scenarios/runtime.js';
import type { PlannedFault } from './schedule.js';

/**
 * Failpoints: a worker SIGKILLs itself at a named point of the step runtime ("died
 * right after charging the card"). Only the worker knows the exact moment, so it
 * appends the fault-start to its own history right before dying (one synchronous
 * write, which survives the SIGKILL). Plain files coordinate with the harness:
 * a marker per (failpoint, worker slot) makes `once` hold across restarts, and a
 * disarm file heals every failpoint of the cell before the drain.
 */
export interface ChaosFailpointSpec extends FailpointSpec {
  /** The planned fault (f1…); each firing gets its own faultId derived from it. */
  faultId?: string;
  /** Fire at most once per worker slot, restarts included. */
  once?: boolean;
  /** The cell's chaos folder: fired markers and the disarm file. */
  markerDir?: string;
  /** Armed only once this file exists (the nemesis writes it at the fault's `at`). */
  armedFile?: string;
}

const DISARMED = 'disarmed';
const idOf = (spec: ChaosFailpointSpec, index: number) => spec.faultId ?? `fp${index + 1}`;
const firedMarker = (dir: string, faultId: string, workerId: string) =>
  join(dir, `${faultId}.${workerId}.fired`);

/** Harness side: the specs every worker of the cell is started with. */
export function failpointSpecs(faults: readonly PlannedFault[], markerDir: string): ChaosFailpointSpec[] {
  const specs = faults.filter((f) => f.kind === 'failpoint');
  if (specs.length > 0) mkdirSync(markerDir, { recursive: true });
  return specs.map((f) => {
    const p = f.params as {
      point: FailpointName;
      step?: string;
      nth?: number;
      probability?: number;
      once?: boolean;
    };
    return {
      point: p.point,
      stepId: p.step,
      nth: p.nth ?? (p.probability === undefined ? 1 : undefined),
      probability: p.probability,
      faultId: f.id,
      once: p.once ?? true,
      markerDir,
      ...(f.atMs === null ? {} : { armedFile: join(markerDir, `${f.id}.armed`) }),
    };
  });
}

/** Harness side: arms a failpoint planned with an `at`, at that moment. */
export function armFailpointFile(spec: ChaosFailpointSpec): void {
  if (spec.armedFile) writeFileSync(spec.armedFile, '');
}

/** Harness side: armed from the start, or its `at` has come. */
export const isArmed = (spec: ChaosFailpointSpec) => !spec.armedFile || existsSync(spec.armedFile);

/** Harness side: heals every failpoint of the cell; workers check before crashing. */
export function disarmFailpoints(markerDir: string): void {
  if (existsSync(markerDir)) writeFileSync(join(markerDir, DISARMED), '');
}

/** Harness side: `once` failpoints some worker slot never reached before they were disarmed. */
export function unfiredFailpoints(
  specs: readonly ChaosFailpointSpec[],
  workerIds: readonly string[],
): string[] {
  return specs.flatMap((spec, index) => {
    if (!spec.once || !spec.markerDir) return [];
    const dir = spec.markerDir;
    const missing = workerIds.filter((id) => !existsSync(firedMarker(dir, idOf(spec, index), id)));
    return missing.length === 0
      ? []
      : [`${idOf(spec, index)} (${spec.point} ${spec.stepId}) in ${missing.join(', ')}`];
  });
}

export interface ArmContext {
  history: HistoryWriter;
  cell: string;
  workerId: string;
  /** How to die; tests replace it. */
  crash?: () => void;
}

/** Worker side: the step runtime's failpoint hook, recording each firing as a fault-start. */
export function armChaosFailpoints(specs: readonly ChaosFailpointSpec[], ctx: ArmContext) {
  const crash = ctx.crash ?? (() => process.kill(process.pid, 'SIGKILL'));
  let current: { point: FailpointName; call: StepCall } | null = null;
  const fire = (spec: ChaosFailpointSpec, index: number) => {
    const { markerDir } = spec;
    if (markerDir && existsSync(join(markerDir, DISARMED))) return;
    const planned = idOf(spec, index);
    if (markerDir && spec.once) writeFileSync(firedMarker(markerDir, planned, ctx.workerId), '');
    const call = current!.call;
    ctx.history.append({
      type: 'fault-start',
      cell: ctx.cell,
      faultId: `${planned}:${ctx.workerId}:${process.pid}`,
      fault: 'failpoint',
      target: ctx.workerId,
      params: {
        point: current!.point,
        step: call.stepId,
        runId: call.runId,
        attempt: call.attempt,
        ...(spec.nth === undefined ? {} : { nth: spec.nth }),
        ...(spec.probability === undefined ? {} : { probability: spec.probability }),
      },
    });
    crash();
  };
  // A spec this worker slot already fired (before a restart) stays quiet.
  const live = specs
    .map((spec, index) => ({ spec, index }))
    .filter(({ spec, index }) => {
      if (!spec.once || !spec.markerDir) return true;
      return !existsSync(firedMarker(spec.markerDir, idOf(spec, index), ctx.workerId));
    });
  // One hook per spec: harness armFailpoints keeps the nth / probability semantics.
  const hooks = live.map(({ spec, index }) => {
    const hook = armFailpoints([spec], () => {
      fire(spec, index);
      return true as const; // its default crash's type: process.kill returns true
    });
    const { armedFile } = spec;
    if (!armedFile) return hook;
    // Not counting before it is armed: nth counts from the fault's `at`.
    let armed = false;
    return (point: FailpointName, call: StepCall) => {
      if (!armed) {
        if (point !== spec.point || !existsSync(armedFile)) return;
        armed = true;
      }
      hook(point, call);
    };
  });
  return (point: FailpointName, call: StepCall): void => {
    current = { point, call };
    for (const hook of hooks) hook(point, call);
  };
}
