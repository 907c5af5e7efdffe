/**
 * `faultline bench`'s figures as data (bench.json, versioned: other tools read it) and as
 * the markdown table it prints. Pure: the measuring is in overhead.ts.
 */

/** bench.json's version: raised when a field changes meaning or goes away. */
export const BENCH_SCHEMA_VERSION = 1;

/** DESIGN.md's budget: Faultline reaches this share of the bare script's throughput … */
export const TARGET_RATIO = 0.95;
/** … and never less than this. */
export const FLOOR_RATIO = 0.9;

/** One measured configuration: runs completed over the time from the first submit to the last completion. */
export interface BenchMeasurement {
  completed: number;
  seconds: number;
  runsPerSec: number;
}

/** A Faultline measurement and its share of the bare script's throughput. */
export interface FaultlineMeasurement extends BenchMeasurement {
  /** runsPerSec / the bare script's runsPerSec; null when the bare script measured nothing. */
  ratio: number | null;
}

export interface AdapterBenchResult {
  adapter: string;
  /** Runs asked of every measurement of this adapter. */
  runs: number;
  concurrency: number;
  /** The knobs both the bare worker and the Faultline cell ran with, defaults filled in. */
  knobs: Record<string, unknown>;
  bare: BenchMeasurement;
  /** The Faultline cell with its workers connected straight to the services, as the bare script is. */
  faultline: FaultlineMeasurement;
  /** The same cell with its workers behind Toxiproxy links (how experiments run by default); absent with --links off. */
  throughLinks?: FaultlineMeasurement;
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
export function measurement(completed: number, seconds: number): BenchMeasurement {
  return { completed, seconds, runsPerSec: seconds > 0 ? completed / seconds : 0 };
}

/** Faultline's throughput as a share of the bare script's. */
export function ratio(faultline: BenchMeasurement, bare: BenchMeasurement): number | null {
  return bare.runsPerSec > 0 ? faultline.runsPerSec / bare.runsPerSec : null;
}

export function withRatio(faultline: BenchMeasurement, bare: BenchMeasurement): FaultlineMeasurement {
  return { ...faultline, ratio: ratio(faultline, bare) };
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
    '| adapter | measured | runs | concurrency | runs/s | vs bare | budget |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const a of report.adapters) {
    const row = (what: string, m: BenchMeasurement, share: number | null | undefined) =>
      `| ${a.adapter} | ${what} | ${m.completed}/${a.runs} | ${a.concurrency} | ${m.runsPerSec.toFixed(0)} | ${
        share === undefined ? '' : share === null ? '–' : share.toFixed(2)
      } | ${share === undefined ? '' : standing(share)} |`;
    lines.push(row('bare library', a.bare, undefined));
    lines.push(row('Faultline, workers direct', a.faultline, a.faultline.ratio));
    if (a.throughLinks)
      lines.push(row('Faultline, workers through Toxiproxy', a.throughLinks, a.throughLinks.ratio));
  }
  lines.push(
    '',
    `Budget: Faultline, workers direct, at ${TARGET_RATIO} of the bare library's throughput or more (never below ${FLOOR_RATIO}). ` +
      'runs/s = completed runs / (last completion − first submit).',
  );
  return lines.join('\n');
}
