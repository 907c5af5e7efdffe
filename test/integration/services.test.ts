/**
 * The local services provider on the real binaries. A missing binary fails this suite
 * with "run `npm run setup`" (CI runs setup first); it is never skipped silently.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addToxic, createLink, removeToxic, resetAll, setLinkEnabled } from '../../chaos/toxiproxy.js';
import { InfrastructureError } from '../../core/errors.js';
import type { HostPort, ServiceEndpoints } from '../../core/services.js';
import { managedProcesses } from '../../harness/processes.js';
import { serviceDefinition } from '../../harness/services/kinds/index.js';
import { redisCommand } from '../../harness/services/kinds/redis.js';
import { LocalServicesProvider } from '../../harness/services/local.js';
import { freePort, waitUntil } from '../../harness/services/ports.js';
import { REPO_ROOT } from '../../harness/tools.js';

const SERVICE_COMMANDS = ['redis-server', 'temporal', 'server'];
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-services-'));
  dirs.push(dir);
  return dir;
}

function redisClient(endpoint: HostPort): Redis {
  // No retries: a refused connection should fail the command, not be hidden.
  return new Redis({ ...endpoint, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
}

async function withRedis<T>(endpoint: HostPort, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = redisClient(endpoint);
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Names of this process's children that look like our services (ps, not our registry). */
function serviceChildren(parentPid: number): string[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'comm=', '--ppid', String(parentPid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there is no child at all
  }
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((comm) => SERVICE_COMMANDS.includes(comm));
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('tools', () => {
  it('finds all three binaries (else: run `npm run setup`)', () => {
    expect(serviceDefinition('temporal').binary()).toContain('.tools');
    expect(serviceDefinition('toxiproxy').binary()).toContain('.tools');
    expect(serviceDefinition('redis').binary()).toMatch(/redis-server$/);
  });

  it('names the setup command when a binary is missing', () => {
    const path = process.env.PATH;
    process.env.PATH = '';
    try {
      expect(() => serviceDefinition('redis').binary()).toThrow(/run `npm run setup`/);
      expect(() => serviceDefinition('redis').binary()).toThrow(InfrastructureError);
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('ports', () => {
  it('gives a free loopback port and names what did not answer', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    await expect(
      waitUntil(async () => false, { timeoutMs: 100, intervalMs: 20, what: 'nothing on purpose' }),
    ).rejects.toThrow(/nothing on purpose did not answer within 100 ms/);
  });
});

describe('LocalServicesProvider: all three services', () => {
  const provider = new LocalServicesProvider();
  let endpoints: ServiceEndpoints;

  beforeAll(async () => {
    endpoints = await provider.start(['redis', 'temporal', 'toxiproxy'], {
      dir: tempDir(),
      persistence: true,
    });
    console.log('start-up ms', provider.startupMs);
  });

  afterAll(() => provider.stop());

  it('answers on loopback: Redis PING, Toxiproxy /version, Temporal namespace', async () => {
    expect(endpoints.redis?.host).toBe('127.0.0.1');
    expect(await withRedis(endpoints.redis!, (r) => r.ping())).toBe('PONG');

    const toxi = endpoints.toxiproxy!;
    const version = await fetch(`http://${toxi.host}:${toxi.port}/version`);
    expect(version.ok).toBe(true);
    await version.text();

    const temporal = endpoints.temporal!;
    const connection = await Connection.connect({ address: `${temporal.host}:${temporal.port}` });
    try {
      const ns = await connection.workflowService.describeNamespace({
        namespace: temporal.options!.namespace!,
      });
      expect(ns.namespaceInfo?.name).toBe('default');
    } finally {
      await connection.close();
    }
  });

  it('routes Redis through a Toxiproxy link that can be cut, slowed and healed', async () => {
    const api = endpoints.toxiproxy!;
    const link = await createLink(api, 'redis', endpoints.redis!);
    expect(link.host).toBe('127.0.0.1');
    expect(await redisCommand(link, 'PING', 2000)).toBe('+PONG');

    // An open connection is dropped and new ones are refused while the link is down.
    const open = redisClient(link);
    await open.connect();
    await setLinkEnabled(api, 'redis', false);
    await expect(open.ping()).rejects.toThrow();
    open.disconnect();
    await expect(redisCommand(link, 'PING', 2000)).rejects.toThrow(/ECONNREFUSED/);

    await setLinkEnabled(api, 'redis', true);
    expect(await redisCommand(link, 'PING', 2000)).toBe('+PONG');

    const attributes = { latency: 300, jitter: 0 };
    await addToxic(api, 'redis', {
      type: 'latency',
      name: 'slow',
      stream: 'downstream',
      toxicity: 1,
      attributes,
    });
    const began = performance.now();
    expect(await redisCommand(link, 'PING', 5000)).toBe('+PONG');
    expect(performance.now() - began).toBeGreaterThanOrEqual(250);
    await removeToxic(api, 'redis', 'slow');

    await addToxic(api, 'redis', {
      type: 'latency',
      name: 'slow',
      stream: 'downstream',
      toxicity: 1,
      attributes,
    });
    await setLinkEnabled(api, 'redis', false);
    await resetAll(api); // heals both: enabled again, no toxic
    expect(await redisCommand(link, 'PING', 2000)).toBe('+PONG');
    // No toxic left: asked of Toxiproxy itself rather than timed, which a loaded machine would blur.
    const proxy = (await (await fetch(`http://${api.host}:${api.port}/proxies/redis`)).json()) as {
      enabled: boolean;
      toxics: unknown[];
    };
    expect(proxy).toMatchObject({ enabled: true, toxics: [] });
  });

  it('restarts each service on the same port', async () => {
    for (const name of ['redis', 'toxiproxy', 'temporal'] as const) {
      const before = managedProcesses().find((p) => p.name === name)!.pid;
      await provider.restart(name, { downMs: 100 });
      const after = managedProcesses().find((p) => p.name === name)!.pid;
      expect(after).not.toBe(before);
      expect(isAlive(before)).toBe(false);
    }
    expect(await withRedis(endpoints.redis!, (r) => r.ping())).toBe('PONG');
    console.log('restart start-up ms', provider.startupMs);
  });

  it('stop() leaves no process behind, and is safe twice', async () => {
    const pids = managedProcesses().map((p) => p.pid);
    expect(pids).toHaveLength(3);
    await provider.stop();
    await provider.stop();
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(serviceChildren(process.pid)).toEqual([]);
  });
});

describe('LocalServicesProvider: Redis persistence across a crash', () => {
  /*
   * SIGKILL is a process crash, not a power cut: Redis write()s the AOF before it replies
   * to the client, so an acknowledged SET is in the OS page cache and survives the kill
   * even before the once-a-second fsync. No wait is needed (an fsync only matters for a
   * machine crash, which we do not simulate).
   */
  it('keeps an acknowledged key with persistence on', async () => {
    const provider = new LocalServicesProvider();
    try {
      const { redis } = await provider.start(['redis'], { dir: tempDir(), persistence: true });
      await withRedis(redis!, (r) => r.set('faultline:key', 'kept'));
      await provider.restart('redis', { downMs: 200 });
      expect(await withRedis(redis!, (r) => r.get('faultline:key'))).toBe('kept');
    } finally {
      await provider.stop();
    }
  });

  it('loses it with persistence off', async () => {
    const provider = new LocalServicesProvider();
    try {
      const { redis } = await provider.start(['redis'], { dir: tempDir(), persistence: false });
      await withRedis(redis!, (r) => r.set('faultline:key', 'gone'));
      await provider.restart('redis', { downMs: 200 });
      expect(await withRedis(redis!, (r) => r.get('faultline:key'))).toBeNull();
    } finally {
      await provider.stop();
    }
  });
});

describe('cleanup when the harness is interrupted', () => {
  it('Ctrl-C (SIGINT) of a process that started services kills them all', async () => {
    const localUrl = pathToFileURL(join(REPO_ROOT, 'harness/services/local.ts')).href;
    const processesUrl = pathToFileURL(join(REPO_ROOT, 'harness/processes.ts')).href;
    const script = `
      const { LocalServicesProvider } = await import(${JSON.stringify(localUrl)});
      const { managedProcesses } = await import(${JSON.stringify(processesUrl)});
      await new LocalServicesProvider().start(['redis', 'temporal', 'toxiproxy'],
        { dir: ${JSON.stringify(tempDir())}, persistence: true });
      console.log('PIDS ' + JSON.stringify(managedProcesses().map((p) => p.pid)));
      setInterval(() => {}, 1000); // wait for the signal
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const pids = await new Promise<number[]>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /^PIDS (.*)$/m.exec(out);
          if (match) resolve(JSON.parse(match[1]!) as number[]);
        });
        void exited.then((code) => reject(new Error(`child exited early with code ${code}`)));
      });
      expect(pids).toHaveLength(3);
      for (const pid of pids) expect(isAlive(pid)).toBe(true);

      child.kill('SIGINT');
      expect(await exited).toBe(130);
      // The killed services are orphans for a moment until init reaps them.
      await waitUntil(async () => pids.every((pid) => !isAlive(pid)), {
        timeoutMs: 5000,
        what: 'the services of the interrupted process',
      });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
