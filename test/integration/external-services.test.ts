/**
 * The external services provider against servers this test started itself and hands over
 * as a user would, by environment variable: a Redis that demands AUTH over TLS, a Temporal
 * dev server given an API key, and a Toxiproxy of its own through which the run's network
 * fault goes. The secrets must reach the servers and never a file: every file the run
 * wrote, and the servers' logs, are searched for them. A backend restart, which needs a
 * server the provider owns, is refused before anything starts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { REDIS_CREDENTIALS, TEMPORAL_CREDENTIALS } from '../../core/credentials.js';
import type { HistoryEvent } from '../../core/history/events.js';
import type { Results } from '../../core/results.js';
import type { ServiceEndpoints } from '../../core/services.js';
import { runExperiment } from '../../harness/api.js';
import { type ManagedProcess, managedProcesses, spawnManaged, stopManaged } from '../../harness/processes.js';
import { serviceDefinition, serviceNames } from '../../harness/services/kinds/index.js';
import { redisCommand } from '../../harness/services/kinds/redis.js';
import { LocalServicesProvider } from '../../harness/services/local.js';
import { freePort, waitUntil } from '../../harness/services/ports.js';
import { REPO_ROOT } from '../../harness/tools.js';

const REDIS_PASSWORD = `redis-secret-${randomBytes(12).toString('hex')}`;
const TEMPORAL_API_KEY = `temporal-key-${randomBytes(12).toString('hex')}`;

const dir = mkdtempSync(join(tmpdir(), 'faultline-external-'));
const servers = new LocalServicesProvider();
let endpoints: ServiceEndpoints;
let redis: ManagedProcess;
let redisPort: number;
const savedEnv = { ...process.env };

/** Every regular file under `root`, recursively. */
function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((name) => join(root, name))
    .filter((path) => statSync(path).isFile());
}

beforeAll(async () => {
  // A self-signed certificate for 127.0.0.1, which the clients get as their CA.
  const cert = join(dir, 'redis.crt');
  const key = join(dir, 'redis.key');
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=faultline-test'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
    ],
    { stdio: 'ignore' },
  );
  redisPort = await freePort();
  // Redis with TLS only (no plain port) and a password; the password on its command line
  // is this test's doing (someone else's server), not Faultline's.
  redis = spawnManaged(
    'redis-tls',
    serviceDefinition('redis').binary(),
    [
      ...['--port', '0', '--tls-port', String(redisPort), '--bind', '127.0.0.1'],
      ...['--tls-cert-file', cert, '--tls-key-file', key, '--tls-auth-clients', 'no'],
      ...['--requirepass', REDIS_PASSWORD, '--dir', dir, '--save', '', '--appendonly', 'no'],
    ],
    { logFile: join(dir, 'redis.log') },
  );
  endpoints = await servers.start(['temporal', 'toxiproxy'], {
    dir: join(dir, 'servers'),
    persistence: false,
  });
  Object.assign(process.env, {
    FAULTLINE_REDIS_URL: `rediss://127.0.0.1:${redisPort}`,
    [REDIS_CREDENTIALS.password]: REDIS_PASSWORD,
    [REDIS_CREDENTIALS.caFile]: cert,
    FAULTLINE_TEMPORAL_ADDRESS: `127.0.0.1:${endpoints.temporal!.port}`,
    [TEMPORAL_CREDENTIALS.apiKey]: TEMPORAL_API_KEY,
    // The dev server speaks no TLS; a staging cluster would leave this unset.
    [TEMPORAL_CREDENTIALS.tls]: 'off',
    FAULTLINE_TOXIPROXY_URL: `http://127.0.0.1:${endpoints.toxiproxy!.port}`,
  });
  const tlsEndpoint = {
    host: '127.0.0.1',
    port: redisPort,
    options: { credentials: 'env', tls: 'on', tlsServerName: '127.0.0.1' },
  };
  await waitUntil(async () => (await redisCommand(tlsEndpoint, 'PING', 1000)) === '+PONG', {
    timeoutMs: 10_000,
    what: 'the TLS Redis',
  });
}, 120_000);

afterAll(async () => {
  process.env = savedEnv;
  await servers.stop();
  if (redis) await stopManaged(redis);
  rmSync(dir, { recursive: true, force: true });
});

