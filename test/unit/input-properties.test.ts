import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.js';
import {
  MAX_DURATION_MS,
  MAX_RATE_PER_SEC,
  MAX_RUNS,
  MAX_TIMER_MS,
  MAX_WORKERS,
  MIN_RATE_PER_SEC,
} from '../../core/limits.js';
import { parseFlags } from '../../harness/cli/args.js';
import { experimentFromArgs, RUN_FLAGS } from '../../harness/cli/run.js';
import { warmupRunsOf } from '../../harness/config/experiment.js';
import { parseExperiment } from '../../harness/config/load-experiment.js';
import { type ResolvedExperiment, resolveExperiment } from '../../harness/runner/resolve.js';

/**
 * The input layer as a whole, under random input: experiment objects and `faultline run`
 * argv never end in anything but an InputError (exit 2, one line per problem, no stack
 * trace) or an experiment every number of which the run can honour. This is the path
 * `faultline run` takes before it starts a process (prepareRun), so a value that passes
 * here is a value services would be started with.
 */

const SCENARIOS = [
  'rag-ingest',
  'preprocess-fanout',
  'approval-decision',
  'nope',
  'scenarios/rag-ingest.json',
  '',
];
const ADAPTERS = ['bullmq', 'temporal', 'kafka', 'adapters/bullmq/index.ts', './missing.ts', ''];
const FAULTS = ['none', 'worker-kill', 'kill-after-effect', 'backend-restart', 'schedule', 'meteor'];
const GATES = [
  'lost == 0',
  'latency.p99 < 2s',
  'lost{adapter:bullmq} == 0',
  'lost{adapter:nope} == 0',
  'bogus',
  '',
];

/** Numbers users type, and the ones that break timers, memory and ranges. */
const anyNumber = fc.oneof(
  fc.integer({ min: -5, max: 300 }),
  fc.constantFrom(
    0,
    1,
    2,
    1e-9,
    0.001,
    0.5,
    1e12,
    3e9,
    2 ** 31,
    2 ** 53,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ),
  fc.double(),
);
const anyValue = fc.oneof(
  anyNumber,
  fc.string({ maxLength: 6 }),
  fc.boolean(),
  fc.constant(null),
  fc.anything(),
);
const names = (pool: string[]) =>
  fc.oneof(fc.array(fc.constantFrom(...pool), { minLength: 0, maxLength: 3 }), anyValue);

const load = fc.record(
  {
    runs: fc.oneof(fc.integer({ min: 1, max: 300 }), anyNumber),
    ratePerSec: anyNumber,
    warmupRuns: anyNumber,
    workers: anyNumber,
    drainTimeoutMs: anyNumber,
    extra: anyValue,
  },
  { requiredKeys: [] },
);

const adapterEntry = fc.record(
  {
    name: fc.constantFrom(...ADAPTERS),
    knobs: fc.oneof(
      fc.record(
        { lockDuration: anyNumber, concurrency: anyNumber, startToCloseTimeout: anyNumber, nope: anyValue },
        { requiredKeys: [] },
      ),
      anyValue,
    ),
  },
  { requiredKeys: ['name'] },
);

const experimentObject = fc.oneof(
  fc.record(
    {
      seed: anyNumber,
      scenarios: names(SCENARIOS),
      adapters: fc.oneof(fc.array(adapterEntry, { maxLength: 3 }), anyValue),
      faults: names(FAULTS),
      faultSchedule: fc.oneof(
        fc.array(
          fc.record(
            {
              kind: fc.constantFrom('kill', 'latency', 'partition', 'model-errors', 'failpoint', 'nope'),
              at: fc.oneof(anyNumber, fc.constantFrom('30%', 'random', '900%', 'soon')),
              duration: anyNumber,
              target: fc.constantFrom('orchestrator', 'world', 'w1', 'workers', 'nowhere'),
            },
            { requiredKeys: ['kind'] },
          ),
          { maxLength: 3 },
        ),
        anyValue,
      ),
      load: fc.oneof(load, anyValue),
      thresholds: names(GATES),
      idempotent: anyValue,
      approver: fc.oneof(
        fc.record({ delayMs: anyNumber, rejectRate: anyNumber }, { requiredKeys: [] }),
        anyValue,
      ),
      workerRestartDelayMs: anyNumber,
      extra: anyValue,
    },
    { requiredKeys: [] },
  ),
  anyValue,
);

/** What `faultline run` could be given: flags, values, lists with repeats, unknown flags. */
const FLAG_NAMES = [...Object.keys(RUN_FLAGS), 'nope'].map((f) => `--${f}`);
const flagValue = fc.oneof(
  fc.constantFrom(...SCENARIOS, ...ADAPTERS, ...FAULTS, ...GATES),
  fc.constantFrom(
    '1e12',
    '3000000000',
    '1e-9',
    '-1',
    '0',
    'NaN',
    'Infinity',
    '0x10',
    '',
    ' ',
    '5',
    '20',
    'on',
    'off',
  ),
  fc.constantFrom('rag-ingest,rag-ingest', 'bullmq,temporal', 'bullmq,bullmq', 'none,worker-kill'),
  fc.constantFrom(
    'bullmq.lockDuration=5000',
    'bullmq.lockDuration=1e12',
    'bullmq.nope=1',
    'x=1',
    'temporal.retry={}',
  ),
  fc.string({ maxLength: 8 }),
);
const argv = fc
  .array(fc.tuple(fc.constantFrom(...FLAG_NAMES), flagValue), { maxLength: 8 })
  .map((pairs) => pairs.flat());

