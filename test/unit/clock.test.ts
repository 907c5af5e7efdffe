/**
 * The history's clock across processes: a child's `t` must fall between the parent's
 * reading before it asked and after it heard back. Before the shared anchor, a Python
 * worker's times ran ~3 ms ahead of the harness's, so an effect could precede its attempt.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { CLOCK_ANCHOR_ENV, now } from '../../core/clock.js';
import { PYTHON_RUNTIME_DIR } from '../../harness/supervisor/command.js';
import { nodeArgsFor } from '../../harness/supervisor/node.js';
import { pythonExecutable, REPO_ROOT } from '../../harness/tools.js';

/** Asks a child for its clock 20 times, each time bracketed by two parent readings. */
async function bracketed(program: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(program, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const samples: { before: number; child: number; after: number }[] = [];
  await lines.next(); // ready: the child's modules are loaded
  for (let i = 0; i < 20; i++) {
    const before = now();
    child.stdin.write('\n');
    const { value } = await lines.next();
    samples.push({ before, child: Number(value), after: now() });
  }
  child.stdin.end();
  await once(child, 'exit');
  return samples;
}

describe('the shared clock', () => {
  it('is set in the environment, so every process the harness starts inherits it', () => {
    now();
    expect(Number(process.env[CLOCK_ANCHOR_ENV])).toBeGreaterThan(0);
    // The anchor is wall-clock time minus uptime: now() reads within a second of Date.now().
    expect(Math.abs(now() - Date.now())).toBeLessThan(1000);
  });

  it('orders a Node child’s readings between the parent’s', async () => {
    const script = join(REPO_ROOT, 'test', 'fixtures', 'clock-echo.ts');
    const samples = await bracketed(process.execPath, nodeArgsFor(script), {});
    for (const s of samples) {
      expect(s.child).toBeGreaterThanOrEqual(s.before);
      expect(s.child).toBeLessThanOrEqual(s.after);
    }
  });

  it('orders a Python child’s readings between the parent’s', async () => {
    const code = [
      'import sys',
      'from faultline_runtime.history import now_ms',
      'print("ready", flush=True)',
      'for _ in sys.stdin:',
      '    print(repr(now_ms()), flush=True)',
    ].join('\n');
    const samples = await bracketed(pythonExecutable(), ['-c', code], { PYTHONPATH: PYTHON_RUNTIME_DIR });
    for (const s of samples) {
      expect(s.child).toBeGreaterThanOrEqual(s.before);
      expect(s.child).toBeLessThanOrEqual(s.after);
    }
  });
});
