/**
 * The external services provider against servers this test started itself and hands over
 * as a user would, by environment variable: a Redis that demands AUTH over TLS, a Temporal
 * dev server given an API key, and a Toxiproxy of its own through which the run's network
 * fault goes. The secrets must reach the servers and never a file: every file the run
 * wrote, and the servers' logs, are searched for them. A backend restart, which needs a
 * server the provider owns, is refused before anything starts.
 *
 * The same run is watched as a team would watch it: /metrics scraped while it runs (its
 * counters at the end equal results.json's), traces exported over OTLP to a receiver this
 * test runs (one trace per run, a span per attempt from Faultline and from the
 * orchestrator, the same spans as in the run folder).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { REDIS_CREDENTIALS, TEMPORAL_CREDENTIALS } from '../../core/credentials.js';
import type { ServiceEndpoints } from '../../core/services.js';
import { SPAN_ATTRIBUTES, SPAN_ROLES, TRACES_DIR } from '../../core/traces.js';
import { type ExperimentRun, runExperiment } from '../../harness/api.js';
import { type ManagedProcess, managedProcesses, spawnManaged, stopManaged } from '../../harness/processes.js';
import { serviceDefinition, serviceNames } from '../../harness/services/kinds/index.js';
import { redisCommand } from '../../harness/services/kinds/redis.js';
import { LocalServicesProvider } from '../../harness/services/local.js';
import { freePort, waitUntil } from '../../harness/services/ports.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { readRunHistory } from '../helpers/history.js';
import { metricByCell, otlpReceiver, scrapeWhileRunning } from '../helpers/observability.js';

const REDIS_PASSWORD = `redis-secret-${randomBytes(12).toString('hex')}`;
const TEMPORAL_API_KEY = `temporal-key-${randomBytes(12).toString('hex')}`;

const dir = mkdtempSync(join(tmpdir(), 'faultline-external-'));
const servers = new LocalServicesProvider();
let endpoints: ServiceEndpoints;
let redis: ManagedProcess;
let redisPort: number;
const savedEnv = { ...process.env };
const receiver = otlpReceiver();
const RUNS = 10;
const logged: string[] = [];
let run: ExperimentRun;
let scrapes: string[];

const history = () => readRunHistory(run.outDir);

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
  const otlpPort = await freePort();
  await new Promise<void>((resolve) => receiver.server.listen(otlpPort, '127.0.0.1', resolve));
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${otlpPort}`;
  const metricsPort = await freePort();
  const scraper = scrapeWhileRunning(metricsPort);
  scrapes = scraper.scrapes;
  try {
    // Through the programmatic API, which also writes every report (searched below).
    run = await runExperiment(
      {
        scenarios: ['rag-ingest'],
        // Recovery knobs as short as smoke.yaml's, so the partition costs seconds, not the 30 s defaults.
        adapters: [
          { name: 'bullmq', knobs: { lockDuration: 3000, stalledInterval: 1000 } },
          { name: 'temporal', knobs: { startToCloseTimeout: 3000, heartbeatTimeout: 1000 } },
        ],
        faults: ['network-partition'],
        services: 'external',
        load: { runs: RUNS, ratePerSec: 5, workers: 2, drainTimeoutMs: 30_000 },
        seed: 5,
      },
      { outDir: join(dir, 'run'), log: (line) => logged.push(line), metricsPort },
    );
  } finally {
    await scraper.stop();
  }
}, 300_000);

afterAll(async () => {
  process.env = savedEnv;
  await new Promise((resolve) => receiver.server.close(resolve));
  await servers.stop();
  if (redis) await stopManaged(redis);
  rmSync(dir, { recursive: true, force: true });
});

describe('external services provider', () => {
  it('ran BullMQ and Temporal on the servers it was given, with a network partition through their Toxiproxy', async () => {
    const { results } = run;
    expect(results.config.services).toBe('external');
    const events = history();
    for (const [adapter, link] of [
      ['bullmq', 'broker'],
      ['temporal', 'server'],
    ] as const) {
      const cell = results.cells.find((c) => c.adapter === adapter)!;
      const [fault] = cell.faults;
      expect(fault).toMatchObject({ kind: 'partition', target: link });
      expect(cell.runs.submitted).toBe(RUNS);
      const doneAfter = events.filter(
        (e) => e.cell === cell.id && e.type === 'run-done' && e.t > fault!.endMs,
      );
      expect(doneAfter.length).toBeGreaterThan(0);
    }
    // The links were made in the Toxiproxy it was given, and removed when the run ended.
    const toxiproxy = endpoints.toxiproxy!;
    const proxies = await (await fetch(`http://${toxiproxy.host}:${toxiproxy.port}/proxies`)).json();
    expect(proxies).toEqual({});
    // Nothing of the run is left running: only the servers this test started.
    expect(
      managedProcesses()
        .map((p) => p.name)
        .sort(),
    ).toEqual(['redis-tls', 'temporal', 'toxiproxy']);
  });

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
    const { outDir } = run;
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

describe('Prometheus /metrics during the run', () => {
  it('was scraped mid-run, and never went backwards', () => {
    const submitted = scrapes.map((text) => metricByCell(text, 'faultline_runs_submitted_total'));
    const midRun = submitted.some((byCell) => [...byCell.values()].some((v) => v > 0 && v < RUNS));
    expect(midRun).toBe(true);
    for (let i = 1; i < submitted.length; i++)
      for (const [cell, value] of submitted[i - 1]!)
        expect(submitted[i]!.get(cell) ?? value).toBeGreaterThanOrEqual(value);
  });

  it('ends with the counts of results.json', () => {
    // metrics.prom is the exposition as the run ended (the server stops with the run).
    const final = readFileSync(join(run.outDir, 'metrics.prom'), 'utf8');
    const last = scrapes.at(-1)!;
    for (const cell of run.results.cells) {
      const { runs } = cell;
      const expected: [string, number][] = [
        ['faultline_runs_submitted_total', runs.submitted],
        // run-done completed: complete runs and those that turned out to miss an effect.
        ['faultline_runs_completed_total', runs.completed + runs.lostBy.missingEffects],
        ['faultline_runs_lost', runs.lostBy.noOutcome],
        ['faultline_effects_applied_total', cell.effects.applied],
        ['faultline_effects_duplicate_total', cell.effects.duplicates],
        ['faultline_step_attempts_total', cell.attempts.total],
        ['faultline_faults_injected_total', cell.faults.length],
        ['faultline_run_latency_seconds_count', runs.completed + runs.failed + runs.lostBy.missingEffects],
      ];
      for (const [metric, value] of expected) {
        expect(metricByCell(final, metric).get(cell.id), `${metric} of ${cell.id}`).toBe(value);
        // What a scraper saw last is at most that.
        expect(metricByCell(last, metric).get(cell.id) ?? 0).toBeLessThanOrEqual(value);
      }
    }
  });
});

describe('OpenTelemetry over OTLP', () => {
  it('one trace per run, with a span per attempt from Faultline and from the orchestrator', () => {
    const spans = receiver.spans;
    const attemptsByRun = new Map<string, number>();
    for (const event of history())
      if (event.type === 'attempt') {
        const key = `${event.cell}|${event.runId}`;
        attemptsByRun.set(key, (attemptsByRun.get(key) ?? 0) + 1);
      }
    const roots = spans.filter((s) => s.attributes[SPAN_ATTRIBUTES.role] === SPAN_ROLES.run);
    expect(roots).toHaveLength(RUNS * run.results.cells.length);
    expect(new Set(roots.map((s) => s.traceId)).size).toBe(roots.length);
    for (const root of roots) {
      const key = `${root.attributes[SPAN_ATTRIBUTES.cell]}|${root.attributes[SPAN_ATTRIBUTES.runId]}`;
      const trace = spans.filter((s) => s.traceId === root.traceId);
      const attempts = trace.filter((s) => s.attributes[SPAN_ATTRIBUTES.role] === SPAN_ROLES.attempt);
      expect(attempts.length, key).toBe(attemptsByRun.get(key));
      // Every Faultline span of the trace belongs to this run: the run id is the correlation id.
      for (const span of trace)
        if (SPAN_ATTRIBUTES.runId in span.attributes)
          expect(span.attributes[SPAN_ATTRIBUTES.runId]).toBe(root.attributes[SPAN_ATTRIBUTES.runId]);
      // The orchestrator's own instrumentation: a job processed (BullMQ), an activity run (Temporal).
      const library = String(root.attributes[SPAN_ATTRIBUTES.cell]).includes('/bullmq/')
        ? trace.filter((s) => s.name.startsWith('process '))
        : trace.filter((s) => s.name === 'RunActivity:executeStep');
      expect(library.length, key).toBe(attemptsByRun.get(key));
    }
  });

  it('exports the same spans to OTLP and to the run folder, and every trace is complete', () => {
    const fileSpanIds = new Set<string>();
    for (const file of readdirSync(join(run.outDir, TRACES_DIR)))
      for (const line of readFileSync(join(run.outDir, TRACES_DIR, file), 'utf8')
        .trim()
        .split('\n'))
        fileSpanIds.add((JSON.parse(line) as { spanId: string }).spanId);
    const otlpIds = new Set(receiver.spans.map((s) => s.spanId));
    expect(fileSpanIds.size).toBeGreaterThan(0);
    expect([...fileSpanIds].filter((id) => !otlpIds.has(id))).toEqual([]);
    for (const cell of run.results.cells)
      expect(cell.traces).toEqual({
        runs: RUNS,
        completeRuns: RUNS,
        completeness: 1,
        splitRuns: 0,
        attemptSpans: {
          expected: cell.attempts.total,
          exported: cell.attempts.total,
          lostInFlight: 0,
          lostBuffered: 0,
        },
      });
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
