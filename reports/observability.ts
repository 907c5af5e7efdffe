import type { Results } from '../core/results.js';
import { DASH, escapeHtml as esc, fmtNum, mdCell, mdTable } from './format.js';

/**
 * The seed's "observability and governance" row, measured: per adapter and fault, how
 * many finished runs a team would see whole in its traces, and the attempt spans a dying
 * worker took with it (analysis/traces/completeness.ts).
 */
const TRACE_COLUMNS = [
  'scenario',
  'fault',
  'adapter',
  'complete traces',
  'split runs',
  'attempt spans',
  'lost in flight',
  'lost in buffer',
] as const;

/** One row per traced cell; none when the run was not traced (or predates traces). */
export function traceRows(results: Results): string[][] {
  const rows: string[][] = [];
  for (const cell of results.cells) {
    const t = cell.traces;
    if (t === undefined || t === null) continue;
    const share = t.completeness === null ? DASH : `${fmtNum(t.completeness * 100)}%`;
    const spans = t.attemptSpans;
    rows.push([
      cell.scenario,
      cell.fault,
      cell.adapter,
      `${share} (${t.completeRuns}/${t.runs})`,
      String(t.splitRuns),
      `${spans.exported}/${spans.expected}`,
      String(spans.lostInFlight),
      String(spans.lostBuffered),
    ]);
  }
  return rows;
}

const EXPLANATION =
  'A trace is complete when it holds the run’s root span and the span of every attempt that ended; ' +
  'spans are lost in flight when a kill cuts an attempt short, and in the buffer when the worker died ' +
  'before its batching exporter wrote spans that had ended. Split runs: spans in more than one trace ' +
  '(the context did not travel).';

export function traceMarkdown(results: Results): string[] {
  const rows = traceRows(results);
  if (rows.length === 0) return [];
  return [
    '## Observability: trace completeness',
    '',
    EXPLANATION,
    '',
    mdTable(
      [...TRACE_COLUMNS],
      rows.map((row) => row.map(mdCell)),
    ),
    '',
  ];
}

export function traceHtml(results: Results): string {
  const rows = traceRows(results);
  if (rows.length === 0) return '';
  const head = TRACE_COLUMNS.map((c) => `<th>${esc(c)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((v) => `<td>${esc(v)}</td>`).join('')}</tr>`).join('');
  return `<h2>Observability: trace completeness</h2><p class="meta">${esc(EXPLANATION)}</p><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}
