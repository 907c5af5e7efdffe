import { describe, expect, it } from 'vitest';
import { evaluateGates } from '../../analysis/gates/index.js';
import { fmtMs } from '../../reports/format.js';
import { renderMarkdown } from '../../reports/markdown.js';
import { narrate } from '../../reports/narrative.js';
import { cellOf, HTML_KNOB, killOf, loadResults } from '../fixtures/results-small.js';

/** The lines of one `## scenario × fault` section. */
function section(markdown: string, title: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${title}`);
  expect(start, `section ${title}`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start, end < 0 ? undefined : end);
}

describe('report.md', () => {
  const results = loadResults();
  const markdown = renderMarkdown(results, {
    gates: evaluateGates(['lost == 0', 'latency.p99 < 2s'], results),
  });

  it('puts the adapters side by side per scenario and fault', () => {
    const wk = section(markdown, 'rag-ingest × worker-kill');
    expect(wk).toContain('|  | **bullmq** | **temporal** |');
    expect(wk).toContain('| verdict | FAIL | PASS |');
    expect(wk).toContain('| runs submitted / completed / failed | 16 / 15 / 0 | 16 / 16 / 0 |');
    expect(wk).toContain('| lost runs | 1 | 0 |');
    expect(wk).toContain('| duplicate effects | 1 | 0 |');
    expect(wk).toContain('| deduplicated by key | 0 | 2 |');
    expect(wk).toContain('| latency p50 / p95 / p99 | 1.08 s / 6.3 s / 6.3 s | 1.13 s / 3.3 s / 3.3 s |');
    const recovery = ['bullmq', 'temporal'].map((a) => fmtMs(killOf(results, a).timeToFirstProgressMs));
    expect(wk).toContain(`| recovery: first progress (max) | ${recovery.join(' | ')} |`);
    expect(wk).toContain('| recovery governed by | lockDuration=5000 | heartbeatTimeoutMs=2000 |');
    const none = section(markdown, 'rag-ingest × none');
    expect(none).toContain('| lost runs | 0 | 0 |');
    expect(none).toContain('| recovery: first progress (max) | – | – |');
    expect(markdown).toContain('## rag-ingest × backend-restart');
  });

  it('says what happened in each cell', () => {
    const wk = section(markdown, 'rag-ingest × worker-kill').join('\n');
    expect(wk).toContain(
      '- **bullmq**: 1 of 16 runs lost and 1 effect applied more than once after a kill fault.',
    );
    expect(wk).toContain('recovery governed by lockDuration=5000.');
    expect(wk).toContain('idempotency keys blocked 2 repeated effects');
  });

  it('prints every knob, user strings as inline code', () => {
    const knobs = section(markdown, 'Knobs used').join('\n');
    expect(knobs).toContain('| lockDuration | `5000` |');
    expect(knobs).toContain(`| prefix | \`${HTML_KNOB}\` |`);
    // The only raw "<script" is inside that code span (shown literally by Markdown renderers).
    expect(markdown.split('<script').length - 1).toBe(1);
  });

  it('prints each distinct knob set of an adapter', () => {
    const varied = loadResults();
    cellOf(varied, 'rag-ingest/bullmq/backend-restart').knobs = { lockDuration: 30000 };
    const knobs = section(renderMarkdown(varied), 'Knobs used');
    expect(knobs).toContain('### bullmq');
    expect(knobs).toContain('### bullmq (rag-ingest/bullmq/backend-restart)');
    expect(knobs).toContain('| lockDuration | `30000` |');
  });

  it('lists the gates with their evidence', () => {
    const gates = section(markdown, 'Gates');
    expect(gates).toContain(
      '| `lost == 0` | FAIL | failed in 1 of 6 cells: rag-ingest/bullmq/worker-kill (lost=1) |',
    );
    expect(gates.join('\n')).toContain('| `latency.p99 < 2s` | FAIL |');
  });

  it('header names the run', () => {
    expect(markdown).toMatch(/^# Faultline report\n/);
    expect(markdown).toContain('Seed 7; 16 runs per cell at 2.5 runs/s (2 warm-up), 2 workers per adapter');
  });
});

describe('narrate', () => {
  const results = loadResults();

  it('tells harm, its cause and what governed recovery', () => {
    const kill = killOf(results, 'bullmq');
    expect(narrate(cellOf(results, 'rag-ingest/bullmq/worker-kill'))).toEqual([
      '1 of 16 runs lost and 1 effect applied more than once after a kill fault.',
      `Affected runs progressed again ${fmtMs(kill.timeToFirstProgressMs)} after the fault and throughput was back to 90% after ${fmtMs(kill.timeToThroughputRecoveryMs)} and the slowest affected run took ${fmtMs(kill.affectedRunsMaxDelayMs)} longer than the median; recovery governed by lockDuration=5000.`,
    ]);
    expect(kill.affectedRunsMaxDelayMs).toBeGreaterThan(0);
  });

  it('tells a clean baseline with its latency and throughput', () => {
    expect(narrate(cellOf(results, 'rag-ingest/bullmq/none'))).toEqual([
      'All 16 runs finished: none lost, no effect applied twice.',
      'Latency p50 1.05 s, p99 1.16 s at 3.18 runs/s.',
    ]);
  });

  it('mentions allowed failures and compensations', () => {
    const cell = cellOf(loadResults(), 'rag-ingest/temporal/backend-restart');
    cell.runs.failed = 1;
    cell.effects.compensated = 1;
    expect(narrate(cell)[0]).toBe(
      'All 16 runs finished (1 failed as the scenario allows) after a backend-restart fault: none lost, no effect applied twice, 1 effect compensated.',
    );
  });

  it('says when no affected run progressed and when nothing ran', () => {
    const stuck = cellOf(loadResults(), 'rag-ingest/bullmq/backend-restart');
    stuck.faults = stuck.faults.map((f) => ({
      ...f,
      timeToFirstProgressMs: null,
      timeToThroughputRecoveryMs: null,
    }));
    expect(narrate(stuck)[1]).toBe(
      'No affected run made progress after the fault, and throughput did not recover.',
    );
    const empty = cellOf(loadResults(), 'rag-ingest/bullmq/none');
    empty.runs = {
      ...{ submitted: 0, completed: 0, failed: 0, lost: 0, warmup: 0, refused: 0 },
      lostBy: { noOutcome: 0, missingEffects: 0, gaveUp: 0 },
      interrupted: 0,
    };
    expect(narrate(empty)).toEqual(['No run was submitted, so there is nothing to judge.']);
  });
});

describe('narrative: a cell bound by the harness says so', () => {
  it('names the world when it used most of a core, and stays quiet otherwise', async () => {
    const { narrate, WORLD_BOUND_CPU } = await import('../../reports/narrative.js');
    const { readFileSync } = await import('node:fs');
    const results = JSON.parse(
      readFileSync(new URL('../fixtures/results-small/results.json', import.meta.url), 'utf8'),
    ) as import('../../core/results.js').Results;
    const cell = results.cells[0]!;
    const busy = { ...cell, world: { requests: 100_000, cpuUtilisation: WORLD_BOUND_CPU + 0.1 } };
    const idle = { ...cell, world: { requests: 100, cpuUtilisation: 0.05 } };
    expect(narrate(busy).at(-1)).toMatch(
      /simulated world used 90% of a core: this cell may have measured the harness/,
    );
    expect(narrate(idle).join(' ')).not.toMatch(/simulated world/);
  });
});
