/**
 * The Python step runtime (scenarios/python) against the TypeScript reference, on the real
 * world process: the same step calls (every step of every scenario, several runs, attempts
 * 1–3, with and without idempotent effects, a checkpointed step resuming) go through both
 * runtimes, each writing its own history; the attempt, timer-fired, effect, compensate and step-done
 * events must match one for one, and so must what each call returned.
 *
 * Each side has its own cell, so the world's idempotency keys (scoped per cell, as for
 * the cells of an experiment) never make one side's effect a duplicate of the other's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../core/history/events.js';
import { HistoryWriter } from '../../core/history/writer.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { WorldProcess } from '../../harness/world/process.js';
import { armFailpoints, type FailpointSpec } from '../../scenarios/failpoints.js';
import { loadScenario, scenarioNames } from '../../scenarios/index.js';
import type { Scenario } from '../../scenarios/model.js';
import { planRun, type RunPlan } from '../../scenarios/plan.js';
import {
  createStepRuntime,
  PermanentStepError,
  type StepCall,
  type StepRuntime,
  TransientStepError,
} from '../../scenarios/runtime.js';
import { WorldClient } from '../../scenarios/world-client.js';

const VENV_PYTHON = join(REPO_ROOT, '.tools', 'venv', 'bin', 'python');
const PYTHONPATH = join(REPO_ROOT, 'scenarios', 'python');
const RUN_IDS = ['run-1', 'run-2', 'run-ß🙂'];
const ATTEMPTS = [1, 2, 3];
/**
 * Where the attempts of a checkpointed step resume: past a checkpoint, just before the end,
 * and beyond it (clamped to the work: nothing left to do). Late, to keep the test fast.
 */
const RESUME_AT = [2300, 2800, 1e9];
/** Work durations of the two runtimes agree within this: libm and V8's fdlibm may differ in the last ulp. */
const REL_TOLERANCE = 1e-9;

interface Call {
  op: 'execute' | 'requestApproval' | 'completeApproval' | 'compensate' | 'fireTimer';
  runId: string;
  stepId: string;
  attempt: number;
  resumeFromMs?: number;
  approved?: boolean;
  intendedAt?: number;
  inputVersion?: number;
}

interface CallResult {
  ok: boolean;
  error?: string;
  items?: number;
  checkpoints: number[];
  heartbeats: number;
}

/** One run's calls, in order: every attempt of every step, then every compensation. */
function laneFor(plan: RunPlan, runId: string): Call[] {
  const calls: Call[] = [];
  for (const inst of plan.instances) {
    for (const attempt of ATTEMPTS) {
      const base = { runId, stepId: inst.id, attempt };
      if (inst.spec.kind === 'approval') {
        calls.push({ op: 'requestApproval', ...base });
        calls.push({ op: 'completeApproval', ...base, approved: attempt !== 2 });
      } else if (inst.spec.kind === 'timer') {
        calls.push({ op: 'fireTimer', ...base, intendedAt: 1_700_000_000_000.25 + attempt });
      } else if (inst.spec.checkpoint) {
        calls.push({ op: 'execute', ...base, resumeFromMs: RESUME_AT[attempt - 1]! });
      } else {
        // A resume point handed to a step without checkpoints must be ignored; an input
        // version older than the step's (there is none older than 1) fails the call.
        calls.push({
          op: 'execute',
          ...base,
          ...(attempt > 1 ? { resumeFromMs: 100 } : {}),
          ...(attempt === 3 ? { inputVersion: 1 } : {}),
        });
      }
    }
  }
  for (const inst of [...plan.instances].reverse()) {
    calls.push({ op: 'compensate', runId, stepId: inst.id, attempt: 1 });
  }
  return calls;
}

