import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { type AnyAdapter, builtInAdapters } from '../../adapters/index.js';
import type { AdapterBench } from '../../adapters/types.js';
import { describeZodError, InputError, REPORT_INPUT } from '../../core/errors.js';
import { MAX_CONCURRENCY, MAX_RATE_PER_SEC, MAX_RUNS } from '../../core/limits.js';
import { TOOL_VERSION } from '../../core/version.js';
import { parseExperiment } from '../config/load-experiment.js';
import { runExperiment } from '../runner/experiment-run.js';
import { createServicesProvider } from '../services/index.js';
import { runBare } from './bare-run.js';
import { cpuSecondsWithChildren } from './cpu-time.js';
import {
  type AdapterBenchResult,
  BENCH_SCHEMA_VERSION,
  type BenchMeasurement,
  type BenchReport,
  FLOOR_RATIO,
  type MachineFacts,
  measurement,
  medianMeasurement,
  pairedRatio,
  TARGET_RATIO,
} from './report.js';

/** Pairs per adapter at most: each pair starts fresh services twice. */
const MAX_REPEAT = 15;

/** The bench's numbers, in range (a bench of 0 runs would wait forever for its first completion). */
const BenchOptionsSchema = z
  .object({
    runs: z.number().int().min(2).max(MAX_RUNS).optional(),
    concurrency: z.number().int().min(1).max(MAX_CONCURRENCY),
    repeat: z.number().int().min(1).max(MAX_REPEAT),
    warmup: z.number().int().min(0).max(MAX_REPEAT),
  })
  .strict();

export function benchOptions(input: {
  runs: number | undefined;
  concurrency: number;
  repeat: number;
  warmup: number;
}): z.infer<typeof BenchOptionsSchema> {
  const parsed = BenchOptionsSchema.safeParse(input, REPORT_INPUT);
  if (!parsed.success)
    throw new InputError(describeZodError(parsed.error, 'faultline bench', BenchOptionsSchema));
  return parsed.data;
}

/** An adapter that declares its bare script. */
export interface BenchedAdapter {
  adapter: AnyAdapter;
  bench: AdapterBench;
}

/**
 * The adapters to bench: the named ones, or every built-in adapter that declares a bare
 * script. A name that is no such adapter is bad input naming the valid ones.
 */
export async function benchedAdapters(
  names: readonly string[] | undefined,
  log: (line: string) => void,
): Promise<BenchedAdapter[]> {
  const all = await builtInAdapters();
  const benched = all.flatMap((adapter) => (adapter.bench ? [{ adapter, bench: adapter.bench }] : []));
  if (names === undefined) {
    for (const adapter of all)
      if (!adapter.bench) log(`${adapter.name}: declares no bare script (bench.bare), not benched`);
    return benched;
  }
  const valid = benched.map((b) => b.adapter.name);
  if (names.length === 0)
    throw new InputError(`faultline bench: --adapter: empty; valid adapters: ${valid.join(', ')}`);
  return names.map((name) => {
    const found = benched.find((b) => b.adapter.name === name);
    if (found) return found;
    const what = all.some((a) => a.name === name) ? 'declares no bare script' : 'is no adapter';
    throw new InputError(
      `faultline bench: --adapter: "${name}" ${what}; valid adapters: ${valid.join(', ')}`,
    );
  });
}

export interface OverheadOptions {
  adapters: readonly BenchedAdapter[];
  /** Runs of every measurement; each adapter's own default when absent. */
  runs?: number;
  concurrency: number;
  /** Pairs (bare and Faultline, alternating which goes first) per adapter; the figures are their medians. */
  repeat: number;
  /** Pairs measured first and left out of the figures (kept in bench.json as `warmup`). */
  warmup: number;
  /** Also measure the cell with its workers behind Toxiproxy links (how experiments run by default). */
  links: boolean;
  outDir: string;
  command: string;
  log: (line: string) => void;
}

