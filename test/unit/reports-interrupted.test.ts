import { describe, expect, it } from 'vitest';
import { analyzeHistory } from '../../analysis/analyze.js';
import { evaluateGates } from '../../analysis/gates/evaluate.js';
import { parseGates } from '../../analysis/gates/parse.js';
import { type HistoryEvent, RUN_LEVEL } from '../../core/history/events.js';
import { plannedRunId, RESULTS_SCHEMA_VERSION, type Results } from '../../core/results.js';
import { summaryTable } from '../../harness/cli/table.js';
import { interruptionText } from '../../reports/format.js';
import {
  evaluateReadiness,
  renderCiSummary,
  renderHtml,
  renderJunit,
  renderMarkdown,
  renderReadinessMarkdown,
  summaryCsv,
} from '../../reports/index.js';
import { HistoryBuilder } from './history-builder.js';

/** A run stopped by SIGTERM with run-006 in flight: every report must say so. */
async function interruptedResults(): Promise<Results> {
  const h = new HistoryBuilder();
  for (let i = 0; i < 5; i++) h.run(plannedRunId(i, 10), { at: 10 + i * 100 });
  h.submit(plannedRunId(5, 10), { at: 600 }).step(plannedRunId(5, 10), 'ingest');
  const events: HistoryEvent[] = [
    { type: 'cell-start', cell: h.cell, drainTimeoutMs: 1000, workers: ['w1'], t: 1 },
    ...h.events,
    { type: 'run-interrupted', cell: RUN_LEVEL, signal: 'SIGTERM', t: 700 },
  ];
  const cells = await analyzeHistory(events, [h.cellMeta({ plannedRuns: 10 })]);
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'faultline', version: '0.0.0', node: 'v20' },
    createdAt: '2025-01-01T00:00:00.000Z',
    config: { thresholds: ['lost == 0'] },
    cells,
    interrupted: { signal: 'SIGTERM', cells: [cells[0]!.id] },
  };
}

describe('an interrupted run in every report', () => {
  it('says so in Markdown, HTML, CSV, JUnit, the CI summary, readiness and the terminal table', async () => {
    const results = await interruptedResults();
    const sentence = interruptionText(results)!;
    expect(sentence).toMatch(/stopped by SIGTERM before cell rag-ingest\/test-adapter\/none ended\. 1 run/);
    const gates = evaluateGates(parseGates(['lost == 0']), results);
    // lost is 0, but an interrupted cell has no final figures: the gate cannot pass.
    expect(gates[0]!.status).toBe('UNKNOWN');
    expect(renderMarkdown(results, { gates })).toContain(sentence);
    expect(renderMarkdown(results)).toContain('UNKNOWN (interrupted)');
    expect(renderHtml(results, { gates })).toContain('class="interrupted"');
    const [header, row] = summaryCsv(results).trim().split('\n');
    const columns = header!.split(',');
    const values = row!.split(',');
    expect(values[columns.indexOf('interrupted')]).toBe('SIGTERM');
    expect(values[columns.indexOf('runsInterrupted')]).toBe('1');
    expect(values[columns.indexOf('verdict')]).toBe('unknown');
    const junit = renderJunit(gates, { interrupted: sentence });
    expect(junit).toContain('<testcase name="the run was not interrupted"');
    expect(junit).toMatch(/errors="2"/); // the interruption and the UNKNOWN gate
    expect(renderCiSummary(results, gates)).toContain(sentence);
    const readiness = evaluateReadiness(results);
    expect(readiness.interrupted).toBe(sentence);
    expect(readiness.entries.flatMap((e) => e.criteria.map((c) => c.status))).not.toContain('PASS');
    expect(renderReadinessMarkdown(readiness)).toContain(sentence);
    expect(summaryTable(results.cells)).toContain('UNKNOWN (interrupted)');
  });
});
