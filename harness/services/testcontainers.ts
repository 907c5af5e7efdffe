/**
 * The testcontainers provider: each service as a Docker container, started through the
 * `testcontainers` package, published on a free 127.0.0.1 port (Toxiproxy on the host's
 * network: its links must reach the world on the host's loopback). A backend-restart fault
 * SIGKILLs the container and starts it again; its writable layer is the data kept.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StartedTestContainer } from 'testcontainers';
import { InputError } from '../../core/errors.js';
import type {
  RestartOptions,
  ServiceEndpoint,
  ServiceEndpoints,
  ServiceName,
  ServicesProvider,
  StartOptions,
} from '../../core/services.js';
import { onInterrupt } from '../processes.js';
import { dockerClient, loadTestcontainers } from './containers/engine.js';
import { CONTAINER_DATA_DIR, type ContainerImages, serviceImage } from './containers/images.js';
import { ownerLabels } from './containers/labels.js';
import { reapLeftoverContainers, removeContainersSync } from './containers/reap.js';
import { type ServiceDefinition, serviceDefinition } from './kinds/index.js';
import { freePort, waitUntil } from './ports.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 60_000;
/** SIGTERM, then SIGKILL this much later, as the local provider stops its processes. */
const STOP_GRACE_MS = 5_000;

interface Running {
  definition: ServiceDefinition;
  container: StartedTestContainer;
  endpoint: ServiceEndpoint;
  log: WriteStream;
}

export interface TestcontainersProviderOptions {
  /** Images built from the local binaries (nothing pulled), or the public ones. */
  images?: ContainerImages;
  /** Said once per start: which leftovers of crashed runs were removed. */
  log?: (line: string) => void;
}

export class TestcontainersServicesProvider implements ServicesProvider {
  readonly kind = 'testcontainers';
  readonly #running = new Map<ServiceName, Running>();
  readonly #images: ContainerImages;
  #options: StartOptions | undefined;

  constructor(private readonly providerOptions: TestcontainersProviderOptions = {}) {
    this.#images = providerOptions.images ?? 'local';
  }

