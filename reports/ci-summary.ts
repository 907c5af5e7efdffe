import { appendFileSync } from 'node:fs';
import type { GateResult } from '../analysis/gates/evaluate.js';
import type { Results } from '../core/results.js';
import { type Comparison, renderComparisonMarkdown } from './compare.js';
import { fmtMs, fmtNum, interruptionText, mdCell, mdCode, mdTable, verdictText } from './format.js';

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
  const cells = results.cells.map((c) => [
    mdCell(c.id),
    verdictText(c),
    String(c.runs.lost),
    String(c.effects.duplicates),
    fmtMs(c.latencyMs.p99),
    fmtNum(c.throughputPerSec),
  ]);
  out.push(mdTable(['cell', 'verdict', 'lost', 'duplicates', 'latency p99', 'runs/s'], cells), '');
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
