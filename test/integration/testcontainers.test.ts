/**
 * The testcontainers provider for real: Redis, Temporal and Toxiproxy as Docker containers
 * (images built FROM scratch out of the binaries setup installed: nothing is pulled), a
 * backend restart that SIGKILLs and restarts a container under load, and the reaping of
 * containers a crashed harness left. Needs a Docker engine (`bash scripts/setup.sh
 * --with-docker` installs and starts one as root); without one the suite says why and
 * skips, unless FAULTLINE_REQUIRE_DOCKER=1 (CI), which makes that a failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/history/events.js';
import { managedProcesses } from '../../harness/processes.js';
import { dockerClient, dockerUnavailableReason } from '../../harness/services/containers/engine.js';
import { LABELS } from '../../harness/services/containers/labels.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { runForTest } from '../helpers/run.js';

const unavailable = await dockerUnavailableReason();
if (unavailable !== undefined) {
  if (process.env.FAULTLINE_REQUIRE_DOCKER === '1')
    throw new Error(`FAULTLINE_REQUIRE_DOCKER=1 but ${unavailable}`);
  console.warn(`testcontainers suite skipped: ${unavailable}`);
}

/** Faultline's containers owned by a process (this one by default), in any state. */
async function containersOf(pid: number = process.pid): Promise<string[]> {
  const { dockerode } = (await dockerClient()).container;
  const list = await dockerode.listContainers({
    all: true,
    filters: { label: [`${LABELS.managed}=true`, `${LABELS.pid}=${pid}`] },
  });
  return list.map((c) => c.Id);
}

const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n');

describe.skipIf(unavailable !== undefined)('testcontainers provider', () => {
  it('runs rag-ingest on BullMQ and Temporal against containers, through a backend restart of each', async () => {
    const runs = 15;
    const { results, outDir } = await runForTest({
      scenarios: ['rag-ingest'],
      // Recovery knobs as short as smoke.yaml's: a job or activity the restart orphaned is
      // taken up again within seconds, not after the libraries' 30 s defaults.
      adapters: [
        { name: 'bullmq', knobs: { lockDuration: 3000, stalledInterval: 1000 } },
        { name: 'temporal', knobs: { startToCloseTimeout: 3000, heartbeatTimeout: 1000 } },
      ],
      faults: ['backend-restart'],
      services: 'testcontainers',
      load: { runs, ratePerSec: 5, workers: 2, drainTimeoutMs: 30_000 },
      seed: 3,
    });
    expect(results.config.services).toBe('testcontainers');
    const history = lines(join(outDir, 'history.jsonl')).map((l) => JSON.parse(l) as HistoryEvent);
    for (const [adapter, service] of [
      ['bullmq', 'redis'],
      ['temporal', 'temporal'],
    ] as const) {
      const cell = results.cells.find((c) => c.adapter === adapter)!;
      // The fault hit the adapter's own backend, and ended once the container answered again.
      const [fault] = cell.faults;
      expect(fault).toMatchObject({ kind: 'backend-restart', target: service });
      expect(cell.runs.submitted).toBe(runs);
      expect(cell.runs.completed + cell.runs.failed + cell.runs.lost).toBe(runs);
      // The system came back: runs completed after the restarted container answered.
      const doneAfter = history.filter(
        (e) => e.cell === cell.id && e.type === 'run-done' && e.t > fault!.endMs,
      );
      expect(doneAfter.length).toBeGreaterThan(0);
      // The server really ran in a container, and was killed and started again: the log the
      // provider copied from the container holds the server's own start line twice.
      const log = readFileSync(join(outDir, 'services', `${service}.log`), 'utf8');
      expect(log).toMatch(new RegExp(`--- faultline: start ${service} \\(faultline-${service}:`));
      expect(log).toContain(`--- faultline: SIGKILL ${service}`);
      const ready = service === 'redis' ? /Ready to accept connections/g : /Temporal Server:/g;
      expect(log.match(ready)?.length).toBe(2);
    }
    // Stopped and removed: nothing of this run is left in the engine, no process either.
    expect(await containersOf()).toEqual([]);
    expect(managedProcesses()).toEqual([]);
  }, 240_000);

  it('containers a crashed harness left are reaped by `faultline clean`', async () => {
    // A harness process that starts Redis as a container and is then SIGKILLed.
    const script = [
      "import { TestcontainersServicesProvider } from './harness/services/testcontainers.ts';",
      "import { mkdtempSync } from 'node:fs';",
      "const dir = mkdtempSync('/tmp/faultline-crash-');",
      "await new TestcontainersServicesProvider().start(['redis'], { dir, persistence: false });",
      "console.log('up');",
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('up') && resolve());
      child.once('exit', (code) => reject(new Error(`the crashing harness exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const left = await containersOf(child.pid!);
    expect(left).toHaveLength(1);

    const clean = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/faultline.js'), 'clean'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(clean.status).toBe(0);
    expect(clean.stderr).toContain(`removed ${left[0]!.slice(0, 12)} (redis of /tmp/faultline-crash-`);
    expect(await containersOf(child.pid!)).toEqual([]);
  }, 120_000);
});
