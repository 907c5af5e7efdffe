import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeZodError, InputError } from '../../core/errors.js';
import { writeReports } from '../../reports/index.js';
import { CapacitySchema, type CapacitySettings } from '../config/capacity.js';
import type { Experiment } from '../config/experiment.js';
import { type CapacityReport, runCapacity } from '../runner/capacity.js';
import { list, number, parseFlags } from './args.js';
import { defaultOutDir, experimentFromArgs, type RunValues } from './run.js';

const CAPACITY_FLAGS = {
  scenario: { type: 'string' },
  adapter: { type: 'string' },
  knob: { type: 'string', multiple: true },
  seed: { type: 'string' },
  idempotent: { type: 'boolean' },
  'backend-persistence': { type: 'string' },
  slo: { type: 'string', multiple: true },
  workers: { type: 'string' },
  from: { type: 'string' },
  factor: { type: 'string' },
  'max-rate': { type: 'string' },
  'min-rate': { type: 'string' },
  'step-seconds': { type: 'string' },
  refine: { type: 'string' },
  'time-bound': { type: 'string' },
  'drain-timeout': { type: 'string' },
  out: { type: 'string' },
} as const;

export const CAPACITY_USAGE = `faultline capacity [EXPERIMENT_FILE] [flags]   the maximum sustainable arrival rate per adapter and worker count
  --scenario A --adapter A,B --knob ADAPTER.NAME=VALUE --seed S   as for run
  --slo EXPR              the SLO a rate must hold, as gates (repeatable; default "latency.p99 < 1s", "lost == 0")
  --workers 1,2,4         worker counts to sweep (default 1,2,4)
  --from R --factor F     the first rate and the ramp's factor (default 20, 2)
  --max-rate R --min-rate R   where the ramp stops (default 5000, 1)
  --step-seconds S        seconds of arrivals per step (default 10)
  --refine N              steps narrowing the knee (default 2)
  --time-bound D          the whole sweep's budget, e.g. 10m, 90s (default 10m)
  --drain-timeout MS      how long a step's runs get after its arrivals (default 10000)
  --out DIR               run folder: history, results, reports and capacity.json`;

/** `faultline capacity`: ramp until the SLO breaks, per adapter and worker count; print the knees, write capacity.json. */
export async function capacityCommand(argv: string[], log: (line: string) => void): Promise<number> {
  const { values, positionals } = parseFlags(argv, CAPACITY_FLAGS, 'capacity');
  if (positionals.length > 1)
    throw new InputError(`faultline capacity takes at most one experiment file\n${CAPACITY_USAGE}`);
  const runValues: RunValues = {
    scenario: values.scenario,
    adapter: values.adapter,
    knob: values.knob,
    seed: values.seed,
    idempotent: values.idempotent,
    'backend-persistence': values['backend-persistence'],
  };
  const experiment = experimentFromArgs(positionals[0], runValues);
  const settings = capacitySettings(experiment, values);
  const outDir = values.out ?? defaultOutDir();
  const { report, results } = await runCapacity(experiment, settings, outDir, log);
  writeFileSync(join(outDir, 'capacity.json'), `${JSON.stringify(report, null, 2)}\n`);
  const written = await writeReports(outDir, results);
  console.log(capacityTable(report));
  log(`wrote ${outDir}/capacity.json, ${outDir}/results.json, ${Object.values(written.files).join(', ')}`);
  return 0;
}

type CapacityValues = ReturnType<typeof parseFlags<typeof CAPACITY_FLAGS>>['values'];

/** The file's `capacity:` with the flags over it, validated: errors name the field. */
export function capacitySettings(experiment: Experiment, values: Partial<CapacityValues>): CapacitySettings {
  const workers = list(values.workers)?.map((w) => number('workers', w)!);
  const input = {
    ...experiment.capacity,
    ...defined({
      slo: values.slo,
      workers,
      fromRate: number('from', values.from),
      factor: number('factor', values.factor),
      maxRate: number('max-rate', values['max-rate']),
      minRate: number('min-rate', values['min-rate']),
      stepSeconds: number('step-seconds', values['step-seconds']),
      refine: number('refine', values.refine),
      timeBoundMs: durationMs('time-bound', values['time-bound']),
      drainTimeoutMs: number('drain-timeout', values['drain-timeout']),
    }),
  };
  const parsed = CapacitySchema.safeParse(input);
  if (!parsed.success) throw new InputError(describeZodError(parsed.error, 'capacity'));
  return parsed.data;
}

/** 10m, 90s, 1500ms or a bare number of ms. */
export function durationMs(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new InputError(`--${flag}: "${value}" is not a duration; e.g. 10m, 90s, 1500ms`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms']!;
  return Math.round(Number(match[1]) * factor);
}

function defined<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** One row per sweep: its knee, what broke, and whose limit it was. */
function capacityTable(report: CapacityReport): string {
  const rate = (r: number | null) => (r === null ? '–' : `${r}/s`);
  const header = [
    'scenario',
    'adapter',
    'workers',
    'max sustainable',
    'first breaking',
    'stopped by',
    'limit',
    'steps',
  ];
  const rows = report.sweeps.map((s) => [
    s.scenario,
    s.adapter,
    String(s.workers),
    rate(s.maxSustainableRate),
    rate(s.firstBreakingRate),
    s.stop,
    s.limit ?? '–',
    String(s.steps.length),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]) => cols.map((col, i) => col.padEnd(widths[i]!)).join('  ');
  return [
    `SLO: ${report.slo.join(', ')}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    ...report.sweeps.map((s) => s.note),
  ].join('\n');
}
