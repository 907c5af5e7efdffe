/** The report's trace completeness section: transcribes each traced cell, absent when nothing was traced. */
import { describe, expect, it } from 'vitest';
import type { TraceCompleteness } from '../../core/results.js';
import { renderHtml } from '../../reports/html.js';
import { renderMarkdown } from '../../reports/markdown.js';
import { traceRows } from '../../reports/observability.js';
import { loadResults } from '../fixtures/results-small.js';

const traced = (completeRuns: number, runs: number, lostBuffered: number): TraceCompleteness => ({
  runs,
  completeRuns,
  completeness: completeRuns / runs,
  splitRuns: 0,
  attemptSpans: { expected: 90, exported: 90 - lostBuffered - 1, lostInFlight: 1, lostBuffered },
});

describe('trace completeness in the report', () => {
  it('a row per traced cell with the share of complete traces and the spans lost', () => {
    const results = loadResults();
    const [first, second] = results.cells;
    first!.traces = traced(8, 10, 3);
    second!.traces = null; // this cell was not traced
    const rows = traceRows(results);
    expect(rows).toEqual([
      [first!.scenario, first!.fault, first!.adapter, '80% (8/10)', '0', '86/90', '1', '3'],
    ]);
    const md = renderMarkdown(results);
    expect(md).toContain('## Observability: trace completeness');
    expect(md).toContain(
      `| ${first!.scenario} | ${first!.fault} | ${first!.adapter} | 80% (8/10) | 0 | 86/90 | 1 | 3 |`,
    );
    expect(renderHtml(results)).toContain('<td>80% (8/10)</td>');
  });

  it('no section when no cell was traced (results from before traces, or traces off)', () => {
    const results = loadResults();
    for (const cell of results.cells) delete cell.traces;
    expect(renderMarkdown(results)).not.toContain('trace completeness');
    expect(renderHtml(results)).not.toContain('trace completeness');
  });
});
