import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Results } from '../../core/results.js';
import { isRunning, type ProcessIdentity, processStart } from '../../harness/process-registry.js';

/**
 * No orphans, ever: whatever a run started dies with the CLI, however the CLI dies. A
 * SIGKILL gives the CLI no chance to clean up, so only the kernel (the parent-death
 * signal) or the process registry (the next start, `faultline clean`) can. Processes are
 * checked by pid and start time, never by name.
 */

const BIN = join(import.meta.dirname, '../../bin/faultline.js');
/** Runs long enough to be killed mid-run; a short drain so nothing waits long if it is not. */
const RUN = ['run', '--scenario', 'rag-ingest', '--adapter', 'bullmq', '--runs', '5000', '--rate', '50'];
/** toxiproxy, redis, the world and two workers. */
const PROCESSES_OF_A_RUN = 5;

/** Every process below `root` (children, their children…), with start times. */
function descendants(root: number): ProcessIdentity[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parentOf.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: ProcessIdentity[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of parentOf) {
      if (ppid !== parent) continue;
      const start = processStart(pid);
      if (start !== undefined) found.push({ pid, start });
      queue.push(pid);
    }
  }
  return found;
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(100);
  }
  return check();
}

let cli: ChildProcess | undefined;
let started: ProcessIdentity[] = [];
afterEach(() => {
  // Whatever a failed assertion left behind is not left to the next test.
  cli?.kill('SIGKILL');
  for (const p of started) if (isRunning(p)) process.kill(p.pid, 'SIGKILL');
  started = [];
});

/** Starts a run and waits until its services, world and workers are all up. */
async function startRun(
  env: NodeJS.ProcessEnv,
  outDir = join(mkdtempSync(join(tmpdir(), 'faultline-orphans-')), 'run'),
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, ...RUN, '--out', outDir], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  // Mid-run: every process up and runs submitted (the harness's history says so).
  const history = join(outDir, 'history.d', 'harness.jsonl');
  const submits = () =>
    existsSync(history) ? readFileSync(history, 'utf8').split('"type":"submit"').length - 1 : 0;
  const up = await until(
    () => descendants(child.pid!).length >= PROCESSES_OF_A_RUN && submits() >= 20,
    90_000,
  );
  if (!up) throw new Error(`the run did not start its processes and submit:\n${log}`);
  return child;
}

function registryEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    FAULTLINE_PROCESS_REGISTRY: mkdtempSync(join(tmpdir(), 'faultline-registry-')),
    ...extra,
  };
}

describe('no orphans', () => {
  it('SIGKILL of the CLI mid-run: within 10 s no process it started is left; report calls the cell interrupted', async () => {
    const env = registryEnv();
    const out = join(mkdtempSync(join(tmpdir(), 'faultline-orphans-')), 'run');
    cli = await startRun(env, out);
    started = descendants(cli.pid!);
    expect(started.length).toBeGreaterThanOrEqual(PROCESSES_OF_A_RUN);
    cli.kill('SIGKILL');
    await until(() => started.every((p) => !isRunning(p)), 10_000);
    expect(started.filter(isRunning)).toEqual([]);

    // The run folder it left: a cell-start with no cell-end, so interrupted (no signal recorded).
    const report = spawnSync(process.execPath, [BIN, 'report', out], { env, encoding: 'utf8' });
    expect(report.stderr).not.toMatch(/\n\s+at /);
    expect(report.status).toBe(0); // UNKNOWN, not FAIL
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(results.interrupted).toEqual({ signal: null, cells: ['rag-ingest/bullmq/none'] });
    const [cell] = results.cells;
    expect(cell!.verdict).toBe('unknown');
    expect(cell!.runs.lost).toBe(0);
    expect(cell!.runs.interrupted).toBe(cell!.runs.submitted - cell!.runs.completed - cell!.runs.failed);
    expect(report.stdout).toContain('UNKNOWN (interrupted)');
  });

  it('a run cut short by SIGTERM: the interrupt is in the history, the runs in flight are not lost', async () => {
    const env = registryEnv();
    const out = join(mkdtempSync(join(tmpdir(), 'faultline-orphans-')), 'run');
    cli = await startRun(env, out);
    started = descendants(cli.pid!);
    const exited = new Promise<number | null>((resolve) => cli!.once('exit', (code) => resolve(code)));
    cli.kill('SIGTERM');
    expect(await exited).toBe(143);
    const report = spawnSync(process.execPath, [BIN, 'report', out], { env, encoding: 'utf8' });
    expect(report.status).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(results.interrupted).toEqual({ signal: 'SIGTERM', cells: ['rag-ingest/bullmq/none'] });
    const [cell] = results.cells;
    expect(cell!.verdict).toBe('unknown');
    expect(cell!.runs.lost).toBe(0);
    expect(cell!.runs.interrupted).toBeGreaterThan(0); // 50 runs/s, each takes longer than 20 ms
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('stopped by SIGTERM');
    await until(() => started.every((p) => !isRunning(p)), 10_000);
    expect(started.filter(isRunning)).toEqual([]);
  });

  it('what escapes the parent-death signal is killed by `faultline clean` from the records', async () => {
    // Without the parent-death signal the servers outlive a SIGKILLed CLI (re-parented to init).
    const env = registryEnv({ FAULTLINE_NO_PDEATHSIG: '1' });
    const out = join(mkdtempSync(join(tmpdir(), 'faultline-orphans-')), 'run');
    cli = await startRun(env, out);
    started = descendants(cli.pid!);
    cli.kill('SIGKILL');
    await sleep(2000);
    // The world and the workers leave by themselves (IPC and stdin close); redis and toxiproxy are not told.
    expect(started.filter(isRunning).length).toBeGreaterThanOrEqual(2);
    // Both records name every process the run started, by pid and start time.
    const registry = env.FAULTLINE_PROCESS_REGISTRY!;
    for (const record of [join(registry, `${cli.pid}.jsonl`), join(out, 'processes.jsonl')]) {
      const lines = readFileSync(record, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as ProcessIdentity);
      for (const p of started)
        expect(lines).toContainEqual(expect.objectContaining({ pid: p.pid, start: p.start }));
    }

    const clean = spawnSync(process.execPath, [BIN, 'clean', out], { env, encoding: 'utf8' });
    expect(clean.status).toBe(0);
    const killed = [
      ...clean.stderr.matchAll(/killed (\S+) \(pid (\d+)\), left running by faultline pid (\d+)/g),
    ];
    expect(killed.map((m) => m[1]).sort()).toEqual(expect.arrayContaining(['redis', 'toxiproxy']));
    for (const [, , pid, owner] of killed) {
      expect(started.map((p) => p.pid)).toContain(Number(pid));
      expect(Number(owner)).toBe(cli.pid);
    }
    expect(clean.stdout).toContain(`processes: killed ${killed.length} left by dead faultline runs`);
    await until(() => started.every((p) => !isRunning(p)), 10_000);
    expect(started.filter(isRunning)).toEqual([]);

    // The machine-wide record of the dead CLI has nothing left to kill, and is dropped.
    const again = spawnSync(process.execPath, [BIN, 'clean'], { env, encoding: 'utf8' });
    expect(again.stdout).toMatch(/processes: none left running/);
    expect(readdirSync(registry)).toEqual([]);
  });
});
