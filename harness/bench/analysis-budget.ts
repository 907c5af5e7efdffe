/**
 * The analysis budget (issue 14): the checker and every metric over 1,000,000 history
 * events in under 2 s, in bounded memory. Run in a process of its own (`npm run
 * bench:micro` starts it) so its peak RSS is the analysis's: the events are generated one
 * at a time, as a history file streams them, and fed to the same createCellAnalysis that
 * `faultline report` uses. Prints one JSON line; a figure, never an assertion.
 */

import { createCellAnalysis } from '../../analysis/analyze.js';
import type { HistoryEvent } from '../../core/history/events.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun, type RunPlan } from '../../scenarios/plan.js';

export interface AnalysisBudget {
  events: number;
  runs: number;
  seconds: number;
  /** This process's CPU time over the same span (user + system): on a shared machine, wall time waits too. */
  cpuSeconds: number;
  /** Of `seconds`, about this much is the generator's (timed alone, before). */
  generatorSeconds: number;
  eventsPerSec: number;
  /** RSS before the first event (modules loaded) and at its peak (the OS's maxRSS), MB. */
  baselineRssMb: number;
  peakRssMb: number;
  /** The JavaScript heap's largest use seen (every 10,000 events), MB. */
  peakHeapMb: number;
  verdict: string;
}

export const BUDGET_EVENTS = 1_000_000;

/**
 * A clean rag-ingest history, event by event: each run submitted, each step attempted
 * (effects applied) and done, the run done, the cell ended. Objects are built as literals
 * (no spread): the generator's own cost is measured apart and kept small.
 */
export function* cleanHistory(plan: RunPlan, events: number): Generator<HistoryEvent> {
  const cell = 'budget';
  const worker = 'w1';
  let t = 1_700_000_000_000;
  /** The next event's time: a twentieth of a millisecond after the one before. */
  const next = () => {
    t += 0.05;
    return t;
  };
  let emitted = 2;
  yield { type: 'cell-start', cell, t: next(), drainTimeoutMs: 60_000, workers: [worker] };
  const steps = plan.instances.map(({ id, spec }) => ({ stepId: id, effect: spec.effect !== undefined }));
  const perRun = 2 + steps.reduce((n, step) => n + (step.effect ? 3 : 2), 0);
  // Whole runs while they fit; the last event ends the cell (an unended cell is interrupted, never judged).
  for (let i = 0; emitted + perRun <= events; i++) {
    const runId = `run-${i}`;
    const submittedAt = next();
    yield { type: 'submit', cell, runId, t: submittedAt, intendedAt: submittedAt };
    for (const { stepId, effect } of steps) {
      yield { type: 'attempt', cell, runId, stepId, worker, attempt: 1, t: next() };
      if (effect) yield { type: 'effect', cell, runId, stepId, key: null, deduplicated: false, t: next() };
      yield { type: 'step-done', cell, runId, stepId, worker, attempt: 1, outcome: 'ok', t: next() };
    }
    yield { type: 'run-done', cell, runId, status: 'completed', t: next() };
    emitted += perRun;
  }
  yield { type: 'cell-end', cell, undone: 0, t: next() };
}

export function measureAnalysis(events = BUDGET_EVENTS): AnalysisBudget {
  const scenario = loadScenario('rag-ingest');
  const plan = planRun(scenario);
  const analysis = createCellAnalysis({
    id: 'budget',
    scenario: scenario.name,
    adapter: 'none',
    fault: 'none',
    knobs: {},
    plan,
  });
  const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  const baselineRssMb = mb(process.memoryUsage.rss());
  let peakHeap = process.memoryUsage().heapUsed;
  // The generator alone first: what of the time below is making the events, not reading them.
  const generatorBegan = performance.now();
  for (const _ of cleanHistory(plan, events));
  const generatorSeconds = (performance.now() - generatorBegan) / 1000;
  let count = 0;
  const cpuBefore = process.cpuUsage();
  const began = performance.now();
  for (const event of cleanHistory(plan, events)) {
    analysis.add(event);
    if (++count % 10_000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
  const result = analysis.result();
  const seconds = (performance.now() - began) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    events: count,
    runs: result.runs.submitted,
    seconds: Math.round(seconds * 1000) / 1000,
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1000) / 1000,
    generatorSeconds: Math.round(generatorSeconds * 1000) / 1000,
    eventsPerSec: Math.round(count / seconds),
    baselineRssMb,
    // maxRSS is in kilobytes.
    peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    peakHeapMb: mb(peakHeap),
    verdict: result.verdict,
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const at = process.argv.indexOf('--events');
  console.log(JSON.stringify(measureAnalysis(at > 0 ? Number(process.argv[at + 1]) : BUDGET_EVENTS)));
}