  async start(which: readonly ServiceName[], options: StartOptions): Promise<ServiceEndpoints> {
    if (this.#options !== undefined) throw new InputError('this provider was already started');
    this.#options = options;
    mkdirSync(options.dir, { recursive: true });
    const definitions = which.map((name) => serviceDefinition(name));
    await dockerClient(); // no engine: one clear error before anything else
    const reaped = await reapLeftoverContainers();
    if (reaped.length > 0) {
      this.providerOptions.log?.(
        `removed ${reaped.length} container(s) left by crashed runs: ${reaped.map((r) => `${r.service} (${r.runDir})`).join(', ')}`,
      );
    }
    // Ctrl-C cannot wait for the engine's API: remove ours with the CLI, synchronously.
    onInterrupt(() => removeContainersSync([...this.#running.values()].map((r) => r.container.getId())));
    const results = await Promise.allSettled(definitions.map((d) => this.#startOne(d, options)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.stop();
      throw failed.reason;
    }
    return Object.fromEntries(definitions.map((d) => [d.name, this.#running.get(d.name)!.endpoint]));
  }

  canRestart(name: ServiceName): boolean {
    return this.#running.has(name);
  }

  /** SIGKILLs the container (a crash), waits `downMs`, starts the same container again. */
  async restart(name: ServiceName, options: RestartOptions = {}): Promise<void> {
    const running = this.#running.get(name);
    if (running === undefined) throw new InputError(`cannot restart ${name}: it was not started`);
    const container = (await dockerClient()).container.dockerode.getContainer(running.container.getId());
    running.log.write(`--- faultline: SIGKILL ${name} at ${new Date().toISOString()}\n`);
    await container.kill({ signal: 'SIGKILL' });
    await container.wait();
    if (options.downMs) await sleep(options.downMs);
    running.log.write(`--- faultline: restart ${name} at ${new Date().toISOString()}\n`);
    const since = Math.floor(Date.now() / 1000);
    await container.start();
    await this.#follow(running, since);
    await this.#waitAnswers(running.definition, running.endpoint);
  }

  async stop(): Promise<void> {
    const all = [...this.#running.values()];
    this.#running.clear();
    await Promise.allSettled(
      all.map(async ({ container, log }) => {
        try {
          await container.stop({ timeout: STOP_GRACE_MS, remove: true, removeVolumes: true });
        } finally {
          log.end();
        }
      }),
    );
  }

  async #startOne(definition: ServiceDefinition, options: StartOptions): Promise<void> {
    const { GenericContainer, Wait } = await loadTestcontainers();
    const spec = definition.container;
    const image = await serviceImage(definition, this.#images);
    // On the host's network it binds loopback itself; in its own it binds everything and
    // Docker publishes its port on 127.0.0.1 only.
    const hostPort = await freePort();
    const inside = spec.hostNetwork ? { port: hostPort, host: HOST } : { port: spec.port, host: '0.0.0.0' };
    const { args, env } = await definition.commandLine(inside.port, {
      dataDir: CONTAINER_DATA_DIR,
      persistence: options.persistence,
      host: inside.host,
    });
    let container = new GenericContainer(image.name)
      .withCommand([...image.command, ...args])
      .withEnvironment({ ...spec.env, ...stringValues(env ?? {}) })
      .withLabels(ownerLabels(definition.name, options.dir))
      .withWaitStrategy(Wait.forLogMessage(spec.readyLog))
      .withStartupTimeout(READY_TIMEOUT_MS);
    if (spec.hostNetwork) container = container.withNetworkMode('host');
    else container = publishOnLoopback(container, spec.port, hostPort);
    const logFile = join(options.dir, `${definition.name}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    log.write(
      `--- faultline: start ${definition.name} (${image.name}) on ${HOST}:${hostPort} at ${new Date().toISOString()}\n`,
    );
    let started: StartedTestContainer;
    try {
      started = await container.start();
    } catch (error) {
      log.end();
      throw error;
    }
    const endpoint: ServiceEndpoint = {
      host: HOST,
      port: hostPort,
      ...(definition.options ? { options: definition.options } : {}),
    };
    const running: Running = { definition, container: started, endpoint, log };
    this.#running.set(definition.name, running);
    await this.#follow(running, 0);
    await this.#waitAnswers(definition, endpoint);
  }

  /** Appends the container's output to its log file until it stops (a restart follows again). */
  async #follow(running: Running, since: number): Promise<void> {
    const stream = await running.container.logs(since > 0 ? { since } : {});
    stream.on('data', (line: Buffer | string) => running.log.write(line));
    stream.on('error', () => {});
  }

  /** Its log said ready; a real request says it answers (Temporal's namespace, Redis's PING). */
  async #waitAnswers(definition: ServiceDefinition, endpoint: ServiceEndpoint): Promise<void> {
    await waitUntil(() => definition.answers(endpoint), {
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: definition.probeIntervalMs,
      what: `${definition.name} container on ${endpoint.host}:${endpoint.port}`,
    });
  }
}

type Container = InstanceType<Awaited<ReturnType<typeof loadTestcontainers>>['GenericContainer']>;

/**
 * Publishes a port on 127.0.0.1 only, on a port we chose: testcontainers binds every
 * interface, and a random port that changed on each restart would strand the links.
 */
function publishOnLoopback(container: Container, containerPort: number, hostPort: number): Container {
  const withPort = container.withExposedPorts({ container: containerPort, host: hostPort });
  const hostConfig = (withPort as unknown as { hostConfig: { PortBindings: Record<string, unknown> } })
    .hostConfig;
  hostConfig.PortBindings[`${containerPort}/tcp`] = [{ HostIp: HOST, HostPort: String(hostPort) }];
  return withPort;
}

function stringValues(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