/** Every number a resolved experiment hands the run is one it can honour. */
function expectRunnable(resolved: ResolvedExperiment): void {
  const { load } = resolved.experiment;
  expect(Number.isInteger(load.runs) && load.runs >= 1 && load.runs <= MAX_RUNS).toBe(true);
  expect(load.ratePerSec >= MIN_RATE_PER_SEC && load.ratePerSec <= MAX_RATE_PER_SEC).toBe(true);
  expect(load.workers >= 1 && load.workers <= MAX_WORKERS).toBe(true);
  expect(load.drainTimeoutMs >= 1 && load.drainTimeoutMs <= MAX_DURATION_MS).toBe(true);
  expect(warmupRunsOf(load)).toBeLessThan(load.runs);
  for (const cell of resolved.cells) {
    expect(cell.arrivals).toHaveLength(load.runs);
    expect(cell.arrivals.at(-1)?.offsetMs ?? 0).toBeLessThanOrEqual(MAX_TIMER_MS);
  }
  expect(new Set(resolved.cells.map((c) => c.id)).size).toBe(resolved.cells.length);
  for (const cell of resolved.cells) {
    expect(cell.drainTimeoutMs).toBeLessThanOrEqual(MAX_TIMER_MS);
    for (const fault of cell.planned) {
      const end = (fault.atMs ?? 0) + (fault.durationMs ?? 0);
      expect(Number.isFinite(end) && end <= MAX_TIMER_MS).toBe(true);
    }
  }
}

/** An error the CLI would print as one line per problem and exit 2 on: never anything else. */
function expectInputError(error: unknown): void {
  if (!(error instanceof InputError)) throw error; // a stack trace, as a user would see it
  for (const line of error.message.split('\n')) expect(line.trim().length).toBeGreaterThan(0);
}

/** Runs the property; returns how many samples were runnable, so a test can show both branches ran. */
async function check<T>(arbitrary: fc.Arbitrary<T>, resolve: (sample: T) => Promise<ResolvedExperiment>) {
  let runnable = 0;
  let rejected = 0;
  await fc.assert(
    fc.asyncProperty(arbitrary, async (sample) => {
      try {
        expectRunnable(await resolve(sample));
        runnable++;
      } catch (error) {
        expectInputError(error);
        rejected++;
      }
    }),
    { numRuns: 400 },
  );
  console.log(`${runnable} runnable, ${rejected} rejected with an InputError`);
  return runnable;
}

/** Random samples are mostly broken; these make sure the runnable branch is reached too. */
const validLoad = fc.record(
  {
    runs: fc.integer({ min: 1, max: 2000 }),
    ratePerSec: fc.constantFrom(0.001, 0.05, 1, 20, 1000, 200_000),
    warmupRuns: fc.integer({ min: 0, max: 3000 }),
    drainTimeoutMs: fc.constantFrom(1, 60_000, MAX_DURATION_MS, 2_000_000_000),
  },
  { requiredKeys: ['runs'] },
);
const mostlyValid = fc.record({
  scenarios: fc.constantFrom(['rag-ingest'], ['rag-ingest', 'approval-decision']),
  adapters: fc.constantFrom(
    [{ name: 'bullmq' }],
    [{ name: 'bullmq', knobs: { lockDuration: MAX_DURATION_MS } }],
  ),
  faults: fc.constantFrom(['none'], ['worker-kill', 'backend-restart']),
  load: validLoad,
});

describe('the input layer under random input', () => {
  it('random experiment objects: an InputError, or an experiment the run can honour', async () => {
    const runnable = await check(fc.oneof(experimentObject, mostlyValid), (data) =>
      resolveExperiment(parseExperiment(data, 'random experiment')),
    );
    expect(runnable).toBeGreaterThan(0);
  });

  it('random `faultline run` argv: an InputError, or an experiment the run can honour', async () => {
    const numbers = fc
      .array(
        fc.tuple(
          fc.constantFrom('--runs', '--warmup', '--rate', '--drain-timeout', '--workers', '--seed'),
          fc.oneof(
            fc.integer({ min: 0, max: 3000 }).map(String),
            fc.constantFrom('2000000000', '0.001', '1e5'),
          ),
        ),
        { maxLength: 4 },
      )
      .map((pairs) => pairs.flat());
    const withBasics = fc
      .tuple(argv, numbers)
      .map(([args, more]) => ['--scenario', 'rag-ingest', '--adapter', 'bullmq', ...more, ...args]);
    const runnable = await check(fc.oneof(argv, withBasics), async (args) => {
      const { values, positionals } = parseFlags(args, RUN_FLAGS, 'run');
      return resolveExperiment(experimentFromArgs(positionals[0], values));
    });
    expect(runnable).toBeGreaterThan(0);
  });
});