/**
 * DESIGN.md's budget: on the no-op scenario, an adapter driven by Faultline reaches at
 * least 95% (never less than 90%) of the throughput of a bare script of the same library,
 * with the same concurrency, on the same services (each measurement on fresh servers of
 * the same kind and settings, so none inherits another's data). One adapter after the
 * other, in pairs, `repeat` times: the bare script and Faultline back to back, the bare
 * script first in odd pairs and second in even ones; on a shared machine whose load
 * drifts, the median pair says more than any one measurement. `warmup` pairs go first and
 * are not counted, as a JMH or OpenMessaging Benchmark run discards its warm-up: the
 * harness is one process across every cell of an experiment, and its first cell pays for
 * compiling its submit path (the first Faultline measurement of a bench was the slowest of
 * its pairs in each of four BullMQ benches, 0.75–0.83 of the bare script against a median
 * pair of 0.85–0.97); the bare script is a fresh process in every measurement, warm-up or not.
 */
export async function overheadBench(options: OverheadOptions): Promise<BenchReport> {
  const { concurrency, outDir, log } = options;
  const startedAt = new Date().toISOString();
  const loadBefore = loadAverage();
  const results: AdapterBenchResult[] = [];
  for (const { adapter, bench } of options.adapters) {
    const runs = options.runs ?? bench.defaultRuns;
    const knobs = adapter.knobs.parse(bench.knobs(concurrency)) as Record<string, unknown>;
    const cell = (proxyWorkers: boolean) =>
      parseExperiment(
        {
          scenarios: ['noop'],
          adapters: [{ name: adapter.name, knobs: bench.knobs(concurrency) }],
          // Arrivals as fast as the schedule allows: the cell runs as fast as the system does.
          // No warm-up: the bare script has none either, and both count every run.
          load: { runs, ratePerSec: MAX_RATE_PER_SEC, workers: 1, warmupRuns: 0, drainTimeoutMs: DRAIN_MS },
          proxyWorkers,
          // Bare libraries trace nothing; traces cost throughput (README, "Traces").
          traces: false,
        },
        `faultline bench (${adapter.name})`,
      );
    const direct = cell(false);
    const dir = join(outDir, adapter.name);
    const counted: AdapterBenchResult['samples'] = {
      bare: [],
      faultline: [],
      ...(options.links ? { throughLinks: [] } : {}),
    };
    const warmup: AdapterBenchResult['samples'] = { bare: [], faultline: [] };
    // Warm-up pairs first (pair 1 - warmup … 0), then the counted ones (1 … repeat).
    for (let pair = 1 - options.warmup; pair <= options.repeat; pair++) {
      const warming = pair < 1;
      const samples = warming ? warmup : counted;
      // The pair's number among its kind, from 1: warm-up pair 1 runs first.
      const nth = warming ? pair + options.warmup : pair;
      const name = warming ? `warmup-${nth}` : `pair-${nth}`;
      // One folder per pair when there are several; the single pair's stays where it always was.
      const pairDir = options.repeat === 1 && options.warmup === 0 ? dir : join(dir, name);
      const of = warming
        ? ` (warm-up pair ${nth} of ${options.warmup}, not counted)`
        : options.repeat === 1
          ? ''
          : ` (pair ${pair} of ${options.repeat})`;
      const bare = async () => {
        log(`${adapter.name}: bare library, ${runs} no-op runs at concurrency ${concurrency}${of}…`);
        samples.bare.push(
          await bareMeasurement(adapter, bench, { runs, concurrency, knobs, dir: pairDir, direct }),
        );
      };
      const faultline = async () => {
        log(`${adapter.name}: Faultline, workers direct${of}…`);
        samples.faultline.push(await faultlineMeasurement(direct, join(pairDir, 'faultline')));
      };
      for (const side of pairOrder(nth)) {
        settle();
        await (side === 'bare' ? bare() : faultline());
      }
      if (samples.throughLinks && !warming) {
        settle();
        log(`${adapter.name}: Faultline, workers through Toxiproxy links${of}…`);
        samples.throughLinks.push(await faultlineMeasurement(cell(true), join(pairDir, 'through-links')));
      }
    }
    const entry: AdapterBenchResult = {
      adapter: adapter.name,
      runs,
      concurrency,
      knobs,
      repeats: options.repeat,
      bare: medianMeasurement(counted.bare),
      faultline: pairedRatio(counted.faultline, counted.bare),
      ...(counted.throughLinks ? { throughLinks: pairedRatio(counted.throughLinks, counted.bare) } : {}),
      samples: counted,
      warmup,
    };
    results.push(entry);
  }
  return {
    schemaVersion: BENCH_SCHEMA_VERSION,
    tool: { name: 'faultline', version: TOOL_VERSION },
    command: options.command,
    startedAt,
    machine: machineFacts(loadBefore),
    target: { ratio: TARGET_RATIO, floor: FLOOR_RATIO },
    adapters: results,
  };
}

