/**
 * Micro-benchmarks of the hot paths (`npm run bench:micro`), with tinybench: what every
 * run pays per event or per step, so a regression shows as a number before it shows as a
 * slower comparison. Then the analysis budget (analysis-budget.ts: checker and metrics
 * over 1,000,000 events, time and peak memory, in a process of its own). Prints a table
 * and writes `bench-micro.json` (give `--baseline FILE` to print the change against an
 * earlier one). Figures, never assertions: speed is measured here, not in tests.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { createChecker } from '../../analysis/checker/index.js';
import type { HistoryEvent } from '../../core/history/events.js';
import { HistoryWriter } from '../../core/history/writer.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';
import { createStepRuntime } from '../../scenarios/runtime.js';
import { WorldClient } from '../../scenarios/world-client.js';
import { nodeArgsFor } from '../supervisor/node.js';
import { WorldProcess } from '../world/process.js';
import type { AnalysisBudget } from './analysis-budget.js';

interface Figure {
  name: string;
  opsPerSec: number;
  meanUs: number;
  p99Us: number;
  samples: number;
}

const CHECKER_EVENTS = 100_000;

export async function microBenchmarks(timeMs = 1000): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-micro-'));
  mkdirSync(join(dir, 'logs'));
  const world = await WorldProcess.start(dir);
  try {
    const history = new HistoryWriter(join(dir, 'history.d', 'bench.jsonl'));
    const client = new WorldClient({ host: '127.0.0.1', port: world.port });
    const plan = planRun(loadScenario('noop'));
    const runtime = createStepRuntime({
      cell: 'bench',
      workerId: 'bench-w1',
      plan,
      world: client,
      history,
      idempotentEffects: false,
    });
    const events = checkerEvents(planRun(loadScenario('rag-ingest')));
    let run = 0;
    let effect = 0;
    const bench = new Bench({ time: timeMs, warmupTime: 100 });
    bench
      .add('history append (one event, one write)', () => {
        history.append({
          type: 'attempt',
          cell: 'bench',
          runId: 'run-1',
          stepId: 's',
          worker: 'w',
          attempt: 1,
        });
      })
      .add('history appendInTick ×10, one write (a tick of completions)', () => {
        for (let i = 0; i < 10; i++)
          history.appendInTick({ type: 'run-done', cell: 'bench', runId: `run-${i}`, status: 'completed' });
        history.flush();
      })
      .add('world effect round trip (HTTP, keep-alive)', async () => {
        await client.effect({
          cell: 'bench',
          runId: `r${effect++}`,
          stepId: 'persist',
          name: 'store',
          key: null,
          correlationId: 'r',
        });
      })
      .add('one step through the step runtime, no work', async () => {
        await runtime.execute({ runId: `run-${run++}`, stepId: 'noop', attempt: 1 });
      })
      .add(`checker, ${CHECKER_EVENTS.toLocaleString('en')} events (per event: divide)`, () => {
        const checker = createChecker(planRun(loadScenario('rag-ingest')));
        for (const event of events) checker.add(event);
        checker.result();
      });
    await bench.run();
    history.close();
    return bench.tasks.map((task) => {
      const result = task.result as unknown as {
        latency: { mean: number; p99: number; samplesCount?: number; samples?: number[] };
        throughput: { mean: number };
      };
      const perEvent = task.name.startsWith('checker') ? CHECKER_EVENTS : 1;
      return {
        name: task.name.startsWith('checker') ? 'checker, per event' : task.name,
        opsPerSec: result.throughput.mean * perEvent,
        meanUs: (result.latency.mean * 1000) / perEvent,
        p99Us: (result.latency.p99 * 1000) / perEvent,
        samples: result.latency.samplesCount ?? result.latency.samples?.length ?? 0,
      };
    });
  } finally {
    await world.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A clean rag-ingest history of ~CHECKER_EVENTS events, as the checker streams it. */
