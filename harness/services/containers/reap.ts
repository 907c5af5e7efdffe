import { execFileSync } from 'node:child_process';
import { dockerClient } from './engine.js';
import { isLeftover, LABELS, processIsAlive } from './labels.js';

export interface ReapedContainer {
  id: string;
  service: string;
  runDir: string;
}

/**
 * Removes Faultline's containers whose harness is gone (a crash, a SIGKILL): at the start
 * of every testcontainers run and in `faultline clean`. Containers of live runs stay.
 */
export async function reapLeftoverContainers(): Promise<ReapedContainer[]> {
  const client = await dockerClient();
  const { dockerode } = client.container;
  const all = await dockerode.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`] } });
  const reaped: ReapedContainer[] = [];
  for (const info of all) {
    if (!isLeftover(info.Labels ?? {}, processIsAlive)) continue;
    await dockerode
      .getContainer(info.Id)
      .remove({ force: true, v: true })
      .catch(() => {});
    reaped.push({
      id: info.Id.slice(0, 12),
      service: info.Labels?.[LABELS.service] ?? '?',
      runDir: info.Labels?.[LABELS.runDir] ?? '?',
    });
  }
  return reaped;
}

/**
 * Synchronous best effort for exit paths that cannot wait (Ctrl-C): `docker rm -f` with
 * the CLI when there is one. What it misses, the next start or `faultline clean` reaps.
 */
export function removeContainersSync(ids: readonly string[]): void {
  if (ids.length === 0) return;
  try {
    execFileSync('docker', ['rm', '--force', '--volumes', ...ids], { stdio: 'ignore', timeout: 15_000 });
  } catch {
    // No docker CLI, or the engine is gone: the labels let the next start reap them.
  }
}
