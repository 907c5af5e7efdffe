import { escapeHtml as esc, mdCell, mdSlug, mdTable } from './format.js';
import type { Glance, GlanceEntry, GlanceStatus } from './glance.js';

/** The glance table as report.md and report.html open with it. */

const MARK: Record<GlanceStatus, string> = { pass: '✓', fail: '✗', unknown: '·', 'not-measured': '–' };

const HOW_TO_READ =
  'Each cell: ✓ meets the criterion, ✗ does not, · measured without a rule, – not measured in this run; ' +
  'the figure, its 95% interval, how it compares with the best adapter of the row, and the cells it rests on.';

/** The section a group id (`scenario/adapter/fault`) is shown in: `scenario × fault`. */
const sectionTitle = (groupId: string) => {
  const [scenario = '', , fault = ''] = groupId.split('/');
  return `${scenario} × ${fault}`;
};

/** The HTML id of a scenario × fault section. */
export const sectionId = (title: string) => `cell-${mdSlug(title)}`;

const MAX_LINKS = 3;

function entryText(entry: GlanceEntry): string {
  return [entry.figure, entry.intervalText, entry.comparison].filter(Boolean).join('; ');
}

function evidenceTitles(entry: GlanceEntry): string[] {
  return [...new Set(entry.evidence.map(sectionTitle))];
}

export function renderGlanceMarkdown(glance: Glance): string[] {
  if (glance.adapters.length === 0) return [];
  const rows = glance.rows.map((row) => [
    `**${mdCell(row.criterion)}**: ${mdCell(row.measure)}`,
    ...glance.adapters.map((adapter) => {
      const entry = row.entries[adapter]!;
      const titles = evidenceTitles(entry);
      const links = titles.slice(0, MAX_LINKS).map((t) => `[${mdCell(t)}](#${mdSlug(t)})`);
      if (titles.length > MAX_LINKS) links.push(`and ${titles.length - MAX_LINKS} more`);
      return `${MARK[entry.status]} ${mdCell(entryText(entry))}${links.length > 0 ? ` (${links.join(', ')})` : ''}`;
    }),
  ]);
  return [
    '## The answer at a glance',
    '',
    HOW_TO_READ,
    '',
    mdTable(['criterion', ...glance.adapters.map((a) => `**${mdCell(a)}**`)], rows),
    '',
    ...glance.adapters.map((a) => `- ${mdCell(glance.sentences[a]!)}`),
    '',
  ];
}

export function renderGlanceHtml(glance: Glance): string {
  if (glance.adapters.length === 0) return '';
  const head = `<tr><th>criterion</th>${glance.adapters.map((a) => `<th>${esc(a)}</th>`).join('')}</tr>`;
  const body = glance.rows
    .map((row) => {
      const cells = glance.adapters.map((adapter) => {
        const entry = row.entries[adapter]!;
        const titles = evidenceTitles(entry);
        const links = titles
          .slice(0, MAX_LINKS)
          .map((t) => `<a href="#${esc(sectionId(t))}">${esc(t)}</a>`)
          .concat(titles.length > MAX_LINKS ? [`and ${titles.length - MAX_LINKS} more`] : []);
        return (
          `<td class="glance-${entry.status}" data-adapter="${esc(adapter)}" data-status="${entry.status}">` +
          `<span class="mark">${MARK[entry.status]}</span> ${esc(entryText(entry))}` +
          `${links.length > 0 ? `<div class="evidence">${links.join(', ')}</div>` : ''}</td>`
        );
      });
      return `<tr data-row="${esc(row.id)}"><th><b>${esc(row.criterion)}</b>: ${esc(row.measure)}</th>${cells.join('')}</tr>`;
    })
    .join('');
  const sentences = glance.adapters.map((a) => `<li>${esc(glance.sentences[a]!)}</li>`).join('');
  return (
    `<section id="glance"><h2>The answer at a glance</h2><p class="meta">${esc(HOW_TO_READ)}</p>` +
    `<table class="glance">${head}${body}</table><ul class="sentences">${sentences}</ul></section>`
  );
}
