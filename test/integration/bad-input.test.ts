import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HistoryEvent } from '../../core/history/events.js';
import { plannedRunId } from '../../core/results.js';
import { main } from '../../harness/cli/main.js';
import { parseExperiment } from '../../harness/config/load-experiment.js';
import { managedProcesses } from '../../harness/processes.js';
import { recordedConfig, resolveExperiment } from '../../harness/runner/resolve.js';
import { HistoryBuilder } from '../unit/history-builder.js';

/**
 * The reproductions of issue #11, each as a user would type it: a clean one-line error and
 * exit 2 before anything starts (for report and compare: one line naming the file and
 * line), never a stack trace; or a correct verdict. The CLI's `main` runs in this process
 * (what bin/faultline.js calls: a stack trace there is `main` throwing); the one case
 * that once hung in a synchronous loop runs as a real process with a deadline.
 */

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/faultline.js');
const tmp = () => mkdtempSync(join(tmpdir(), 'faultline-bad-'));

let registry: string | undefined;
beforeAll(() => {
  // `run` reaps leftovers of dead faultline processes first: keep that to this test's own registry.
  registry = process.env.FAULTLINE_PROCESS_REGISTRY;
  process.env.FAULTLINE_PROCESS_REGISTRY = tmp();
});
afterAll(() => {
  if (registry === undefined) delete process.env.FAULTLINE_PROCESS_REGISTRY;
  else process.env.FAULTLINE_PROCESS_REGISTRY = registry;
});
afterEach(() => {
  vi.restoreAllMocks();
  expect(managedProcesses()).toEqual([]); // nothing was started
});

/** Runs the CLI's main in this process; a throw is what a user would see as a stack trace. */
async function cli(...argv: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const err: string[] = [];
  const out: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => err.push(a.join(' ')));
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => out.push(a.join(' ')));
  const code = await main(argv);
  vi.restoreAllMocks();
  return { code, stderr: err.join('\n'), stdout: out.join('\n') };
}

/** Exit 2 with exactly one line that matches. */
async function rejects(argv: string[], message: RegExp): Promise<void> {
  const { code, stderr } = await cli(...argv);
  expect(stderr).toMatch(message);
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(code).toBe(2);
}

const RUN = ['run', '--scenario', 'rag-ingest', '--adapter', 'bullmq'];

