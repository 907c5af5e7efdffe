import { evaluateGatesOnCell } from '../analysis/gates/index.js';
import { decodeLatencies } from '../analysis/metrics/latency.js';
import { type PooledCell, poolRepeats } from '../analysis/pool.js';
import { binomialInterval, rateDifferenceInterval } from '../analysis/stats/binomial.js';
import {
  meanInterval,
  quantileDifferenceInterval,
  quantileInterval,
  ratioInterval,
  weighted,
} from '../analysis/stats/bootstrap.js';
import type { Interval } from '../analysis/stats/interval.js';
import { supportsPercentile } from '../analysis/stats/interval.js';
import { meanTInterval } from '../analysis/stats/t-interval.js';
import type { CellResult, Results } from '../core/results.js';
import type { Scenario } from '../scenarios/model.js';
import { fmtMs, fmtNum, plural, unique } from './format.js';

/**
 * The answer at a glance: the rows of the comparison architects make between
 * orchestrators (the seed article's table), each answered per adapter with a figure
 * measured in this run, its 95% interval, a verdict mark and the cells that are its
 * evidence. A criterion the run did not exercise says so ("not measured"); it is never a
 * blank or a pass. Pure: from results alone (repeats pooled), so `faultline aggregate`
 * gets it too.
 */

export type GlanceStatus = 'pass' | 'fail' | 'unknown' | 'not-measured';

export interface GlanceEntry {
  status: GlanceStatus;
  /** The measured figure as people read it, e.g. "0 of 120 runs (0%)". */
  figure: string;
  interval: Interval | null;
  /** Formats the interval's bounds like the figure. */
  intervalText: string;
  /** Group ids (scenario/adapter/fault) whose results this entry rests on. */
  evidence: string[];
  /** How it compares with the best adapter of the row, when the difference is decidable. */
  comparison?: string;
  /** For comparisons: the rate or value, and its sample. */
  value?: {
    successes?: number;
    n?: number;
    latencies?: [number, number][];
    x?: number;
    /** The percentile (0–100) of `latencies` the figure and comparisons use; 50 unless said. */
    percentile?: number;
  };
}

interface GlanceRow {
  id: string;
  /** The seed's criterion, e.g. "Durability". */
  criterion: string;
  /** What is measured for it, e.g. "runs lost under faults". */
  measure: string;
  /** Lower is better, or higher. */
  better: 'lower' | 'higher';
  entries: Record<string, GlanceEntry>;
}

export interface Glance {
  adapters: string[];
  rows: GlanceRow[];
  /** One sentence per adapter a reader can quote. */
  sentences: Record<string, string>;
}

const NOT_MEASURED = (why: string): GlanceEntry => ({
  status: 'not-measured',
  figure: `not measured: ${why}`,
  interval: null,
  intervalText: '',
  evidence: [],
});

const pct = (x: number) => `${fmtNum(x * 100)}%`;
const rateText = (i: Interval | null) => (i ? `95% CI ${pct(i.low)}–${pct(i.high)}` : '');
const isFaulted = (c: PooledCell) => c.fault !== 'none' || c.faults.length > 0;
const killed = (c: PooledCell) => c.faults.some((f) => (f.killed?.length ?? 0) > 0);

/** A rate row's entry: `bad` of `n`, exact binomial interval; pass only at 0 bad with a sample. */
function rateEntry(bad: number, n: number, unit: string, evidence: string[], why: string): GlanceEntry {
  if (n === 0) return NOT_MEASURED(why);
  const interval = binomialInterval(bad, n);
  return {
    status: bad === 0 ? 'pass' : 'fail',
    figure: `${bad} of ${n} ${unit} (${pct(bad / n)})`,
    interval,
    intervalText: rateText(interval),
    evidence,
    value: { successes: bad, n },
  };
}

type Cells = PooledCell[];

interface RowDefinition {
  id: string;
  criterion: string;
  measure: string;
  better: 'lower' | 'higher';
  entry(cells: Cells, context: Context): GlanceEntry;
}

interface Context {
  adapter: string;
  scenarios: Map<string, Scenario>;
  /** Adapter → its declared family and language (config.json), when declared. */
  languages: Map<string, { family?: string; language?: string }>;
  allCells: Cells;
  /** This adapter's cells before repeats were pooled: figures measured once per repeat get their interval from them. */
  repeats: CellResult[];
  /** A capacity sweep's SLO (config.json's `capacity.slo`), when the run was one. */
  capacitySlo: string[] | undefined;
}

