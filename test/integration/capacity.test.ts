/**
 * `faultline capacity` on the noop scenario, for real (#15): the sweep finds a knee — a
 * rate that held the SLO and a higher one that broke it — and stops by itself within its
 * time bound, as the history's own timestamps show; each step's verdict agrees with the
 * SLO evaluated again on the rebuilt results.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateGates } from '../../analysis/gates/index.js';
import type { HistoryEvent } from '../../core/history/events.js';
import type { Results } from '../../core/results.js';
import { CapacitySchema } from '../../harness/config/capacity.js';
import { parseExperiment } from '../../harness/config/load-experiment.js';
import { type CapacityReport, runCapacity } from '../../harness/runner/capacity.js';
import { recomputeResults } from '../../harness/runner/recompute.js';
import { buildGlance } from '../../reports/glance.js';
import { readRunHistory } from '../helpers/history.js';

const SETTINGS = CapacitySchema.parse({
  slo: ['latency.p99 < 1s', 'lost == 0'],
  workers: [1],
  fromRate: 5,
  factor: 4,
  stepSeconds: 2,
  refine: 1,
  timeBoundMs: 120_000,
  drainTimeoutMs: 5_000,
});

let report: CapacityReport;
let results: Results;
let events: HistoryEvent[];
let outDir: string;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'faultline-capacity-'));
  const lines: string[] = [];
  try {
    ({ report, results } = await runCapacity(
      parseExperiment({ seed: 2, scenarios: ['noop'], adapters: [{ name: 'temporal' }] }, 'test'),
      SETTINGS,
      outDir,
      (line) => lines.push(line),
    ));
  } catch (error) {
    console.error(lines.join('\n'));
    throw error;
  }
  events = readRunHistory(outDir);
});

describe('a capacity sweep on noop', () => {
  it('finds a knee: the highest rate that held lies below the lowest that broke above it', () => {
    const [sweep] = report.sweeps;
    expect(sweep).toMatchObject({ scenario: 'noop', adapter: 'temporal', workers: 1 });
    expect(sweep!.maxSustainableRate).not.toBeNull();
    expect(sweep!.firstBreakingRate).not.toBeNull();
    expect(sweep!.maxSustainableRate!).toBeLessThan(sweep!.firstBreakingRate!);
    expect(['knee', 'time-bound']).toContain(sweep!.stop);
    expect(['system', 'harness', 'world', 'machine']).toContain(sweep!.limit);
    expect(sweep!.note).toContain('temporal with 1 worker');
    // Each step's verdict is the SLO's, evaluated again on the results rebuilt from the run folder.
    for (const step of sweep!.steps) {
      const cell = results.cells.find((c) => c.id === step.cell)!;
      expect(cell.load).toEqual({ ratePerSec: step.rate, workers: 1 });
      const gates = evaluateGates(SETTINGS.slo, { ...results, cells: [cell] });
      expect(
        gates.every((g) => g.status === 'PASS'),
        step.cell,
      ).toBe(step.held);
    }
  });

  it('stops by itself within its time bound, as the history’s timestamps say', () => {
    const cells = new Set(report.sweeps.flatMap((s) => s.steps.map((step) => step.cell)));
    const times = events.filter((e) => cells.has(e.cell)).map((e) => e.t);
    expect(Math.max(...times) - Math.min(...times)).toBeLessThanOrEqual(SETTINGS.timeBoundMs);
  });

  it('rebuilds from its run folder with the same verdicts: each step is judged against its own runs', async () => {
    const rebuilt = await recomputeResults(outDir);
    const judged = (r: Results) => r.cells.map((c) => [c.id, c.verdict, c.anomalyCounts, c.runs.submitted]);
    expect(judged(rebuilt)).toEqual(judged(results));
    // Steps differ in size (a rate × stepSeconds, at least 20), so no single count fits them all.
    expect(new Set(results.cells.map((c) => c.runs.submitted)).size).toBeGreaterThan(1);
    // A step that held the SLO is clean when rebuilt (judged against another step's count,
    // every one of its runs was "unexpected"); one that broke it may have lost runs.
    const held = new Set(
      report.sweeps.flatMap((s) => s.steps.filter((step) => step.held).map((step) => step.cell)),
    );
    expect(held.size).toBeGreaterThan(0);
    const heldCells = rebuilt.cells.filter((c) => held.has(c.id));
    expect(heldCells).toHaveLength(held.size);
    for (const cell of heldCells) expect(cell.anomalyCounts, cell.id).toEqual({});
  });

  it('fills the glance’s scaling row', () => {
    const row = buildGlance(results).rows.find((r) => r.id === 'capacity')!;
    const entry = row.entries.temporal!;
    expect(entry.status).not.toBe('not-measured');
    expect(entry.value?.x).toBe(report.sweeps[0]!.maxSustainableRate);
  });
});
