import { describe, expect, it } from 'vitest';
import { poolRepeats } from '../../analysis/pool.js';
import type { CellResult, Results } from '../../core/results.js';
import { fmtNum } from '../../reports/format.js';
import { buildGlance, type Glance } from '../../reports/glance.js';
import { renderGlanceMarkdown } from '../../reports/glance-render.js';
import { renderMarkdown } from '../../reports/markdown.js';
import { evaluateReadiness, renderReadinessMarkdown } from '../../reports/readiness.js';
import { cellOf, loadResults } from '../fixtures/results-small.js';

const entry = (glance: Glance, row: string, adapter: string) =>
  glance.rows.find((r) => r.id === row)!.entries[adapter]!;
const pct = (x: number) => `${fmtNum(x * 100)}%`;

describe('the glance table', () => {
  const results = loadResults();
  const glance = buildGlance(results);

  it('answers every criterion for every adapter, in the seed’s order', () => {
    expect(glance.adapters).toEqual(['bullmq', 'temporal']);
    expect(glance.rows.map((r) => r.criterion)).toEqual([
      'Durability',
      'Durability',
      'State',
      'Long-running work',
      'Version drift',
      'Observability',
      'Observability',
      'Retry and error handling',
      'Retry and error handling',
      'Latency without faults',
      'Scheduling',
      'Scaling',
      'Language and ecosystem',
      'Operational footprint',
    ]);
  });

  it('gives a measured rate with its exact interval, and a failure where there was harm', () => {
    const faulted = results.cells.filter((c) => c.fault !== 'none');
    const submitted = faulted
      .filter((c) => c.adapter === 'temporal')
      .reduce((t, c) => t + c.runs.submitted, 0);
    const temporal = entry(glance, 'durability-lost', 'temporal');
    expect(temporal.status).toBe('pass');
    expect(temporal.figure).toBe(`0 of ${submitted} runs (0%)`);
    // At 0 of n the exact upper bound has a closed form: 1 − 0.025^(1/n).
    expect(temporal.intervalText).toBe(`95% CI 0%–${pct(1 - 0.025 ** (1 / submitted))}`);
    const bullmq = entry(glance, 'durability-lost', 'bullmq');
    expect(bullmq.status).toBe('fail');
    expect(bullmq.figure).toMatch(/^1 of \d+ runs/);
    expect(bullmq.evidence).toEqual(['rag-ingest/bullmq/worker-kill']);
  });

  it('says "not measured" for what the run did not exercise, never a blank or a pass', () => {
    for (const row of [
      'state',
      'long-running',
      'version-drift',
      'compensation',
      'scheduling',
      'capacity',
      'language',
      'footprint',
    ]) {
      for (const adapter of glance.adapters) {
        const e = entry(glance, row, adapter);
        expect(e.status, `${row} ${adapter}`).toBe('not-measured');
        expect(e.figure).toMatch(/^not measured: /);
      }
    }
    const md = renderGlanceMarkdown(glance).join('\n');
    expect(md).toContain('– not measured: no timer step ran');
  });

  it('shows a percentile only when the sample supports it', () => {
    const n = cellOf(results, 'rag-ingest/bullmq/none').latencyMs.count;
    expect(n).toBeLessThan(100);
    expect(entry(glance, 'latency', 'bullmq').figure).toContain(`p99 n too small (${n})`);
  });

  it('marks differences between adapters as significant or not', () => {
    // 1 of 32 against 0 of 32 is noise.
    expect(entry(glance, 'durability-lost', 'bullmq').comparison).toBe(
      'not significantly different from temporal',
    );
    const lossy = loadResults();
    for (const cell of lossy.cells.filter((c) => c.adapter === 'bullmq' && c.fault !== 'none')) {
      cell.runs = { ...cell.runs, submitted: 200, lost: 40 };
    }
    for (const cell of lossy.cells.filter((c) => c.adapter === 'temporal' && c.fault !== 'none')) {
      cell.runs = { ...cell.runs, submitted: 200, lost: 0 };
    }
    expect(entry(buildGlance(lossy), 'durability-lost', 'bullmq').comparison).toBe(
      'significantly worse than temporal',
    );
  });

  it('judges state by the checkpoints: a step resumed within two checkpoints passes, one redone from scratch fails', () => {
    const withTraining = (redone: number[]): Results => {
      const r = loadResults();
      const definitions = r.config.scenarioDefinitions as { name: string; steps: object[] }[];
      definitions.push({
        name: 'train',
        steps: [
          {
            id: 'train',
            kind: 'compute',
            work: { dist: 'constant', ms: 3000 },
            checkpoint: { everyMs: 500 },
          },
        ],
      });
      const cell = structuredClone(cellOf(r, 'rag-ingest/bullmq/worker-kill')) as CellResult;
      Object.assign(cell, { id: 'train/bullmq/worker-kill', scenario: 'train', redoneWorkPerStepMs: redone });
      r.cells.push(cell);
      return r;
    };
    const resumed = entry(buildGlance(withTraining([200, 300, 700])), 'state', 'bullmq');
    expect(resumed.status).toBe('pass');
    expect(resumed.figure).toBe('400 ms over 3 interrupted steps');
    expect(entry(buildGlance(withTraining([2500, 2900])), 'state', 'bullmq').status).toBe('fail');
  });

  it('pools repeats: counts add up and the latency distributions merge', () => {
    const r = loadResults();
    const one = cellOf(r, 'rag-ingest/bullmq/none');
    const again = { ...structuredClone(one), id: `${one.id}@2`, repeat: 2 };
    const [pooled] = poolRepeats([{ ...one, id: `${one.id}@1`, repeat: 1 }, again]);
    expect(pooled!.id).toBe('rag-ingest/bullmq/none');
    expect(pooled!.cellIds).toEqual(['rag-ingest/bullmq/none@1', 'rag-ingest/bullmq/none@2']);
    expect(pooled!.runs.submitted).toBe(2 * one.runs.submitted);
    expect(pooled!.latencyMs.count).toBe(2 * one.latencyMs.count);
    expect(pooled!.latencyMs.p50).toBe(one.latencyMs.p50); // the same sample twice: the same median
  });

  it('writes one sentence per adapter a reader can quote', () => {
    expect(glance.sentences.bullmq).toMatch(/^bullmq lost 1 of \d+ runs under faults \(95% CI .*\)/);
    expect(glance.sentences.temporal).toMatch(/^temporal lost 0 of \d+ runs under faults/);
  });
});

describe('Markdown outputs', () => {
  it('hold no HTML entities, and user strings stay text', () => {
    const results = loadResults();
    results.cells[0]!.anomalies.push({ kind: 'lost-run', runId: `<b>x</b> & 'y'`, message: `<script>'` });
    const md = [renderMarkdown(results), renderReadinessMarkdown(evaluateReadiness(results))].join('\n');
    expect(md).not.toMatch(/&(lt|gt|amp|quot|#39);/);
  });
});