const ids = (cells: Cells) => cells.map((c) => c.id);

const ROWS: RowDefinition[] = [
  {
    id: 'durability-lost',
    criterion: 'Durability',
    measure: 'runs lost under faults',
    better: 'lower',
    entry(cells) {
      const faulted = cells.filter(isFaulted);
      const lost = faulted.reduce((t, c) => t + c.runs.lost, 0);
      const n = faulted.reduce((t, c) => t + c.runs.submitted, 0);
      const evidence = ids(lost > 0 ? faulted.filter((c) => c.runs.lost > 0) : faulted);
      return rateEntry(lost, n, 'runs', evidence, 'no cell with a fault');
    },
  },
  {
    id: 'durability-duplicates',
    criterion: 'Durability',
    measure: 'effects applied twice under faults',
    better: 'lower',
    entry(cells) {
      const faulted = cells.filter(isFaulted);
      const dup = faulted.reduce((t, c) => t + c.effects.duplicates, 0);
      const n = faulted.reduce((t, c) => t + c.effects.applied, 0);
      const evidence = ids(dup > 0 ? faulted.filter((c) => c.effects.duplicates > 0) : faulted);
      return rateEntry(dup, n, 'effects', evidence, 'no effect applied under a fault');
    },
  },
  {
    id: 'state',
    criterion: 'State',
    measure: 'work redone per step interrupted by a kill',
    better: 'lower',
    entry(cells, { scenarios, adapter }) {
      const measured = cells.filter((c) => (c.redoneWorkPerStepMs?.length ?? 0) > 0);
      const samples = measured.flatMap((c) => c.redoneWorkPerStepMs ?? []);
      if (samples.length === 0) return NOT_MEASURED('no checkpointed step was interrupted');
      const mean = samples.reduce((t, v) => t + v, 0) / samples.length;
      const counts = new Map<number, number>();
      for (const v of samples) counts.set(v, (counts.get(v) ?? 0) + 1);
      const interval = meanInterval(weighted([...counts]), ['state', adapter]);
      // Resumed state: at most two checkpoint intervals of the step redone.
      const every = Math.max(
        ...measured.flatMap(
          (c) => scenarios.get(c.scenario)?.steps.map((s) => s.checkpoint?.everyMs ?? 0) ?? [],
        ),
      );
      const status: GlanceStatus = every > 0 ? (mean <= 2 * every ? 'pass' : 'fail') : 'unknown';
      return {
        status,
        figure: `${fmtMs(mean)} over ${samples.length} interrupted step${samples.length === 1 ? '' : 's'}`,
        interval,
        intervalText: interval ? `95% CI ${fmtMs(interval.low)}–${fmtMs(interval.high)}` : 'n too small',
        evidence: ids(measured),
        value: { x: mean },
      };
    },
  },
  {
    id: 'long-running',
    criterion: 'Long-running work',
    measure: 'long runs lost when workers die',
    better: 'lower',
    entry(cells, { scenarios }) {
      const long = cells.filter((c) => killed(c) && hasLongStep(scenarios.get(c.scenario)));
      const lost = long.reduce((t, c) => t + c.runs.lost, 0);
      const n = long.reduce((t, c) => t + c.runs.submitted, 0);
      return rateEntry(lost, n, 'runs', ids(long), 'no scenario with a long step met a kill');
    },
  },
  {
    id: 'version-drift',
    criterion: 'Version drift',
    measure: 'runs in flight at a deploy of changed code that failed, got stuck or applied effects twice',
    better: 'lower',
    entry(cells) {
      const deployed = cells.filter((c) => (c.deploy?.inFlight ?? 0) > 0);
      const total = (read: (d: NonNullable<PooledCell['deploy']>) => number) =>
        deployed.reduce((t, c) => t + read(c.deploy!), 0);
      const harmed = (d: NonNullable<PooledCell['deploy']>) =>
        d.outcomes.failed + d.outcomes.stuck + d.outcomes['duplicate-effects'];
      const bad = total(harmed);
      const n = total((d) => d.inFlight);
      const evidence = ids(bad > 0 ? deployed.filter((c) => harmed(c.deploy!) > 0) : deployed);
      const entry = rateEntry(bad, n, 'runs in flight', evidence, 'no deploy met runs in flight');
      if (entry.status === 'not-measured') return entry;
      const paths = `old path ${total((d) => d.outcomes['old-path'])}, new path ${total((d) => d.outcomes['new-path'])}`;
      const conflicts = total((d) => d.versionConflicts);
      return {
        ...entry,
        figure: `${entry.figure}; ${paths}${conflicts > 0 ? `, ${conflicts} with version conflicts` : ''}`,
      };
    },
  },
  {
    id: 'observability-correlation',
    criterion: 'Observability',
    measure: "effects without their run's correlation id",
    better: 'lower',
    entry(cells) {
      const bad = cells.reduce((t, c) => t + c.observability.missing + c.observability.mismatched, 0);
      const n = cells.reduce((t, c) => t + c.observability.effects, 0);
      return rateEntry(bad, n, 'effects', ids(cells), 'no effect was applied');
    },
  },
  {
    id: 'observability-history',
    criterion: 'Observability',
    measure: 'completed runs whose history has a hole',
    better: 'lower',
    entry(cells) {
      const n = cells.reduce((t, c) => t + c.observability.completedRuns, 0);
      const holes = n - cells.reduce((t, c) => t + c.observability.completeHistories, 0);
      return rateEntry(holes, n, 'runs', ids(cells), 'no run completed');
    },
  },
  {
    id: 'retry-amplification',
    criterion: 'Retry and error handling',
    measure: 'attempts per planned step (retry amplification)',
    better: 'lower',
    entry(cells, { adapter }) {
      const attempts = cells.reduce((t, c) => t + c.attempts.total, 0);
      const planned = cells.reduce((t, c) => t + c.runs.submitted * c.steps.expectedPerRun, 0);
      if (planned === 0) return NOT_MEASURED('no run was submitted');
      const x = attempts / planned;
      const interval = ratioInterval(attempts, planned, ['retry', adapter]);
      const worst = [...cells].sort(
        (a, b) => (b.attempts.retryAmplification ?? 0) - (a.attempts.retryAmplification ?? 0),
      );
      return {
        // A retry storm: more than twice the planned attempts.
        status: x <= 2 ? 'pass' : 'fail',
        figure: `${fmtNum(x)} (${attempts} attempts for ${planned} planned)`,
        interval,
        intervalText: interval ? `95% CI ${fmtNum(interval.low)}–${fmtNum(interval.high)}` : '',
        evidence: ids(worst.slice(0, 3)),
        value: { x },
      };
    },
  },
  {
    id: 'compensation',
    criterion: 'Retry and error handling',
    measure: 'failed runs left with effects not rolled back',
    better: 'lower',
    entry(cells, { scenarios }) {
      const sagas = cells.filter((c) => rollsBack(scenarios.get(c.scenario)));
      const failed = sagas.reduce((t, c) => t + c.runs.failed, 0);
      const bad = Math.min(
        failed,
        sagas.reduce((t, c) => t + (c.anomalyCounts.compensation ?? 0), 0),
      );
      return rateEntry(bad, failed, 'failed runs', ids(sagas), 'no run of a saga scenario failed');
    },
  },
  {
    id: 'latency',
    criterion: 'Latency without faults',
    measure: 'p50 run latency (intended submit to done)',
    better: 'lower',
    entry(cells, { adapter }) {
      const clean = cells.filter((c) => !isFaulted(c));
      const latencies = decodeLatencies(clean.map((c) => c.latencyHistogram));
      const n = latencies.reduce((t, [, c]) => t + c, 0);
      if (n === 0) return NOT_MEASURED('no fault-free run completed');
      const interval = quantileInterval(weighted(latencies), 50, ['latency', adapter]);
      const p50 = quantileOf(latencies, 50);
      const p99 = supportsPercentile(n, 99) ? fmtMs(quantileOf(latencies, 99)) : `n too small (${n})`;
      return {
        status: 'unknown',
        figure: `p50 ${fmtMs(p50)}, p99 ${p99}`,
        interval,
        intervalText: interval ? `p50 95% CI ${fmtMs(interval.low)}–${fmtMs(interval.high)}` : '',
        evidence: ids(clean),
        value: { latencies, x: p50 },
      };
    },
  },
  {
    id: 'scheduling',
    criterion: 'Scheduling',
    measure: 'timer fire-time drift; timers lost or fired twice',
    better: 'lower',
    entry(cells, { adapter }) {
      const timed = cells.filter((c) => (c.timers?.due ?? 0) > 0);
      if (timed.length === 0) return NOT_MEASURED('no timer step ran');
      const total = (read: (t: NonNullable<PooledCell['timers']>) => number) =>
        timed.reduce((t, c) => t + read(c.timers!), 0);
      const due = total((t) => t.due);
      const lost = total((t) => t.lost);
      const twice = total((t) => t.firedTwice);
      const drift = decodeLatencies(timed.map((c) => c.timers!.driftHistogram));
      const n = drift.reduce((t, [, c]) => t + c, 0);
      const tally = `${lost} lost, ${twice} fired twice of ${due} timers`;
      const bad = timed.filter((c) => c.timers!.lost + c.timers!.firedTwice > 0);
      const status: GlanceStatus = lost + twice > 0 ? 'fail' : 'unknown';
      if (n === 0)
        return {
          status,
          figure: `no timer fired; ${tally}`,
          interval: null,
          intervalText: '',
          evidence: ids(timed),
        };
      // The p99 where the sample supports it: drift is a tail problem.
      const p = supportsPercentile(n, 99) ? 99 : 50;
      const x = quantileOf(drift, p);
      const interval = quantileInterval(weighted(drift), p, ['drift', adapter]);
      const p99 = supportsPercentile(n, 99) ? fmtMs(x) : `n too small (${n})`;
      return {
        status,
        figure: `p50 ${fmtMs(quantileOf(drift, 50))}, p99 ${p99} late; ${tally}`,
        interval,
        intervalText: interval ? `p${p} 95% CI ${fmtMs(interval.low)}–${fmtMs(interval.high)}` : '',
        evidence: ids(bad.length > 0 ? bad : timed),
        value: { latencies: drift, x, percentile: p },
      };
    },
  },
  {
    id: 'capacity',
    criterion: 'Scaling',
    measure: 'highest arrival rate that held the SLO, by worker count',
    better: 'higher',
    entry(cells, { repeats, capacitySlo }) {
      const steps = repeats.filter((c) => c.load !== undefined);
      if (steps.length === 0 || !capacitySlo)
        return NOT_MEASURED('no capacity sweep ran (faultline capacity)');
      const byWorkers = new Map<number, { held: number[]; broke: number[] }>();
      for (const step of steps) {
        const entry = byWorkers.get(step.load!.workers) ?? { held: [], broke: [] };
        (holdsSlo(step, capacitySlo) ? entry.held : entry.broke).push(step.load!.ratePerSec);
        byWorkers.set(step.load!.workers, entry);
      }
      const knees = [...byWorkers]
        .sort((a, b) => a[0] - b[0])
        .map(([workers, { held, broke }]) => {
          const max = held.length === 0 ? null : Math.max(...held);
          const above = broke.filter((r) => max === null || r > max);
          return { workers, max, broke: above.length === 0 ? null : Math.min(...above) };
        });
      const rate = (r: number | null) => (r === null ? 'none' : `${fmtNum(r)}/s`);
      const best = Math.max(0, ...knees.map((k) => k.max ?? 0));
      return {
        status: 'unknown',
        figure: knees
          .map(
            (k) =>
              `${plural(k.workers, 'worker')}: ${rate(k.max)}${k.broke === null ? '' : ` (broke at ${rate(k.broke)})`}`,
          )
          .join('; '),
        interval: null,
        intervalText: `SLO ${capacitySlo.join(', ')}; the knee lies between a rate that held and the next that broke`,
        evidence: ids(cells.filter((c) => c.load !== undefined)),
        value: { x: best },
      };
    },
  },
  {
    id: 'language',
    criterion: 'Language and ecosystem',
    measure: 'one orchestrator, two languages: verdicts agree',
    better: 'higher',
    entry(cells, { adapter, languages, allCells }) {
      const me = languages.get(adapter);
      const twins = [...languages].filter(
        ([other, l]) =>
          other !== adapter &&
          l.family !== undefined &&
          l.family === me?.family &&
          l.language !== me?.language,
      );
      if (!me?.family || twins.length === 0)
        return NOT_MEASURED('no second language of this orchestrator ran');
      let pairs = 0;
      let agree = 0;
      const evidence: string[] = [];
      for (const cell of cells) {
        for (const [twin] of twins) {
          const other = allCells.find(
            (c) => c.adapter === twin && c.scenario === cell.scenario && c.fault === cell.fault,
          );
          if (!other) continue;
          pairs++;
          if (other.verdict === cell.verdict) agree++;
          else evidence.push(cell.id, other.id);
        }
      }
      if (pairs === 0) return NOT_MEASURED('no scenario × fault ran in both languages');
      return {
        status: agree === pairs ? 'pass' : 'fail',
        figure: `${agree} of ${pairs} scenario × fault pairs agree`,
        interval: null,
        intervalText: '',
        evidence: evidence.length > 0 ? unique(evidence) : ids(cells),
      };
    },
  },
  {
    id: 'footprint',
    criterion: 'Operational footprint',
    measure: 'CPU per 1,000 runs (backend + workers); peak memory; stack start',
    better: 'lower',
    entry(cells, { repeats }) {
      const sampled = cells.filter((c) => c.footprint !== undefined);
      const completed = sampled.reduce((t, c) => t + c.runs.completed, 0);
      if (sampled.length === 0) return NOT_MEASURED('footprint was not sampled');
      if (completed === 0) return NOT_MEASURED('no run completed');
      const cpu = (c: CellResult) => c.footprint!.backend.cpuMs + c.footprint!.workers.cpuMs;
      const x = (sampled.reduce((t, c) => t + cpu(c), 0) / completed) * 1000;
      const sum = (read: (c: CellResult) => number) => sampled.reduce((t, c) => t + read(c), 0);
      const perRun = (ms: number) => fmtNum(ms / completed);
      const peak = (read: (c: CellResult) => number) => Math.max(...sampled.map(read));
      const starts = sampled.flatMap((c) =>
        c.footprint!.stackStartMs === null ? [] : [c.footprint!.stackStartMs],
      );
      const stack =
        starts.length === 0
          ? ''
          : `; stack start ${fmtMs(starts.reduce((t, v) => t + v, 0) / starts.length)}`;
      // One figure per repeat (each repeat runs the whole matrix): a t interval over them.
      const byRepeat = new Map<number, { cpu: number; completed: number }>();
      for (const c of repeats) {
        if (!c.footprint) continue;
        const r = byRepeat.get(c.repeat ?? 1) ?? { cpu: 0, completed: 0 };
        r.cpu += cpu(c);
        r.completed += c.runs.completed;
        byRepeat.set(c.repeat ?? 1, r);
      }
      const perRepeat = [...byRepeat.values()]
        .filter((r) => r.completed > 0)
        .map((r) => (r.cpu / r.completed) * 1000);
      const interval = meanTInterval(perRepeat);
      return {
        status: 'unknown',
        figure:
          `${fmtNum(x / 1000)} CPU-s per 1,000 runs (backend ${perRun(sum((c) => c.footprint!.backend.cpuMs))}, ` +
          `workers ${perRun(sum((c) => c.footprint!.workers.cpuMs))}); peak memory backend ` +
          `${fmtBytes(peak((c) => c.footprint!.backend.peakRssBytes))}, workers ${fmtBytes(peak((c) => c.footprint!.workers.peakRssBytes))}${stack}`,
        interval,
        intervalText: interval
          ? `95% CI ${fmtNum(interval.low / 1000)}–${fmtNum(interval.high / 1000)} CPU-s over ${perRepeat.length} repeats`
          : 'one sample: repeat (--repeat N) for an interval',
        evidence: ids(sampled),
        value: { x },
      };
    },
  },
];