async function runCall(runtime: StepRuntime, call: Call): Promise<CallResult> {
  const checkpoints: number[] = [];
  let heartbeats = 0;
  const stepCall: StepCall = {
    runId: call.runId,
    stepId: call.stepId,
    attempt: call.attempt,
    heartbeat: () => {
      heartbeats++;
    },
    checkpoint: (ms) => {
      checkpoints.push(ms);
    },
    ...(call.resumeFromMs === undefined ? {} : { resumeFromMs: call.resumeFromMs }),
    ...(call.inputVersion === undefined ? {} : { inputVersion: call.inputVersion }),
  };
  let result: Omit<CallResult, 'checkpoints' | 'heartbeats'> = { ok: true };
  try {
    switch (call.op) {
      case 'execute': {
        const done = await runtime.execute(stepCall);
        if (done.items !== undefined) result = { ok: true, items: done.items };
        break;
      }
      case 'requestApproval':
        await runtime.requestApproval(stepCall);
        break;
      case 'completeApproval':
        runtime.completeApproval(stepCall, call.approved === true);
        break;
      case 'compensate':
        await runtime.compensate(call.runId, call.stepId);
        break;
      case 'fireTimer':
        await runtime.fireTimer(stepCall, call.intendedAt!);
        break;
    }
  } catch (error) {
    if (!(error instanceof TransientStepError || error instanceof PermanentStepError)) throw error;
    result = { ok: false, error: error.name };
  }
  return { ...result, checkpoints, heartbeats };
}

async function runLanesInTypeScript(runtime: StepRuntime, lanes: Call[][]): Promise<CallResult[][]> {
  return Promise.all(
    lanes.map(async (lane) => {
      const results: CallResult[] = [];
      for (const call of lane) results.push(await runCall(runtime, call));
      return results;
    }),
  );
}

let runDir: string;
let world: WorldProcess;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  if (!existsSync(VENV_PYTHON)) throw new Error(`${VENV_PYTHON} is missing: run \`npm run setup\``);
  runDir = mkdtempSync(join(tmpdir(), 'faultline-parity-'));
  mkdirSync(join(runDir, 'logs'));
  world = await WorldProcess.start(runDir);
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await world?.stop();
});

interface PythonSide {
  cell: string;
  workerId: string;
  scenario: Scenario;
  historyPath: string;
  idempotentEffects: boolean;
  failpoints?: FailpointSpec[];
}

