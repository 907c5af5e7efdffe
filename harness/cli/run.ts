import { join } from 'node:path';
import { adapterNames } from '../../adapters/index.js';
import { InputError } from '../../core/errors.js';
import type { Results } from '../../core/results.js';
import type { Experiment, ExperimentInput } from '../config/experiment.js';
import { parseExperiment, readExperimentFile } from '../config/load-experiment.js';
import { onInterrupt } from '../processes.js';
import { runExperiment } from '../runner/experiment-run.js';
import { list, number, onOff, parseFlags } from './args.js';

export const RUN_FLAGS = {
  scenario: { type: 'string' },
  adapter: { type: 'string' },
  fault: { type: 'string' },
  runs: { type: 'string' },
  rate: { type: 'string' },
  seed: { type: 'string' },
  repeat: { type: 'string' },
  workers: { type: 'string' },
  warmup: { type: 'string' },
  'drain-timeout': { type: 'string' },
  idempotent: { type: 'boolean' },
  'backend-persistence': { type: 'string' },
  knob: { type: 'string', multiple: true },
  threshold: { type: 'string', multiple: true },
  out: { type: 'string' },
  services: { type: 'string' },
  'container-images': { type: 'string' },
  traces: { type: 'string' },
  'metrics-port': { type: 'string' },
} as const;

export const RUN_USAGE = `faultline run [EXPERIMENT_FILE] [flags]
  --scenario A,B          scenarios (faultline list shows them)
  --adapter A,B           adapters, side by side on the same arrivals
  --fault A,B             faults (default none)
  --runs N --rate R       load: N runs per cell, Poisson arrivals at R runs/s
  --seed S                same seed, same arrivals and fault schedule
  --repeat N              run every cell N times (seeds derived from S); reports pool them with intervals
  --workers N             worker processes per adapter (default 2)
  --warmup N              runs left out of the statistics (default 10% of runs)
  --drain-timeout MS      wait this long for runs after the last submit (default 60000)
  --idempotent            effects carry an idempotency key derived from (run, step)
  --backend-persistence on|off
  --knob ADAPTER.NAME=VALUE   set an adapter knob (repeatable)
  --threshold EXPR        a k6-style gate, e.g. "lost == 0", "latency.p99 < 2s" (repeatable)
  --out DIR               where history, results and reports go (default results/<time>)
  --services local|testcontainers|external   where Redis, Temporal, Toxiproxy come from (default local)
  --container-images local|public   testcontainers: images built from the local binaries, or pulled
  --traces on|off         OpenTelemetry traces (default on): traces/ in the run folder, OTLP if configured
  --metrics-port P        serve Prometheus metrics on 127.0.0.1:P/metrics during the run`;

type Values = ReturnType<typeof parseFlags<typeof RUN_FLAGS>>['values'];
/** The run flags an experiment is built from (`faultline capacity` passes a subset). */
export type RunValues = Partial<Values>;

/** Flags over the file's values: the file is the experiment, flags adjust it. */
export function experimentFromArgs(file: string | undefined, values: RunValues): Experiment {
  const base: ExperimentInput = file ? readExperimentFile(file) : { scenarios: [], adapters: [] };
  const scenarios = list(values.scenario) ?? base.scenarios;
  const adapterList = list(values.adapter);
  // A name from the file's list (its `as`, or the adapter's) keeps that entry; any other is a new one.
  let adapters = adapterList
    ? adapterList.map((name) => base.adapters?.find((a) => (a.as ?? a.name) === name) ?? { name, knobs: {} })
    : base.adapters;
  adapters = applyKnobs(adapters ?? [], values.knob ?? []);
  if (!file && (!scenarios || scenarios.length === 0))
    throw new InputError(`faultline run: give --scenario or an experiment file\n${RUN_USAGE}`);
  if (!file && adapters.length === 0) {
    throw new InputError(
      `faultline run: give --adapter (${adapterNames().join(', ')}) or an experiment file`,
    );
  }
  const load = {
    ...base.load,
    ...defined({
      runs: number('runs', values.runs),
      ratePerSec: number('rate', values.rate),
      workers: number('workers', values.workers),
      warmupRuns: number('warmup', values.warmup),
      drainTimeoutMs: number('drain-timeout', values['drain-timeout']),
    }),
  };
  const input: ExperimentInput = {
    ...base,
    scenarios,
    adapters,
    load,
    ...defined({
      faults: list(values.fault),
      seed: number('seed', values.seed),
      repeat: number('repeat', values.repeat),
      idempotent: values.idempotent,
      backendPersistence: onOff('backend-persistence', values['backend-persistence']),
      thresholds: values.threshold,
      // Checked by the experiment schema, whose message names the valid values.
      services: values.services as ExperimentInput['services'],
      containerImages: values['container-images'] as ExperimentInput['containerImages'],
      traces: onOff('traces', values.traces),
    }),
  };
  return parseExperiment(input, file ?? 'command line');
}

function defined<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function applyKnobs(adapters: NonNullable<ExperimentInput['adapters']>, knobs: string[]) {
  const result = adapters.map((a) => ({ ...a, knobs: { ...(a.knobs ?? {}) } }));
  for (const knob of knobs) {
    const match = /^([^.=]+)\.([^=]+)=(.*)$/.exec(knob);
    if (!match)
      throw new InputError(`--knob ${knob}: expected ADAPTER.NAME=VALUE, e.g. bullmq.lockDuration=5000`);
    const [, adapter, name, raw] = match as unknown as [string, string, string, string];
    const target = result.find((a) => (a.as ?? a.name) === adapter);
    if (!target) throw new InputError(`--knob ${knob}: adapter "${adapter}" is not part of this run`);
    target.knobs[name] = parseValue(raw);
  }
  return result;
}

function port(flag: string, value: string | undefined): number | undefined {
  const parsed = number(flag, value);
  if (parsed !== undefined && (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535))
    throw new InputError(`--${flag}: "${value}" is not a port (0 to 65535; 0 picks a free one)`);
  return parsed;
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export function defaultOutDir(): string {
  return join('results', new Date().toISOString().replaceAll(':', '-').replace(/\..*/, ''));
}

export async function runCommand(
  argv: string[],
  log: (line: string) => void,
): Promise<{ results: Results; outDir: string }> {
  const { values, positionals } = parseFlags(argv, RUN_FLAGS, 'run');
  if (positionals.length > 1)
    throw new InputError(`faultline run takes at most one experiment file\n${RUN_USAGE}`);
  const experiment = experimentFromArgs(positionals[0], values);
  const outDir = values.out ?? defaultOutDir();
  onInterrupt(() =>
    log(
      `\ninterrupted: the history so far is kept in ${outDir}/history.d; faultline report ${outDir} computes results from it`,
    ),
  );
  const metricsPort = port('metrics-port', values['metrics-port']);
  const results = await runExperiment(experiment, outDir, log, {
    ...(metricsPort === undefined ? {} : { metricsPort }),
    progress: 'auto',
  });
  return { results, outDir };
}