/** Whether a cell met every gate of an SLO (a capacity step held). */
function holdsSlo(cell: CellResult, slo: readonly string[]): boolean {
  return evaluateGatesOnCell(slo, cell).every((g) => g.status === 'PASS');
}

/** 236 MB: resident memory in megabytes (10^6 bytes). */
function fmtBytes(bytes: number): string {
  return `${fmtNum(bytes / 1e6)} MB`;
}

function hasLongStep(scenario: Scenario | undefined): boolean {
  return (scenario?.steps ?? []).some((s) => s.heartbeat !== undefined || s.checkpoint !== undefined);
}

function rollsBack(scenario: Scenario | undefined): boolean {
  const steps = scenario?.steps ?? [];
  const canFail = steps.some(
    (s) => s.kind === 'approval' || (s.failure?.permanent ?? 0) > 0 || (s.failure?.transient ?? 0) > 0,
  );
  return canFail && steps.some((s) => s.compensation !== undefined);
}

function quantileOf(values: [number, number][], p: number): number {
  const total = values.reduce((t, [, c]) => t + c, 0);
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [v, c] of values) {
    seen += c;
    if (seen >= rank) return v;
  }
  return values.at(-1)?.[0] ?? 0;
}

/** Marks each entry against the row's best: significantly worse, or not significantly different. */
function compare(row: GlanceRow, adapters: string[]): void {
  const measured = adapters.filter(
    (a) => row.entries[a]!.value !== undefined && row.entries[a]!.status !== 'not-measured',
  );
  if (measured.length < 2) return;
  const key = (a: string) => {
    const v = row.entries[a]!.value!;
    return v.n ? v.successes! / v.n : (v.x ?? 0);
  };
  const best = [...measured].sort((a, b) => (row.better === 'lower' ? key(a) - key(b) : key(b) - key(a)))[0]!;
  const b = row.entries[best]!.value!;
  for (const adapter of measured) {
    if (adapter === best) continue;
    const entry = row.entries[adapter]!;
    const v = entry.value!;
    let diff: Interval | null = null;
    if (v.n && b.n) diff = rateDifferenceInterval(v.successes!, v.n, b.successes!, b.n);
    else if (v.latencies && b.latencies)
      diff = quantileDifferenceInterval(
        weighted(v.latencies),
        weighted(b.latencies),
        Math.min(v.percentile ?? 50, b.percentile ?? 50),
        ['diff', row.id, adapter, best],
      );
    if (diff === null) continue;
    const significant = diff.low > 0 || diff.high < 0;
    entry.comparison = significant
      ? `significantly worse than ${best}`
      : `not significantly different from ${best}`;
  }
}

