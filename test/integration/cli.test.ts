import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/faultline.js');
const faultline = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

/** Pids of the direct children of `pid`, as ps sees them. */
function childrenOf(pid: number): number[] {
  const out = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .map(Number)
    .filter((n) => n > 0);
}

/** Running, as opposed to gone or a zombie waiting for init to reap it. */
const isAlive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

async function eventually(check: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
}

describe('faultline CLI', () => {
  it('lists scenarios, adapters and faults', () => {
    const result = faultline(['list']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/scenarios:[\s\S]*rag-ingest/);
    expect(result.stdout).toMatch(/adapters:[\s\S]*bullmq/);
    expect(result.stdout).toMatch(/faults:[\s\S]*none/);
  });

  it.each([
    [
      ['run', '--scenario', 'no-such', '--adapter', 'bullmq'],
      /unknown scenario "no-such"; valid scenarios: .*rag-ingest/,
    ],
    [
      ['run', '--scenario', 'rag-ingest', '--adapter', 'kafka'],
      /unknown adapter "kafka"; valid adapters: .*bullmq/,
    ],
    [
      ['run', '--scenario', 'rag-ingest', '--adapter', 'bullmq', '--fault', 'meteor'],
      /unknown fault "meteor"; valid faults: .*none/,
    ],
    [
      ['run', '--scenario', 'rag-ingest', '--adapter', 'bullmq', '--runs', 'many'],
      /--runs: "many" is not a number/,
    ],
    [
      ['run', '--scenario', 'rag-ingest', '--adapter', 'bullmq', '--runs', '0'],
      /load\.runs: 0 is out of range; valid: an integer from 1 to 1000000/,
    ],
    [
      ['run', '--scenario', 'rag-ingest', '--adapter', 'bullmq', '--knob', 'bullmq.lockDuration=-5'],
      /lockDuration: -5 is out of range; valid: an integer from 1 to 86400000/,
    ],
    [['run', '--nope'], /Unknown option '--nope'/],
    [
      ['run', '--scenario', 'rag-ingest', '--adapter', 'celery', '--adapter', 'temporal'],
      /--adapter is given more than once; give it once \(a list is comma-separated: --adapter a,b\)/,
    ],
    [['frobnicate'], /unknown command "frobnicate"; valid commands/],
  ])('rejects bad input %j with exit 2, a clear message and no stack trace', (args, message) => {
    const result = faultline(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('Ctrl-C in the middle of a run leaves none of its processes running', async () => {
    const out = mkdtempSync(join(tmpdir(), 'faultline-sigint-'));
    const child = spawn(
      process.execPath,
      [BIN, 'run', '--scenario', 'rag-ingest', '--adapter', 'bullmq', '--runs', '2000', '--out', out],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // Wait until the cell is running: services, world and workers are all up then.
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stderr.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('cell rag-ingest/bullmq/none')) resolve();
      });
      child.once('exit', () => reject(new Error(`exited early:\n${seen}`)));
    });
    await new Promise((r) => setTimeout(r, 1500));
    const started = childrenOf(child.pid!);
    expect(started.length).toBeGreaterThanOrEqual(4); // toxiproxy, redis, world, 2 workers
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    await eventually(() => started.filter(isAlive).length === 0, 5000);
    expect(started.filter(isAlive)).toEqual([]);
  });

  it('prints its version', () => {
    expect(execFileSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' }).trim()).toMatch(
      /^\d+\.\d+\.\d+$/,
    );
  });
});
