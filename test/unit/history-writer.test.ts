/**
 * The history writer's batching (appendInTick): lines of one tick share a write, keep the
 * order they were emitted in, and are in the file before anything else leaves the process.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { now } from '../../core/clock.js';
import type { NewEvent } from '../../core/history/events.js';
import { HistoryWriter, stampedLine } from '../../core/history/writer.js';
import { nodeArgsFor } from '../../harness/supervisor/node.js';
import { REPO_ROOT } from '../../harness/tools.js';

const runDone = (runId: string) => ({ type: 'run-done', cell: 'c', runId, status: 'completed' }) as const;
const runIds = (path: string): string[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { runId: string }).runId);

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-writer-'));
  path = join(dir, 'history.d', 'w.jsonl');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('HistoryWriter.appendInTick', () => {
  it('queues lines until the tick ends, then writes them in the order they were emitted', async () => {
    const writer = new HistoryWriter(path);
    writer.appendInTick(runDone('r1'));
    writer.appendInTick(runDone('r2'));
    // Still this tick: nothing written yet (this is what makes them one write).
    expect(readFileSync(path, 'utf8')).toBe('');
    await Promise.resolve();
    expect(runIds(path)).toEqual(['r1', 'r2']);
    writer.close();
  });

  it('writes queued lines ahead of a following append, in one write', () => {
    const writer = new HistoryWriter(path);
    writer.appendInTick(runDone('r1'));
    writer.appendInTick(runDone('r2'));
    writer.append(runDone('r3'));
    // Synchronously, before the tick's microtask: the append took the queued lines with it.
    expect(runIds(path)).toEqual(['r1', 'r2', 'r3']);
    writer.close();
  });

  it('has every queued line in the file after flush and after close', () => {
    const writer = new HistoryWriter(path);
    writer.appendInTick(runDone('r1'));
    writer.flush();
    expect(runIds(path)).toEqual(['r1']);
    writer.appendInTick(runDone('r2'));
    writer.close();
    expect(runIds(path)).toEqual(['r1', 'r2']);
    // The tick's microtask, queued before close, finds the writer closed and writes nothing twice.
    return Promise.resolve().then(() => expect(runIds(path)).toEqual(['r1', 'r2']));
  });

  it('stamps each line when it is emitted, not when it is written', async () => {
    const writer = new HistoryWriter(path);
    const before = now();
    writer.appendInTick(runDone('r1'));
    const between = now();
    writer.appendInTick(runDone('r2'));
    const after = now();
    // Written well after both were emitted: a stamp taken at the write would be later still.
    await sleep(20);
    const written = now();
    writer.flush();
    const [first, second] = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { t: number }).t) as [number, number];
    expect(first).toBeGreaterThanOrEqual(before);
    expect(first).toBeLessThanOrEqual(between);
    expect(second).toBeGreaterThanOrEqual(between);
    expect(second).toBeLessThanOrEqual(after);
    expect(second).toBeLessThan(written);
    writer.close();
  });

  it('refuses a line once closed', () => {
    const writer = new HistoryWriter(path);
    writer.close();
    expect(() => writer.appendInTick(runDone('r1'))).toThrow(/closed/);
  });
});

describe('HistoryWriter.appendAwaited', () => {
  it('holds lines past the microtasks of their turn, so later jobs of the turn share the write', async () => {
    const writer = new HistoryWriter(path);
    const first = writer.appendAwaited(runDone('r1'));
    // A job started by a later microtask of the same I/O turn (another delivery of one read).
    await Promise.resolve();
    const second = writer.appendAwaited(runDone('r2'));
    expect(second).toBe(first);
    expect(readFileSync(path, 'utf8')).toBe('');
    await first;
    expect(runIds(path)).toEqual(['r1', 'r2']);
    // The next turn's lines are a write of their own, awaited by a promise of their own.
    const third = writer.appendAwaited(runDone('r3'));
    expect(third).not.toBe(first);
    await third;
    expect(runIds(path)).toEqual(['r1', 'r2', 'r3']);
    writer.close();
  });

  it('keeps emission order with appendInTick and append lines around it', () => {
    const writer = new HistoryWriter(path);
    void writer.appendAwaited(runDone('r1'));
    writer.appendInTick(runDone('r2'));
    writer.append(runDone('r3'));
    expect(runIds(path)).toEqual(['r1', 'r2', 'r3']);
    writer.close();
  });

  it('resolves after close without writing a line twice', async () => {
    const writer = new HistoryWriter(path);
    const written = writer.appendAwaited(runDone('r1'));
    writer.close();
    await written;
    expect(runIds(path)).toEqual(['r1']);
  });
});

describe('HistoryWriter.appendInTick under SIGKILL (a real child process)', () => {
  const killedAfter = async (mode: 'after-append' | 'after-io' | 'after-awaited') => {
    const script = join(REPO_ROOT, 'test', 'fixtures', 'writer-killed.ts');
    const child = spawn(process.execPath, [...nodeArgsFor(script), path, mode], { stdio: 'inherit' });
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    return { code, signal };
  };

  it('a process killed right after an append has every earlier appendInTick line in the file', async () => {
    const { signal } = await killedAfter('after-append');
    expect(signal).toBe('SIGKILL');
    expect(runIds(path)).toEqual(['r1', 'r2', 'r3', 'r4']);
  });

  it('a process killed once appendAwaited resolved has those lines in the file', async () => {
    const { signal } = await killedAfter('after-awaited');
    expect(signal).toBe('SIGKILL');
    expect(runIds(path)).toEqual(['r1', 'r2', 'r3', 'r5', 'r6']);
  });

  it('a process killed after waiting for I/O has the lines of the tick before it', async () => {
    const { signal } = await killedAfter('after-io');
    expect(signal).toBe('SIGKILL');
    expect(runIds(path)).toEqual(['r1', 'r2', 'r3']);
  });
});

describe('stampedLine', () => {
  it('is the line of the event with its stamp added last, as a copy with `t` would be written', () => {
    const events: NewEvent[] = [
      runDone('r1'),
      {
        type: 'run-done',
        cell: 'a/b "quoted" \u2028',
        runId: 'r\n2',
        status: 'failed',
        output: { step: 's', reason: 'x' },
      },
      { type: 'submit', cell: 'c', runId: 'r3', intendedAt: 1.5, warmup: undefined } as unknown as NewEvent,
    ];
    for (const event of events)
      for (const t of [0, 1796339565801.123, 1e21, -0.5, Number.NaN]) {
        const copied = `${JSON.stringify({ ...event, t })}\n`;
        expect(stampedLine(event, t)).toBe(copied);
      }
  });
});
