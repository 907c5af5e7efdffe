/**
 * `faultline bench`'s figures as data (bench.json, versioned: other tools read it) and as
 * the markdown table it prints. Pure: the measuring is in overhead.ts.
 */

/**
 * bench.json's version: raised when a field changes meaning or goes away. 2: `bare` and
 * `faultline` are the medians of `repeats` alternating pairs, `ratio` the median pair's.
 * 3: warm-up pairs measured first, left out of every figure, kept in `warmup`.
 */
export const BENCH_SCHEMA_VERSION = 3;

/** DESIGN.md's budget: Faultline reaches this share of the bare script's throughput … */
export const TARGET_RATIO = 0.95;
/** … and never less than this. */
export const FLOOR_RATIO = 0.9;

/** One measured configuration: runs completed over the time from the first submit to the last completion. */
export interface BenchMeasurement {
  completed: number;
  seconds: number;
  runsPerSec: number;
  /**
   * CPU seconds the whole measurement used, every process of it (services, workers, the
   * bare script or the harness), from start-up to stop, analysis included: what it cost the
   * machine, which the load of others does not change much. Null where /proc is not.
   */
  cpuSeconds: number | null;
}

/** A Faultline measurement and its share of the bare script's throughput. */
export interface FaultlineMeasurement extends BenchMeasurement {
  /**
   * runsPerSec / the bare script's runsPerSec of the same pair, the median over the pairs
   * (each pair measured back to back, so a shared machine's load drifts less within one);
   * null when a bare script measured nothing.
   */
  ratio: number | null;
  /** The lowest and highest pair's ratio. */
  ratioRange: [number, number] | null;
}

export interface AdapterBenchResult {
  adapter: string;
  /** Runs asked of every measurement of this adapter. */
  runs: number;
  concurrency: number;
  /** The knobs both the bare worker and the Faultline cell ran with, defaults filled in. */
  knobs: Record<string, unknown>;
  /** Pairs measured (bare and Faultline back to back, the bare script first in odd pairs): the figures are their medians. */
  repeats: number;
  /** The bare script: the median of its measurements by runs/s. */
  bare: BenchMeasurement;
  /** The Faultline cell with its workers connected straight to the services, as the bare script is. */
  faultline: FaultlineMeasurement;
  /** The same cell with its workers behind Toxiproxy links (how experiments run by default); absent with --links off. */
  throughLinks?: FaultlineMeasurement;
  /** Every measurement, pair by pair: pair i is bare[i] and faultline[i] (and throughLinks[i]); the bare script went first in odd pairs. */
  samples: { bare: BenchMeasurement[]; faultline: BenchMeasurement[]; throughLinks?: BenchMeasurement[] };
  /** The warm-up pairs, measured before the others and counted in no figure (the bare script first in odd ones). */
  warmup: { bare: BenchMeasurement[]; faultline: BenchMeasurement[] };
}

export interface MachineFacts {
  cpus: number;
  cpuModel: string;
  platform: string;
  node: string;
  /** /proc/loadavg's three figures when the bench started and when it ended: a loaded machine's figures are noisy. */
  loadBefore: number[];
  loadAfter: number[];
}

export interface BenchReport {
  schemaVersion: number;
  tool: { name: string; version: string };
  /** The command as given, to run it again. */
  command: string;
  startedAt: string;
  machine: MachineFacts;
  target: { ratio: number; floor: number };
  adapters: AdapterBenchResult[];
}

/** A measurement from what was counted: completions and the seconds they took. */
export function measurement(
  completed: number,
  seconds: number,
  cpuSeconds: number | null = null,
): BenchMeasurement {
  return { completed, seconds, runsPerSec: seconds > 0 ? completed / seconds : 0, cpuSeconds };
}

/** CPU milliseconds per completed run, the median over the measurements that have the figure. */
export function cpuMsPerRun(samples: readonly BenchMeasurement[]): number | null {
  return median(
    samples.flatMap((m) =>
      m.cpuSeconds === null || m.completed === 0 ? [] : [(m.cpuSeconds * 1000) / m.completed],
    ),
  );
}

/** Faultline's throughput as a share of the bare script's. */
export function ratio(faultline: BenchMeasurement, bare: BenchMeasurement): number | null {
  return bare.runsPerSec > 0 ? faultline.runsPerSec / bare.runsPerSec : null;
}