describe('issue #11: bad input is one line and exit 2, before anything starts', () => {
  it('1. --out /proc/x: no mkdir loop, no hang (a real process, SIGKILLed after 60 s if it hangs)', () => {
    const result = spawnSync(process.execPath, [BIN, ...RUN, '--runs', '5', '--out', '/proc/x'], {
      encoding: 'utf8',
      timeout: 60_000,
      killSignal: 'SIGKILL',
    });
    expect(result.signal).toBeNull();
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^faultline: --out \/proc\/x: cannot create \/proc\/x \(\w+\)\n$/);
  });

  it('2. --out naming an existing file, or /sys/x', async () => {
    const file = join(tmp(), 'a-file');
    writeFileSync(file, '');
    await rejects([...RUN, '--out', file], /--out .*a-file: .*a-file is a file, not a folder/);
    await rejects([...RUN, '--out', join(file, 'below')], /is a file, not a folder/);
    await rejects([...RUN, '--out', ''], /^faultline: --out: give a folder/);
    await rejects([...RUN, '--out', '/sys/x'], /^faultline: --out \/sys\/x: cannot create \/sys\/x \(\w+\)$/);
  });

  it('3. an empty experiment file, a YAML list, a scalar', async () => {
    const dir = tmp();
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    await rejects(
      ['run', write('empty.yaml', '')],
      /empty\.yaml is empty: an experiment is a mapping of fields/,
    );
    await rejects(
      ['run', write('list.yaml', '- a\n- b\n')],
      /list\.yaml holds a list: an experiment is a mapping/,
    );
    await rejects(
      ['run', write('scalar.yaml', '42\n')],
      /scalar\.yaml holds a number: an experiment is a mapping/,
    );
    await rejects(['run', dir], /is not a file/);
  });

  it('6. timer overflow: --drain-timeout 3000000000 and --rate 1e-9 say the valid range', async () => {
    await rejects(
      [...RUN, '--drain-timeout', '3000000000'],
      /load\.drainTimeoutMs: 3000000000 is out of range; valid: an integer from 1 to 86400000/,
    );
    await rejects(
      [...RUN, '--rate', '1e-9'],
      /load\.ratePerSec: 1e-9 is out of range; valid: a number from 0\.001 to 100000/,
    );
    await rejects(
      [...RUN, '--runs', '100000', '--rate', '0.01'],
      /take about \d+ h of arrivals; at most 24 h/,
    );
  });

  it('7. --runs 1e12', async () => {
    await rejects(
      [...RUN, '--runs', '1e12'],
      /load\.runs: 1000000000000 is out of range; valid: an integer from 1 to 1000000/,
    );
  });

  it('8. a scenario, adapter or fault listed twice, also under two spellings', async () => {
    await rejects(
      ['run', '--scenario', 'rag-ingest,rag-ingest', '--adapter', 'bullmq'],
      /scenarios\[1\]: scenario "rag-ingest" is listed twice/,
    );
    await rejects(
      ['run', '--scenario', 'rag-ingest', '--adapter', 'bullmq,bullmq'],
      /adapters\[1\]: adapter "bullmq" is listed twice/,
    );
    await rejects(
      [...RUN, '--fault', 'worker-kill,worker-kill'],
      /faults\[1\]: fault "worker-kill" is listed twice/,
    );
    await rejects(
      ['run', '--scenario', 'rag-ingest,scenarios/rag-ingest.json', '--adapter', 'bullmq'],
      /scenarios\[1\]: "rag-ingest" is the same as scenarios\[0\]/,
    );
    await rejects(
      ['run', '--scenario', 'rag-ingest', '--adapter', 'bullmq,adapters/bullmq/index.ts'],
      /adapters\[1\]: "bullmq" is the same as adapters\[0\]/,
    );
  });

  it('9. --warmup 10 --runs 5', async () => {
    await rejects(
      [...RUN, '--warmup', '10', '--runs', '5'],
      /load\.warmupRuns: 10 warm-up runs leave none of the 5 runs to measure/,
    );
  });

  it('10. a gate tag naming no adapter, scenario or fault of the experiment', async () => {
    await rejects(
      [...RUN, '--threshold', 'lost{adapter:nope} == 0'],
      /gate "lost\{adapter:nope\} == 0": adapter "nope" is not part of this experiment; its adapters: bullmq/,
    );
    await rejects(
      [...RUN, '--threshold', 'lost{fault:kill} == 0'],
      /fault "kill" is not part of this experiment; its faults: none/,
    );
  });

  it('11. faultline bench --runs 0, --concurrency 0, --repeat 0 and --warmup 16', async () => {
    await rejects(['bench', '--runs', '0'], /runs: 0 is out of range; valid: an integer from 2 to 1000000/);
    await rejects(
      ['bench', '--concurrency', '0', '--out', join(tmp(), 'b')],
      /concurrency: 0 is out of range/,
    );
    await rejects(['bench', '--repeat', '0', '--out', join(tmp(), 'c')], /repeat: 0 is out of range/);
    await rejects(
      ['bench', '--warmup', '16', '--out', join(tmp(), 'd')],
      /warmup: 16 is out of range; valid: an integer from 0 to 15/,
    );
  });

  it('15. messages: an unknown knob lists the valid knobs; a missing scenario file says so', async () => {
    await rejects(
      [...RUN, '--knob', 'bullmq.nope=1'],
      /adapters\[0\]\.knobs \(bullmq\): \(top level\): unknown knob "nope"; valid knobs: concurrency, lockDuration, .*resumeFromCheckpoint/,
    );
    await rejects(
      ['run', '--scenario', './nope.json', '--adapter', 'bullmq'],
      /^faultline: scenario file \.\/nope\.json does not exist$/,
    );
    await rejects(
      ['compare', 'x', 'y', '--tolerance=-1'],
      /--tolerance: -1 is out of range; valid: a number from 0 to 100/,
    );
  });
});

describe('a bug in faultline itself', () => {
  it('exits 4 with its stack, never 1 (which CI would read as a failed verdict)', async () => {
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => err.push(a.join(' ')));
    vi.spyOn(console, 'log').mockImplementation(() => {
      throw new Error('a bug');
    });
    const code = await main(['list']);
    vi.restoreAllMocks();
    expect(code).toBe(4);
    expect(err.join('\n')).toMatch(/^faultline: internal error \(a bug in faultline\): Error: a bug\n\s+at /);
  });
});

