import type { GateResult } from '../analysis/gates/evaluate.js';
import type { Results } from '../core/results.js';
import { cellRowsFor } from './cell-rows.js';
import {
  configText,
  DASH,
  groupCells,
  interruptionText,
  knobSets,
  knobText,
  mdCell,
  mdCode,
  mdTable,
} from './format.js';
import { buildGlance } from './glance.js';
import { renderGlanceMarkdown } from './glance-render.js';
import { PARITY_ROWS, parityGroups, paritySentences } from './language-parity.js';
import { narrate } from './narrative.js';
import { traceMarkdown } from './observability.js';

/**
 * report.md: per scenario and fault, the adapters side by side (one column each),
 * then what happened in plain sentences, the knobs used and, when given, the gates.
 */

export interface MarkdownOptions {
  gates?: readonly GateResult[];
}

export function renderMarkdown(results: Results, options: MarkdownOptions = {}): string {
  const out: string[] = [
    '# Faultline report',
    '',
    header(results),
    '',
    ...renderGlanceMarkdown(buildGlance(results)),
  ];
  for (const group of groupCells(results)) {
    out.push(`## ${mdCell(group.scenario)} × ${mdCell(group.fault)}`, '');
    const rows = cellRowsFor(group.cells).map(([label, value]) => [
      label,
      ...group.cells.map((c) => mdCell(value(c))),
    ]);
    out.push(mdTable(['', ...group.cells.map((c) => `**${mdCell(c.adapter)}**`)], rows), '');
    out.push('What happened:', '');
    for (const cell of group.cells)
      out.push(`- **${mdCell(cell.adapter)}**: ${mdCell(narrate(cell).join(' '))}`);
    out.push('');
  }
  out.push(...paritySection(results));
  out.push(...traceMarkdown(results));
  out.push(...knobsSection(results));
  if (options.gates !== undefined) out.push(...gatesSection(options.gates));
  return `${out.join('\n').trimEnd()}\n`;
}

function header(results: Results): string {
  const { config } = results;
  const load = (config.load ?? {}) as Record<string, unknown>;
  const lines = [
    `Created ${mdCell(results.createdAt)} by faultline ${mdCell(results.tool.version)} on Node ${mdCell(results.tool.node)}.`,
    `Seed ${mdCell(configText(config, 'seed'))}; ${mdCell(String(load.runs ?? DASH))} runs per cell at ` +
      `${mdCell(String(load.ratePerSec ?? DASH))} runs/s (${mdCell(String(load.warmupRuns ?? DASH))} warm-up), ` +
      `${mdCell(String(load.workers ?? DASH))} workers per adapter; idempotent effects: ` +
      `${mdCell(configText(config, 'idempotent'))}; backend persistence: ${mdCell(configText(config, 'backendPersistence'))}.`,
  ];
  if (typeof config.description === 'string') lines.unshift(`> ${mdCell(config.description)}`, '');
  const interrupted = interruptionText(results);
  if (interrupted !== null) lines.push('', `> **${mdCell(interrupted)}**`);
  return lines.join('\n');
}

/** Adapters of one orchestrator family in different languages, side by side (language-parity.ts). */
function paritySection(results: Results): string[] {
  const groups = parityGroups(results);
  if (groups.length === 0) return [];
  const out = [
    '## Language parity',
    '',
    'The same scenario and fault on one orchestrator driven from workers in different languages: ' +
      'the guarantees should agree, the costs may not.',
    '',
  ];
  for (const group of groups) {
    out.push(`### ${mdCell(group.scenario)} × ${mdCell(group.fault)} (${mdCell(group.family)} family)`, '');
    const rows = PARITY_ROWS.map(([label, value]) => [label, ...group.cells.map((c) => mdCell(value(c)))]);
    out.push(mdTable(['', ...group.cells.map((c) => `**${mdCell(c.cell.adapter)}**`)], rows), '');
    for (const sentence of paritySentences(group)) out.push(`- ${mdCell(sentence)}`);
    out.push('');
  }
  return out;
}

/** Every adapter's knob values as used (one table per distinct set). */
function knobsSection(results: Results): string[] {
  const out = ['## Knobs used', ''];
  for (const set of knobSets(results)) {
    out.push(`### ${mdCell(set.adapter)}${set.variant ? ` (${mdCell(set.cell)})` : ''}`, '');
    const entries = Object.entries(set.knobs);
    if (entries.length === 0) out.push('(defaults; no knob set)', '');
    else
      out.push(
        mdTable(
          ['knob', 'value'],
          entries.map(([k, v]) => [mdCell(k), mdCode(knobText(v))]),
        ),
        '',
      );
  }
  return out;
}

function gatesSection(gates: readonly GateResult[]): string[] {
  if (gates.length === 0) return ['## Gates', '', 'No gates declared.', ''];
  const rows = gates.map((g) => [mdCode(g.gate.expression), g.status, mdCell(g.message)]);
  return ['## Gates', '', mdTable(['gate', 'status', 'evidence'], rows), ''];
}