/**
 * Which side of pair `pair` (1-based) is measured first: the bare script in odd pairs,
 * Faultline in even ones. Whatever the machine does to the second measurement of a pair
 * (its load drifting, its caches warm), it does to each side in half of the pairs.
 */
export function pairOrder(pair: number): readonly ['bare', 'faultline'] | readonly ['faultline', 'bare'] {
  return pair % 2 === 1 ? (['bare', 'faultline'] as const) : (['faultline', 'bare'] as const);
}

/** The bare script once, on fresh services of the kind and settings the Faultline cell gets. */
async function bareMeasurement(
  adapter: AnyAdapter,
  bench: AdapterBench,
  m: {
    runs: number;
    concurrency: number;
    knobs: Record<string, unknown>;
    dir: string;
    direct: ReturnType<typeof parseExperiment>;
  },
): Promise<BenchMeasurement> {
  const provider = createServicesProvider('local');
  const cpuBefore = cpuSecondsWithChildren();
  let result: Awaited<ReturnType<typeof runBare>>;
  try {
    const services = await provider.start(adapter.services, {
      dir: join(m.dir, 'bare', 'services'),
      persistence: m.direct.backendPersistence,
    });
    result = await runBare({
      ...bench.bare,
      runs: m.runs,
      concurrency: m.concurrency,
      knobs: m.knobs,
      services,
      name: `bench-${adapter.name}-${process.pid}`,
      dir: join(m.dir, 'bare'),
      timeoutMs: DRAIN_MS,
    });
  } finally {
    await provider.stop();
  }
  return measurement(result.completed, result.seconds, cpuSince(cpuBefore));
}

/** CPU seconds since `before` (this process and its reaped children), null where /proc is not. */
function cpuSince(before: number | null): number | null {
  const after = cpuSecondsWithChildren();
  return before === null || after === null ? null : Math.round((after - before) * 100) / 100;
}

/**
 * Writes what earlier measurements left in the page cache (each leaves tens of MB: Redis's
 * append-only file, the history) to disk before the next one starts. Otherwise the kernel
 * writes it back some 30 s later, in the middle of whichever measurement runs then: before
 * this, the second measurement of a pair was the slower one in 5 pairs of 6, whichever
 * side it was.
 */
function settle(): void {
  spawnSync('sync', { stdio: 'ignore' });
}

/** Every run of a slow machine gets done: a measurement never stops at a timeout it did not need. */
const DRAIN_MS = 600_000;

async function faultlineMeasurement(
  experiment: ReturnType<typeof parseExperiment>,
  runDir: string,
): Promise<BenchMeasurement> {
  const cpuBefore = cpuSecondsWithChildren();
  const results = await runExperiment(experiment, runDir, () => {});
  const cpuSeconds = cpuSince(cpuBefore);
  // The steady-state window with no warm-up: every completed run, from the first submit's
  // intended time (= when it was handed over) to the last completion the harness observed.
  const window = results.cells[0]?.throughputWindow;
  return window
    ? measurement(window.completed, window.spanMs / 1000, cpuSeconds)
    : measurement(0, 0, cpuSeconds);
}

function machineFacts(loadBefore: number[]): MachineFacts {
  const cores = cpus();
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    loadBefore,
    loadAfter: loadAverage(),
  };
}

/** /proc/loadavg's three averages (os.loadavg rounds nothing away, but reads the same). */
function loadAverage(): number[] {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch {
    return loadavg().map((x) => Math.round(x * 100) / 100);
  }
}
