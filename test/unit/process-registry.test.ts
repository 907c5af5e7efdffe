import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRunning, processStart, reapOrphans } from '../../harness/process-registry.js';

/**
 * The registry's reaping: it kills what a dead faultline process recorded, identified by
 * pid and start time, and never a live owner's children or a process that merely got a
 * recorded pid again.
 */

let dir: string;
let previous: string | undefined;
const sleepers: number[] = [];
beforeEach(() => {
  previous = process.env.FAULTLINE_PROCESS_REGISTRY;
  dir = mkdtempSync(join(tmpdir(), 'faultline-registry-unit-'));
  process.env.FAULTLINE_PROCESS_REGISTRY = dir;
});
afterEach(() => {
  if (previous === undefined) delete process.env.FAULTLINE_PROCESS_REGISTRY;
  else process.env.FAULTLINE_PROCESS_REGISTRY = previous;
  for (const pid of sleepers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

function sleeper(): { pid: number; start: string } {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  child.unref();
  sleepers.push(child.pid!);
  return { pid: child.pid!, start: processStart(child.pid!)! };
}

/** A process that has exited: its pid and start time name nobody now. */
function deadOwner(): { pid: number; start: string } {
  const done = spawnSync('sh', ['-c', 'echo $$; cut -d" " -f22 /proc/$$/stat'], { encoding: 'utf8' });
  const [pid, start] = done.stdout.trim().split('\n');
  return { pid: Number(pid), start: start! };
}

function record(file: string, owner: { pid: number; start: string }, children: object[]): void {
  const lines = [{ owner, cwd: '/', argv: [] }, ...children].map((l) => JSON.stringify(l));
  writeFileSync(join(dir, file), `${lines.join('\n')}\n`);
}

async function gone(pid: number, start: string): Promise<boolean> {
  for (let i = 0; i < 50 && isRunning({ pid, start }); i++) await new Promise((r) => setTimeout(r, 20));
  return !isRunning({ pid, start });
}

describe('the process registry', () => {
  it('kills the children a dead faultline process recorded, and drops its record', async () => {
    const child = sleeper();
    const owner = deadOwner();
    record(`${owner.pid}.jsonl`, owner, [{ ...child, name: 'redis', group: false }]);
    const reaped = reapOrphans();
    expect(reaped).toEqual([{ ...child, name: 'redis', group: false, owner: owner.pid }]);
    expect(await gone(child.pid, child.start)).toBe(true);
    expect(existsSync(join(dir, `${owner.pid}.jsonl`))).toBe(false);
  });

  it('leaves a live owner, an exited child and a reused pid alone', async () => {
    const live = sleeper();
    record('live.jsonl', { pid: process.pid, start: processStart(process.pid)! }, [
      { ...live, name: 'toxiproxy', group: false },
    ]);
    const reused = sleeper();
    const exited = sleeper();
    const owner = deadOwner();
    record('dead.jsonl', owner, [
      { pid: reused.pid, start: `${reused.start}0`, name: 'not this one', group: false },
      { ...exited, name: 'worker', group: false },
      { exited: exited.pid },
    ]);
    expect(reapOrphans()).toEqual([]);
    expect(isRunning(live)).toBe(true);
    expect(isRunning(reused)).toBe(true);
    expect(isRunning(exited)).toBe(true);
    expect(existsSync(join(dir, 'live.jsonl'))).toBe(true);
    expect(existsSync(join(dir, 'dead.jsonl'))).toBe(false);
  });
});