/** The middle value (the mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median measurement by runs/s (the lower middle one for an even count: a real measurement). */
export function medianMeasurement(samples: readonly BenchMeasurement[]): BenchMeasurement {
  const sorted = [...samples].sort((a, b) => a.runsPerSec - b.runsPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? measurement(0, 0);
}

/** Each pair's ratio, pair i being faultline[i] and bare[i]; null where the bare script measured nothing. */
function pairRatios(
  faultline: readonly BenchMeasurement[],
  bare: readonly BenchMeasurement[],
): (number | null)[] {
  return faultline.map((f, i) => (bare[i] ? ratio(f, bare[i]) : null));
}

/** Faultline's pairs against the bare script's: the median measurement and the median pair's ratio. */
export function pairedRatio(
  faultline: readonly BenchMeasurement[],
  bare: readonly BenchMeasurement[],
): FaultlineMeasurement {
  const ratios = pairRatios(faultline, bare).flatMap((r) => (r === null ? [] : [r]));
  return {
    ...medianMeasurement(faultline),
    ratio: ratios.length === faultline.length ? median(ratios) : null,
    ratioRange: ratios.length > 0 ? [Math.min(...ratios), Math.max(...ratios)] : null,
  };
}

/** How a ratio stands against the budget: at the target, above the floor, or below it. */
export function standing(value: number | null): 'meets target' | 'above floor' | 'below floor' | 'no figure' {
  if (value === null) return 'no figure';
  if (value >= TARGET_RATIO) return 'meets target';
  return value >= FLOOR_RATIO ? 'above floor' : 'below floor';
}

/** The table `faultline bench` prints, in markdown, so the README's Overhead section is pasted from it. */
export function benchMarkdown(report: BenchReport): string {
  const { machine } = report;
  const lines = [
    `\`${report.command}\` — ${machine.cpus} × ${machine.cpuModel}, ${machine.platform}, Node ${machine.node}; ` +
      `load average ${machine.loadBefore.join(' ')} before, ${machine.loadAfter.join(' ')} after; ${report.startedAt}`,
    '',
    '| adapter | measured | runs | concurrency | runs/s | vs bare | budget | CPU ms/run |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |',
  ];
  for (const a of report.adapters) {
    const row = (
      what: string,
      m: BenchMeasurement,
      share: FaultlineMeasurement | undefined,
      samples: readonly BenchMeasurement[],
    ) => {
      const cpu = cpuMsPerRun(samples);
      return `| ${a.adapter} | ${what} | ${m.completed}/${a.runs} | ${a.concurrency} | ${m.runsPerSec.toFixed(0)} | ${
        share === undefined ? '' : shareText(share)
      } | ${share === undefined ? '' : standing(share.ratio)} | ${cpu === null ? '–' : cpu.toFixed(2)} |`;
    };
    lines.push(row('bare library', a.bare, undefined, a.samples.bare));
    lines.push(row('Faultline, workers direct', a.faultline, a.faultline, a.samples.faultline));
    if (a.throughLinks)
      lines.push(
        row(
          'Faultline, workers through Toxiproxy',
          a.throughLinks,
          a.throughLinks,
          a.samples.throughLinks ?? [],
        ),
      );
  }
  const repeats = Math.max(...report.adapters.map((a) => a.repeats), 1);
  const warmups = report.adapters.filter((a) => a.warmup.faultline.length > 0);
  lines.push(
    '',
    `Budget: Faultline, workers direct, at ${TARGET_RATIO} of the bare library's throughput or more (never below ${FLOOR_RATIO}). ` +
      'runs/s = completed runs / (last completion − first submit). ' +
      'CPU ms/run: CPU time of every process of a measurement (services, workers, bare script or harness; start-up, and for Faultline the analysis, included) per completed run, the median over the measurements.' +
      (repeats > 1
        ? ` Each figure is the median of ${repeats} pairs (bare and Faultline back to back, bare first in odd pairs, second in even ones); vs bare is the median pair's ratio, the range in brackets.`
        : '') +
      (warmups.length > 0
        ? ` Warm-up pairs, measured first and not counted (vs bare): ${warmups.map((a) => `${a.adapter} ${warmupRatios(a)}`).join(', ')}.`
        : ''),
  );
  return lines.join('\n');
}

function shareText(share: FaultlineMeasurement): string {
  if (share.ratio === null) return '–';
  const range = share.ratioRange;
  return range && range[0] !== range[1]
    ? `${share.ratio.toFixed(2)} (${range[0].toFixed(2)}–${range[1].toFixed(2)})`
    : share.ratio.toFixed(2);
}

/** The warm-up pairs' ratios, in the order they ran ("–" where the bare script measured nothing). */
function warmupRatios(a: AdapterBenchResult): string {
  return pairRatios(a.warmup.faultline, a.warmup.bare)
    .map((r) => (r === null ? '–' : r.toFixed(2)))
    .join(', ');
}