/** A run folder as `run` leaves it: config.json and a history, here of 3 clean rag-ingest runs on bullmq. */
async function runFolder(mutate?: (events: HistoryEvent[]) => HistoryEvent[]): Promise<string> {
  const dir = join(tmp(), 'run');
  mkdirSync(dir);
  const experiment = parseExperiment(
    { scenarios: ['rag-ingest'], adapters: [{ name: 'bullmq' }], load: { runs: 3, warmupRuns: 0 } },
    'test',
  );
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify(recordedConfig(await resolveExperiment(experiment))),
  );
  const h = new HistoryBuilder(undefined, 'rag-ingest/bullmq/none');
  for (let i = 0; i < 3; i++) h.run(plannedRunId(i, 3), { at: 1000 + i * 100 });
  const events = mutate ? mutate(h.events) : h.events;
  writeFileSync(join(dir, 'history.jsonl'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  return dir;
}

describe('issue #11: report and compare read broken files with one line naming the file and line', () => {
  it('a clean run folder reports PASS with exit 0; a torn last line (a killed writer) is tolerated', async () => {
    const dir = await runFolder();
    expect((await cli('report', dir)).code).toBe(0);
    appendFileSync(join(dir, 'history.jsonl'), '{"type":"attempt","cell":"rag-in');
    const { code, stdout } = await cli('report', dir);
    expect(code).toBe(0);
    expect(stdout).toMatch(/PASS/);
  });

  it.each([
    ['null', 'null', /history\.jsonl:3: not a history event \(null\)$/],
    ['42', '42', /history\.jsonl:3: not a history event \(42\)$/],
    ['garbage mid-file', 'garbage', /history\.jsonl:3: not JSON, and not the last line$/],
    [
      'an event without its run',
      '{"type":"submit","cell":"c","t":1,"intendedAt":1}',
      /history\.jsonl:3: submit event with a missing or bad "runId"$/,
    ],
    [
      'an unknown event type',
      '{"type":"sbumit","cell":"c","t":1}',
      /history\.jsonl:3: unknown event type "sbumit"$/,
    ],
  ])('4. a history.jsonl with a %s line', async (_, line, message) => {
    const dir = await runFolder();
    const path = join(dir, 'history.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    lines.splice(2, 0, line);
    writeFileSync(path, lines.join('\n'));
    await rejects(['report', dir], message);
  });

  it('4. a truncated config.json, a results.json that is not JSON', async () => {
    const dir = await runFolder();
    const config = readFileSync(join(dir, 'config.json'), 'utf8');
    writeFileSync(join(dir, 'config.json'), config.slice(0, config.length / 2));
    await rejects(['report', dir], /config\.json: not valid JSON \(/);
    const other = await runFolder();
    writeFileSync(join(other, 'results.json'), '{"createdAt": "2025-');
    expect((await cli('report', other)).code).toBe(0); // a broken results.json is rebuilt
  });

  it('5. compare with a results.json that is not one', async () => {
    const dir = await runFolder();
    expect((await cli('report', dir)).code).toBe(0);
    const results = join(dir, 'results.json');
    const bad = join(tmp(), 'b.json');
    writeFileSync(bad, '{"schemaVersion":2}');
    await rejects(['compare', results, bad], /b\.json: config: .* \(and 1 more\)$/);
    writeFileSync(bad, '{"schemaVersion":1,"config":{},"cells":[]}');
    await rejects(
      ['compare', results, bad],
      /b\.json: schemaVersion: schemaVersion 1; this faultline reads 2/,
    );
    await rejects(['compare', results, join(tmp(), 'missing.json')], /missing\.json not found/);
    expect((await cli('compare', results, results)).code).toBe(0);
  });

  it('14. report exits 1 on a FAIL verdict, as run does', async () => {
    // run-002 never finishes: lost.
    const dir = await runFolder((events) =>
      events.filter((e) => !(e.type === 'run-done' && e.runId === plannedRunId(1, 3))),
    );
    const { code, stdout } = await cli('report', dir);
    expect(stdout).toMatch(/FAIL/);
    expect(code).toBe(1);
  });
});