function checkerEvents(plan: ReturnType<typeof planRun>): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  let t = 1_700_000_000_000;
  const cell = 'bench';
  // Every event a tenth of a millisecond after the one before.
  const at = <E extends Omit<HistoryEvent, 't'>>(event: E) => {
    t += 0.1;
    events.push({ ...event, t } as unknown as HistoryEvent);
  };
  for (let i = 0; events.length < CHECKER_EVENTS; i++) {
    const runId = `run-${i}`;
    at({ type: 'submit', cell, runId, intendedAt: t });
    for (const { id: stepId, spec } of plan.instances) {
      at({ type: 'attempt', cell, runId, stepId, worker: 'w', attempt: 1 });
      if (spec.effect) at({ type: 'effect', cell, runId, stepId, key: null, deduplicated: false });
      at({ type: 'step-done', cell, runId, stepId, worker: 'w', attempt: 1, outcome: 'ok' });
    }
    at({ type: 'run-done', cell, runId, status: 'completed' });
  }
  return events;
}

/** The analysis budget, measured in a fresh process so its peak memory is the analysis's own. */
function analysisBudget(): AnalysisBudget {
  const script = new URL('./analysis-budget.ts', import.meta.url).pathname;
  return JSON.parse(
    execFileSync(process.execPath, nodeArgsFor(script), { encoding: 'utf8' }),
  ) as AnalysisBudget;
}

/** Issue 14's budget: under 2 s (wall; CPU shown too, since a shared machine's wall time waits). */
export function budgetLine(b: AnalysisBudget): string {
  const analysis = b.seconds - b.generatorSeconds;
  return (
    `checker + metrics over ${b.events.toLocaleString('en')} events (${b.runs.toLocaleString('en')} rag-ingest runs): ` +
    `${b.seconds.toFixed(2)} s wall (${analysis.toFixed(2)} s without the event generator), ${b.cpuSeconds.toFixed(2)} s CPU, ` +
    `${Math.round(b.eventsPerSec).toLocaleString('en')} events/s; peak heap ${b.peakHeapMb} MB, ` +
    `peak RSS ${b.peakRssMb} MB (${b.baselineRssMb} MB before the first event); verdict ${b.verdict}; budget 2 s: ` +
    (b.seconds < 2 ? 'within' : 'OVER')
  );
}

export function microTable(figures: Figure[], baseline?: Figure[]): string {
  const width = Math.max(...figures.map((f) => f.name.length));
  const lines = [
    `${'what'.padEnd(width)}  ${'ops/s'.padStart(10)}  ${'mean µs'.padStart(9)}  ${'p99 µs'.padStart(9)}${baseline ? '  vs baseline' : ''}`,
  ];
  for (const f of figures) {
    const before = baseline?.find((b) => b.name === f.name);
    const change = before ? `  ${((f.opsPerSec / before.opsPerSec - 1) * 100).toFixed(1).padStart(6)}%` : '';
    lines.push(
      `${f.name.padEnd(width)}  ${f.opsPerSec.toFixed(0).padStart(10)}  ${f.meanUs.toFixed(2).padStart(9)}  ${f.p99Us.toFixed(2).padStart(9)}${change}`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const at = process.argv.indexOf('--baseline');
  const baselinePath = at > 0 ? process.argv[at + 1] : undefined;
  const baseline =
    baselinePath && existsSync(baselinePath)
      ? (JSON.parse(readFileSync(baselinePath, 'utf8')) as Figure[])
      : undefined;
  const figures = await microBenchmarks();
  console.log(microTable(figures, baseline));
  const budget = analysisBudget();
  console.log(budgetLine(budget));
  writeFileSync('bench-micro.json', `${JSON.stringify(figures, null, 2)}\n`);
  writeFileSync('bench-analysis-budget.json', `${JSON.stringify(budget, null, 2)}\n`);
  console.log('wrote bench-micro.json, bench-analysis-budget.json');
  process.exit(0);
}
