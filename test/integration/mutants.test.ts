import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AnomalyKind, CellResult } from '../../core/results.js';
import { managedProcesses } from '../../harness/processes.js';
import { loadScenarioFile } from '../../scenarios/index.js';
import { planRun, type RunPlan } from '../../scenarios/plan.js';
import { MUTATIONS, type Mutation, mutationTargets, type Target } from '../fixtures/mutants/mutations.js';
import { runForTest } from '../helpers/run.js';

/**
 * The checker is itself tested (DESIGN.md): deliberately faulty adapters, real worker
 * processes on real Redis, each doing one thing wrong to runs the seed picks, beside a
 * clean twin of the same queue. Over ten seeds the checker must flag every mutated run,
 * with exactly the anomalies the mutation implies, and nothing else; and nothing at all in
 * the clean twin.
 */

const DIR = join(import.meta.dirname, '../fixtures/mutants');
const SCENARIO = join(DIR, 'mutant-pipeline.json');
const plan = planRun(loadScenarioFile(SCENARIO));
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const RUNS = 20;

type Counts = Partial<Record<AnomalyKind, number>>;

/** What the checker must report for one mutated run, derived from the mutation and the plan. */
function expectedAnomalies(mutation: Mutation, target: Target, p: RunPlan): Counts {
  const step = target.stepId === undefined ? undefined : p.byId.get(target.stepId)!;
  const hasEffect = step?.spec.effect !== undefined;
  switch (mutation) {
    case 'drop-step':
      return {
        // Reported completed without the step; its effect, if any, is missing (lost); each
        // step depending on it started before it ever finished.
        'unexpected-outcome': 1,
        ...(hasEffect ? { 'lost-run': 1 } : {}),
        ...(p.dependents.get(step!.id)!.length > 0 ? { ordering: p.dependents.get(step!.id)!.length } : {}),
      };
    case 'double-step':
      return { 'duplicate-attempt': 1, ...(hasEffect ? { 'duplicate-effect': 1 } : {}) };
    case 'out-of-order':
      return { ordering: 1 };
    case 'skip-compensation':
      return { compensation: 1 };
    case 'phantom-completion':
      return { 'unexpected-outcome': 1, 'lost-run': 1 };
    case 'none':
      return {};
  }
}

function sum(all: Counts[]): Counts {
  const total: Counts = {};
  for (const counts of all)
    for (const [kind, n] of Object.entries(counts) as [AnomalyKind, number][])
      total[kind] = (total[kind] ?? 0) + n;
  return total;
}

const tally = { mutatedRuns: 0, flagged: 0, cleanAnomalies: 0 };
afterAll(() => {
  console.log(
    `mutant suite: ${tally.flagged} of ${tally.mutatedRuns} mutated runs flagged over ${SEEDS.length} seeds; ` +
      `${tally.cleanAnomalies} anomalies in the clean twin`,
  );
  expect(managedProcesses()).toEqual([]);
});

describe('mutant adapters: the checker catches every mutation and nothing in the clean twin', () => {
  it('every mutation has runs to mutate in this scenario', () => {
    for (const mutation of MUTATIONS)
      expect(mutationTargets(mutation, 1, RUNS, plan).length).toBeGreaterThan(0);
  });

  it.each(SEEDS)('seed %i', async (seed) => {
    const adapters = [...MUTATIONS, 'clean'].map((name) => ({
      name: join(DIR, `${name}.ts`),
      knobs: { seed, runs: RUNS },
    }));
    const { results } = await runForTest({
      scenarios: [SCENARIO],
      adapters,
      seed,
      load: { runs: RUNS, ratePerSec: 200, workers: 1, warmupRuns: 0, drainTimeoutMs: 20_000 },
    });
    const cell = (adapter: string): CellResult => results.cells.find((c) => c.adapter === adapter)!;

    const clean = cell('mutant-clean');
    expect(clean.anomalyCounts).toEqual({});
    expect(clean.verdict).toBe('pass');
    expect(clean.runs.completed + clean.runs.failed).toBe(RUNS);
    expect(clean.runs.failed).toBeGreaterThan(0); // the saga was exercised, and judged clean
    tally.cleanAnomalies += Object.values(clean.anomalyCounts).reduce((a, b) => a + b, 0);

    for (const mutation of MUTATIONS) {
      const targets = mutationTargets(mutation, seed, RUNS, plan);
      const mutant = cell(`mutant-${mutation}`);
      tally.mutatedRuns += targets.length;
      expect(mutant.anomalyCounts, mutation).toEqual(
        sum(targets.map((t) => expectedAnomalies(mutation, t, plan))),
      );
      // Every anomaly is about a mutated run, and every mutated run has one.
      const flagged = new Set(mutant.anomalies.map((a) => a.runId));
      expect([...flagged].sort(), mutation).toEqual(targets.map((t) => t.runId).sort());
      tally.flagged += targets.filter((t) => flagged.has(t.runId)).length;
    }
  });
});