export function buildGlance(results: Results): Glance {
  const pooled = poolRepeats(results.cells);
  const adapters = unique(pooled.map((c) => c.adapter));
  const definitions = (results.config.scenarioDefinitions ?? []) as Scenario[];
  const scenarios = new Map(definitions.map((s) => [s.name, s]));
  const recorded = (results.config.adapters ?? []) as {
    name: string;
    topology?: { family?: string; language?: string };
  }[];
  const languages = new Map(
    recorded.map((a) => [a.name, { family: a.topology?.family, language: a.topology?.language }]),
  );
  const rows = ROWS.map((def): GlanceRow => {
    const entries: Record<string, GlanceEntry> = {};
    for (const adapter of adapters) {
      const cells = pooled.filter((c) => c.adapter === adapter);
      entries[adapter] = def.entry(cells, {
        adapter,
        scenarios,
        languages,
        allCells: pooled,
        repeats: results.cells.filter((c) => c.adapter === adapter),
        capacitySlo: (results.config.capacity as { slo?: string[] } | undefined)?.slo,
      });
    }
    const row: GlanceRow = {
      id: def.id,
      criterion: def.criterion,
      measure: def.measure,
      better: def.better,
      entries,
    };
    compare(row, adapters);
    return row;
  });
  return { adapters, rows, sentences: Object.fromEntries(adapters.map((a) => [a, sentence(a, rows)])) };
}