/** Runs `python -m faultline_runtime.conformance` on the lanes, as a worker configured by the harness. */
async function runLanesInPython(
  side: PythonSide,
  lanes: Call[][],
  name: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const configPath = join(runDir, `${name}.config.json`);
  const callsPath = join(runDir, `${name}.calls.json`);
  writeFileSync(
    configPath,
    JSON.stringify({
      protocol: 1,
      workerId: side.workerId,
      role: 'worker',
      cell: side.cell,
      adapter: 'conformance',
      scenario: side.scenario,
      knobs: {},
      endpoints: { world: { host: '127.0.0.1', port: world.port } },
      historyPath: side.historyPath,
      idempotentEffects: side.idempotentEffects,
      prepared: null,
      failpoints: side.failpoints ?? [],
      runDir,
    }),
  );
  writeFileSync(callsPath, JSON.stringify({ lanes }));
  const child = spawn(VENV_PYTHON, ['-m', 'faultline_runtime.conformance', callsPath], {
    env: { ...process.env, PYTHONPATH, FAULTLINE_WORKER_CONFIG_FILE: configPath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  });
  children.delete(child);
  return { code, signal, stdout, stderr };
}

const readEvents = (path: string): HistoryEvent[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as HistoryEvent)
    : [];

type Fields = Record<string, unknown>;

/** Events of the given types, by run, in the order they were written; `t` and `drop` left out. */
function byRun(events: HistoryEvent[], types: string[], drop: string[]): Map<string, Fields[]> {
  const runs = new Map<string, Fields[]>();
  for (const event of events) {
    if (!types.includes(event.type)) continue;
    const fields: Fields = { ...event };
    for (const key of ['t', ...drop]) delete fields[key];
    const runId = String(fields.runId);
    runs.set(runId, [...(runs.get(runId) ?? []), fields]);
  }
  return runs;
}

function expectSameWorkerEvents(ts: Map<string, Fields[]>, py: Map<string, Fields[]>, label: string) {
  expect([...py.keys()].sort(), label).toEqual([...ts.keys()].sort());
  for (const [runId, tsEvents] of ts) {
    const pyEvents = py.get(runId)!;
    expect(pyEvents.length, `${label} ${runId}: number of events`).toBe(tsEvents.length);
    tsEvents.forEach((tsEvent, i) => {
      const pyEvent = pyEvents[i]!;
      const where = `${label} ${runId} event ${i} (${tsEvent.type} ${tsEvent.stepId} #${tsEvent.attempt})`;
      const { workMs: tsWork, ...tsRest } = tsEvent;
      const { workMs: pyWork, ...pyRest } = pyEvent;
      expect(pyRest, where).toEqual(tsRest);
      // Fields in the same order too: the two writers' lines differ only in their values of t and worker.
      expect(Object.keys(pyEvent), where).toEqual(Object.keys(tsEvent));
      if (tsWork === undefined) {
        expect(pyWork, where).toBeUndefined();
      } else {
        expect(typeof pyWork, where).toBe('number');
        const difference = Math.abs((pyWork as number) - (tsWork as number));
        expect(difference, `${where}: workMs ${pyWork} vs ${tsWork}`).toBeLessThanOrEqual(
          REL_TOLERANCE * Math.abs(tsWork as number),
        );
      }
    });
  }
}

describe('Python step runtime parity with the TypeScript reference', () => {
  it('writes the same attempt, timer-fired, effect, compensate and step-done events and returns the same results', async () => {
    const configs = scenarioNames().flatMap((name) =>
      [false, true].map((idempotentEffects) => {
        const scenario = loadScenario(name);
        const plan = planRun(scenario);
        const tag = `${name}-${idempotentEffects ? 'idempotent' : 'plain'}`;
        return { name, tag, scenario, plan, idempotentEffects, lanes: RUN_IDS.map((r) => laneFor(plan, r)) };
      }),
    );
    const began = performance.now();
    const outcomes = await Promise.all(
      configs.map(async (config) => {
        const tsHistory = new HistoryWriter(join(runDir, 'history.d', `ts-${config.tag}.jsonl`));
        const runtime = createStepRuntime({
          cell: `ts/${config.tag}`,
          workerId: 'ts-w1',
          plan: config.plan,
          world: new WorldClient({ host: '127.0.0.1', port: world.port }),
          history: tsHistory,
          idempotentEffects: config.idempotentEffects,
        });
        const pyHistoryPath = join(runDir, 'history.d', `py-${config.tag}.jsonl`);
        const [ts, py] = await Promise.all([
          runLanesInTypeScript(runtime, config.lanes),
          runLanesInPython(
            {
              cell: `py/${config.tag}`,
              workerId: 'py-w1',
              scenario: config.scenario,
              historyPath: pyHistoryPath,
              idempotentEffects: config.idempotentEffects,
            },
            config.lanes,
            `py-${config.tag}`,
          ),
        ]);
        tsHistory.close();
        return { config, ts, py, tsHistoryPath: tsHistory.path, pyHistoryPath };
      }),
    );
    const elapsedMs = performance.now() - began;
    const worldEvents = readEvents(join(runDir, 'history.d', 'world.jsonl'));

    const seen = {
      outcomes: new Set<unknown>(),
      deduplicated: new Set<unknown>(),
      compensations: 0,
      resumed: 0,
      timers: 0,
    };
    for (const { config, ts, py, tsHistoryPath, pyHistoryPath } of outcomes) {
      const label = config.tag;
      expect(py.code, `${label}: python exited with ${py.code}/${py.signal}\n${py.stderr}`).toBe(0);
      const pyResults = JSON.parse(py.stdout) as { lanes: CallResult[][] };
      expect(pyResults.lanes, `${label}: call results`).toEqual(ts);

      const tsWorker = readEvents(tsHistoryPath);
      const pyWorker = readEvents(pyHistoryPath);
      expect(pyWorker[0], `${label}: worker-start first`).toMatchObject({
        type: 'worker-start',
        cell: `py/${config.tag}`,
        worker: 'py-w1',
      });
      expect(new Set(tsWorker.map((e) => e.cell))).toEqual(new Set([`ts/${config.tag}`]));
      const types = ['attempt', 'timer-fired', 'step-done'];
      expectSameWorkerEvents(
        byRun(tsWorker, types, ['worker', 'cell']),
        byRun(pyWorker, types, ['worker', 'cell']),
        label,
      );

      const worldOf = (cell: string) =>
        byRun(
          worldEvents.filter((e) => e.cell === cell),
          ['effect', 'compensate'],
          ['cell'],
        );
      const tsWorld = worldOf(`ts/${config.tag}`);
      expect(worldOf(`py/${config.tag}`), `${label}: the world's effects and compensations`).toEqual(tsWorld);

      for (const event of tsWorker) if (event.type === 'step-done') seen.outcomes.add(event.outcome);
      for (const event of tsWorker)
        if (event.type === 'attempt' && (event.resumedFromMs ?? 0) > 0) seen.resumed++;
      for (const event of tsWorker) if (event.type === 'timer-fired') seen.timers++;
      for (const events of tsWorld.values()) {
        for (const event of events) {
          if (event.type === 'effect') seen.deduplicated.add(event.deduplicated);
          if (event.type === 'compensate') seen.compensations++;
        }
      }
    }
    // The calls exercised what they were meant to: every outcome, duplicates blocked and
    // not, compensations, resumed checkpointed attempts.
    expect(seen.outcomes).toEqual(new Set(['ok', 'transient-error', 'permanent-error']));
    expect(seen.deduplicated).toEqual(new Set([true, false]));
    expect(seen.compensations).toBeGreaterThan(0);
    expect(seen.resumed).toBeGreaterThan(0);
    expect(seen.timers).toBeGreaterThan(0);
    console.log(
      `parity: ${configs.length} configurations, both runtimes side by side in ${Math.round(elapsedMs)} ms`,
    );
  });

  it('crashes a Python worker at a failpoint with the fault-start the reference writes, once per worker slot', async () => {
    const scenario = loadScenario('rag-ingest');
    const markerDir = join(runDir, 'chaos');
    mkdirSync(markerDir, { recursive: true });
    const failpoints: FailpointSpec[] = [
      { point: 'after-effect', stepId: 'persist', nth: 2, faultId: 'f1', once: true, markerDir },
    ];
    const persist = (runId: string): Call => ({ op: 'execute', runId, stepId: 'persist', attempt: 1 });
    const side: PythonSide = {
      cell: 'py/failpoint',
      workerId: 'py-w1',
      scenario,
      historyPath: join(runDir, 'history.d', 'py-failpoint.jsonl'),
      idempotentEffects: true,
      failpoints,
    };

    const crashed = await runLanesInPython(
      side,
      [[persist('run-a'), persist('run-b'), persist('run-c')]],
      'fp-1',
    );
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    const afterCrash = readEvents(side.historyPath);
    expect(afterCrash.map((e) => [e.type, 'runId' in e ? e.runId : undefined])).toEqual([
      ['worker-start', undefined],
      ['attempt', 'run-a'],
      ['step-done', 'run-a'],
      ['attempt', 'run-b'],
      ['fault-start', undefined],
    ]);
    // The effect was applied before the crash: the world has it, the worker never said done.
    const effects = () =>
      readEvents(join(runDir, 'history.d', 'world.jsonl'))
        .filter((e) => e.cell === 'py/failpoint' && e.type === 'effect')
        .map((e) => (e.type === 'effect' ? e.runId : ''));
    expect(effects()).toEqual(['run-a', 'run-b']);
    expect(existsSync(join(markerDir, 'f1.py-w1.fired'))).toBe(true);

    // The reference's worker-side hook writes the same fault-start for the same spec and calls.
    const tsHistory = new HistoryWriter(join(runDir, 'history.d', 'ts-failpoint.jsonl'));
    const hook = armFailpoints([{ ...failpoints[0]!, markerDir: join(runDir, 'chaos-ts') }], {
      history: tsHistory,
      cell: 'py/failpoint',
      workerId: 'py-w1',
      crash: () => {},
    });
    mkdirSync(join(runDir, 'chaos-ts'));
    for (const runId of ['run-a', 'run-b']) hook('after-effect', { runId, stepId: 'persist', attempt: 1 });
    tsHistory.close();
    const withoutPid = (event: HistoryEvent | undefined) => {
      const { t: _t, ...rest } = event as Extract<HistoryEvent, { type: 'fault-start' }>;
      return { ...rest, faultId: rest.faultId.replace(/:\d+$/, ':<pid>') };
    };
    const pyStart = afterCrash.at(-1);
    expect(withoutPid(pyStart)).toEqual(withoutPid(readEvents(tsHistory.path)[0]));
    expect((pyStart as Extract<HistoryEvent, { type: 'fault-start' }>).faultId).toMatch(/^f1:py-w1:\d+$/);

    // Restarted in the same slot: the marker keeps the failpoint quiet.
    const restarted = await runLanesInPython(side, [[persist('run-c'), persist('run-d')]], 'fp-2');
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(readEvents(side.historyPath).filter((e) => e.type === 'fault-start')).toHaveLength(1);
    expect(effects()).toEqual(['run-a', 'run-b', 'run-c', 'run-d']);
  });
});