describe('external services provider', () => {
  let results: Results;
  let outDir: string;
  const logged: string[] = [];

  it('runs BullMQ and Temporal on servers it was given, with a network partition through their Toxiproxy', async () => {
    // Through the programmatic API, which also writes every report (searched below).
    ({ results, outDir } = await runExperiment(
      {
        scenarios: ['rag-ingest'],
        adapters: [{ name: 'bullmq' }, { name: 'temporal' }],
        faults: ['network-partition'],
        services: 'external',
        load: { runs: 10, ratePerSec: 5, workers: 2, drainTimeoutMs: 30_000 },
        seed: 5,
      },
      { outDir: join(dir, 'run'), log: (line) => logged.push(line) },
    ));
    expect(results.config.services).toBe('external');
    const history = readFileSync(join(outDir, 'history.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as HistoryEvent);
    for (const [adapter, link] of [
      ['bullmq', 'broker'],
      ['temporal', 'server'],
    ] as const) {
      const cell = results.cells.find((c) => c.adapter === adapter)!;
      const [fault] = cell.faults;
      expect(fault).toMatchObject({ kind: 'partition', target: link });
      expect(cell.runs.submitted).toBe(10);
      const doneAfter = history.filter(
        (e) => e.cell === cell.id && e.type === 'run-done' && e.t > fault!.endMs,
      );
      expect(doneAfter.length).toBeGreaterThan(0);
    }
    // The links were made in the Toxiproxy it was given, and removed when the run ended.
    const toxiproxy = endpoints.toxiproxy!;
    const proxies = await (await fetch(`http://${toxiproxy.host}:${toxiproxy.port}/proxies`)).json();
    expect(proxies).toEqual({});
    expect(
      managedProcesses()
        .map((p) => p.name)
        .sort(),
    ).toEqual(['redis-tls', 'temporal', 'toxiproxy']);
  }, 180_000);

  it('the Redis it used demands TLS and the password: the run could only have worked with both', async () => {
    const plain = { host: '127.0.0.1', port: redisPort };
    await expect(redisCommand(plain, 'PING', 2000)).rejects.toThrow();
    const tlsOnly = {
      host: '127.0.0.1',
      port: redisPort,
      options: { tls: 'on', tlsServerName: '127.0.0.1' },
    };
    expect(await redisCommand(tlsOnly, 'PING', 2000)).toMatch(/^-NOAUTH/);
  });

  it('writes no secret anywhere: not in the run folder, its logs, history, traces or reports, nor in what it printed', () => {
    expect(outDir).toBeDefined();
    const files = [...filesUnder(outDir), ...filesUnder(join(dir, 'servers'))];
    // The folder holds what a run writes: config, results, history, worker configs and logs, traces.
    for (const expected of ['config.json', 'results.json', 'history.jsonl', 'report.md', 'report.html'])
      expect(files).toContain(join(outDir, expected));
    expect(files.some((f) => f.includes(`${join(outDir, 'workers')}`))).toBe(true);
    expect(files.some((f) => f.includes(`${join(outDir, 'traces')}`))).toBe(true);
    const texts = files.map((file) => [file, readFileSync(file, 'latin1')] as const);
    texts.push(["the run's log lines", logged.join('\n')]);
    for (const [file, text] of texts) {
      expect(text.includes(REDIS_PASSWORD), `${file} holds the Redis password`).toBe(false);
      expect(text.includes(TEMPORAL_API_KEY), `${file} holds the Temporal API key`).toBe(false);
    }
  });

  it('refuses a backend restart before anything starts: it cannot restart a server it does not own', () => {
    const result = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'bin/faultline.js'), 'run', '--scenario', 'rag-ingest', '--adapter', 'bullmq'].concat([
        '--fault',
        'backend-restart',
        '--services',
        'external',
        '--out',
        join(dir, 'refused'),
      ]),
      { cwd: REPO_ROOT, encoding: 'utf8', env: process.env },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/the external services provider cannot restart redis/);
    expect(result.stderr).not.toContain('starting services');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('docker-compose.yml', () => {
  const compose = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
  const services = (parseYaml(compose) as { services: Record<string, { image: string }> }).services;

  it('runs every service the providers know, from the public image the testcontainers provider names', () => {
    expect(Object.keys(services).sort()).toEqual(serviceNames());
    for (const name of serviceNames())
      expect(services[name]!.image).toBe(serviceDefinition(name).container.publicImage.name);
  });

  it('documents the variables the external provider reads: addresses and credentials', () => {
    const exported = [...compose.matchAll(/export (FAULTLINE_[A-Z_]+)=/g)].map((m) => m[1]);
    const mentioned = new Set(compose.match(/FAULTLINE_[A-Z_]+/g));
    for (const name of serviceNames()) {
      const { variable, secrets = [], optionVariables = {}, tlsVariable } = serviceDefinition(name).external;
      expect(exported).toContain(variable);
      for (const extra of [
        ...secrets,
        ...Object.values(optionVariables),
        ...(tlsVariable ? [tlsVariable] : []),
      ])
        expect(mentioned.has(extra), `${extra} is not documented in docker-compose.yml`).toBe(true);
    }
    // And nothing it does not read.
    const known = new Set(
      serviceNames().flatMap((n) => {
        const e = serviceDefinition(n).external;
        return [
          e.variable,
          ...(e.secrets ?? []),
          ...Object.values(e.optionVariables ?? {}),
          ...(e.tlsVariable ? [e.tlsVariable] : []),
        ];
      }),
    );
    expect([...mentioned].filter((v) => !known.has(v))).toEqual([]);
  });
});