/** "bullmq lost 0 of 120 runs under faults (95% CI 0–3%), applied 2 of 480 effects twice, …". */
function sentence(adapter: string, rows: GlanceRow[]): string {
  const get = (id: string) => rows.find((r) => r.id === id)!.entries[adapter]!;
  const parts: string[] = [];
  const lost = get('durability-lost');
  if (lost.status !== 'not-measured')
    parts.push(`lost ${lost.figure.replace(/ \(.*\)$/, '')} under faults (${lost.intervalText})`);
  const dup = get('durability-duplicates');
  if (dup.status !== 'not-measured') parts.push(`applied ${dup.figure.replace(/ \(.*\)$/, '')} twice`);
  const state = get('state');
  if (state.status !== 'not-measured')
    parts.push(`redid ${state.figure.replace(/ over .*/, '')} of work per interrupted step`);
  const retry = get('retry-amplification');
  if (retry.status !== 'not-measured')
    parts.push(`had a retry amplification of ${retry.figure.replace(/ \(.*\)$/, '')}`);
  const drift = get('version-drift');
  if (drift.status !== 'not-measured')
    parts.push(`left ${drift.figure.replace(/ \(.*$/, '')} failed, stuck or doubled at a deploy`);
  const timers = get('scheduling');
  if (timers.status !== 'not-measured' && timers.value?.x !== undefined)
    parts.push(`fired timers ${fmtMs(timers.value.x)} late at p${timers.value.percentile ?? 50}`);
  const latency = get('latency');
  if (latency.status !== 'not-measured') parts.push(`ran fault-free at ${latency.figure}`);
  if (parts.length === 0) return `${adapter}: nothing was measured.`;
  const last = parts.pop()!;
  return `${adapter} ${parts.length > 0 ? `${parts.join(', ')} and ${last}` : last}.`;
}
