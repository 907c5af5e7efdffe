import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runsSteps } from '../core/topology.js';
import { DISARMED_FILE, type FailpointSpec, failpointId, firedMarker } from '../scenarios/failpoints.js';
import type { ChaosCell } from './ports.js';

/**
 * Failpoints, the harness's side: the files that arm them at their moment, disarm them
 * before the drain, and tell which workers never reached them. The worker's side (and the
 * file protocol every language follows) is scenarios/failpoints.ts.
 */

/** Arms a failpoint planned with an `at`, at that moment. */
export function armFailpointFile(spec: FailpointSpec): void {
  if (spec.armedFile) writeFileSync(spec.armedFile, '');
}

/** Armed from the start, or its `at` has come. */
export const isArmed = (spec: FailpointSpec) => !spec.armedFile || existsSync(spec.armedFile);

/** The cell's chaos folder, made before its workers start. */
export function prepareMarkerDir(markerDir: string): void {
  mkdirSync(markerDir, { recursive: true });
}

/** Heals every failpoint of the cell; workers check before crashing. */
export function disarmFailpoints(markerDir: string): void {
  if (existsSync(markerDir)) writeFileSync(join(markerDir, DISARMED_FILE), '');
}

/**
 * The workers that can reach a failpoint: those whose role runs steps (a workflow worker
 * whose activities run elsewhere never does, so it is not waited for nor reported unfired).
 */
export function stepWorkerIds(cell: Pick<ChaosCell, 'topology' | 'workers'>): readonly string[] {
  const roles = cell.topology.workers;
  if (roles.every(runsSteps)) return cell.workers.ids();
  return roles.filter(runsSteps).flatMap((role) => cell.workers.ids(role.role));
}

/** Per `once` failpoint, the workers that never reached it (none listed when all did). */
export function unfiredFailpoints(
  specs: readonly FailpointSpec[],
  workerIds: readonly string[],
): { faultId: string; spec: FailpointSpec; workers: string[] }[] {
  return specs.flatMap((spec, index) => {
    if (!spec.once || !spec.markerDir) return [];
    const dir = spec.markerDir;
    const faultId = failpointId(spec, index);
    const workers = workerIds.filter((id) => !existsSync(firedMarker(dir, faultId, id)));
    return workers.length === 0 ? [] : [{ faultId, spec, workers }];
  });
}
