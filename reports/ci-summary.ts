import { appendFileSync } from 'node:fs';
import type { GateResult } from '../analysis/gates/evaluate.js';
import { type MetricName, metric } from '../analysis/metrics/catalog.js';
import type { Results } from '../core/results.js';
import { type Comparison, renderComparisonMarkdown } from './compare.js';
import {
  interruptionText,
  mdCell,
  mdCode,
  mdTable,
  metricHeading,
  metricText,
  verdictText,
} from './format.js';

/** The catalog metrics of the per-cell lines, headed by their gate names. */
const CELL_METRICS: readonly MetricName[] = ['lost', 'duplicates', 'latency.p99', 'throughput'];

/**
 * The short Markdown summary `faultline ci` prints and, on GitHub Actions, appends
 * to the job summary: gates first, then one line per cell, then the comparison.
 */
export function renderCiSummary(
  results: Results,
  gates: readonly GateResult[],
  comparison?: Comparison,
): string {
  const out = ['## Faultline', ''];
  const interrupted = interruptionText(results);
  if (interrupted !== null) out.push(`**${mdCell(interrupted)}**`, '');
  if (gates.length === 0) out.push('No gates declared.', '');
  else {
    const rows = gates.map((g) => [mdCode(g.gate.expression), `**${g.status}**`, mdCell(g.message)]);
    out.push(mdTable(['gate', 'status', 'evidence'], rows), '');
  }
  const metrics = CELL_METRICS.map(metric);
  const cells = results.cells.map((c) => [
    mdCell(c.id),
    verdictText(c),
    ...metrics.map((m) => metricText(m, c)),
  ]);
  out.push(mdTable(['cell', 'verdict', ...metrics.map(metricHeading)], cells), '');
  if (comparison !== undefined) out.push(renderComparisonMarkdown(comparison).replace(/^# /, '### '));
  return `${out.join('\n').trimEnd()}\n`;
}

/**
 * Appends to $GITHUB_STEP_SUMMARY when it is set; returns whether it wrote.
 * `env` is a parameter so tests need not touch the real environment.
 */
export function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const path = env.GITHUB_STEP_SUMMARY;
  if (path === undefined || path === '') return false;
  appendFileSync(path, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  return true;
}
