/**
 * The Docker engine, through the `testcontainers` package (loaded only when a run or a
 * test asks for containers: it pulls in dockerode and an SSH client).
 */
import { InfrastructureError } from '../../../core/errors.js';

type Testcontainers = typeof import('testcontainers');
type RuntimeClient = Awaited<ReturnType<Testcontainers['getContainerRuntimeClient']>>;

/**
 * testcontainers with its Ryuk reaper off unless the user chose otherwise: Ryuk runs from
 * an image it would pull, and a machine without a registry has none. Faultline reaps its
 * own containers instead (reap.ts): labelled, removed on stop, on Ctrl-C, on the next
 * start after a crash and by `faultline clean`.
 */
export async function loadTestcontainers(): Promise<Testcontainers> {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  return import('testcontainers');
}

/** The engine's client, or an InfrastructureError that says no engine answered. */
export async function dockerClient(): Promise<RuntimeClient> {
  const { getContainerRuntimeClient } = await loadTestcontainers();
  try {
    return await getContainerRuntimeClient();
  } catch (error) {
    throw new InfrastructureError(
      `no Docker engine answers (${(error as Error).message}); start Docker, or run ` +
        '`bash scripts/setup.sh --with-docker` (installs docker.io and starts dockerd as root)',
    );
  }
}

/** Why containers cannot run here, or undefined when an engine answers (tests skip with the reason). */
export async function dockerUnavailableReason(): Promise<string | undefined> {
  try {
    await dockerClient();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
