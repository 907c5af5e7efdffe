import { describe, expect, it } from 'vitest';
import type { CellResult, Results } from '../../core/results.js';
import type { AdapterLineage } from '../../core/topology.js';
import { fmtMs, fmtNum } from '../../reports/format.js';
import { renderHtml } from '../../reports/html.js';
import { parityGroups, paritySentences, workerCpuPerRunMs } from '../../reports/language-parity.js';
import { renderMarkdown } from '../../reports/markdown.js';
import { cellOf, loadResults } from '../fixtures/results-small.js';

type Adapters = { name: string; topology: { lineage?: AdapterLineage } }[];

/**
 * The fixture with a third adapter, `temporal-python`, of temporal's family: a copy of
 * temporal's cells with slower runs, more worker CPU, and one more duplicate effect under
 * worker-kill. Lineages as given (none: the fixture's own config, without any).
 */
function withPythonTwin(lineage: Record<string, AdapterLineage | undefined>): Results {
  const results = loadResults();
  const adapters = results.config.adapters as Adapters;
  const twin = structuredClone(adapters.find((a) => a.name === 'temporal')!);
  twin.name = 'temporal-python';
  adapters.push(twin);
  for (const adapter of adapters) {
    const declared = lineage[adapter.name];
    if (declared) adapter.topology.lineage = declared;
  }
  const cells: CellResult[] = [];
  for (const cell of results.cells) {
    cells.push(cell);
    if (cell.adapter !== 'temporal') continue;
    const copy = structuredClone(cell);
    copy.adapter = 'temporal-python';
    copy.id = `${cell.scenario}/temporal-python/${cell.fault}`;
    copy.latencyMs.p50 = cell.latencyMs.p50! * 2;
    copy.workerUsage = { processes: 2, cpuMs: 3000, startupCpuMs: 1000, maxPeakRssKb: 70_000 };
    cell.workerUsage = { processes: 2, cpuMs: 5000, startupCpuMs: 4000, maxPeakRssKb: 280_000 };
    if (cell.fault === 'worker-kill') {
      copy.effects.duplicates = 1;
      copy.anomalyCounts['duplicate-effect'] = 1;
      copy.verdict = 'fail';
    }
    cells.push(copy);
  }
  results.cells = cells;
  return results;
}

const LINEAGE = {
  bullmq: undefined,
  temporal: { family: 'temporal', language: 'typescript' },
  'temporal-python': { family: 'temporal', language: 'python' },
};

describe('language parity', () => {
  it('pairs cells of one family in different languages, from the declared lineage, per scenario and fault', () => {
    const groups = parityGroups(withPythonTwin(LINEAGE));
    expect(
      groups.map((g) => `${g.fault} ${g.family} ${g.cells.map((c) => c.cell.adapter).join(',')}`),
    ).toEqual([
      'none temporal temporal,temporal-python',
      'worker-kill temporal temporal,temporal-python',
      'backend-restart temporal temporal,temporal-python',
    ]);
    // Same language, or no lineage at all: nothing to compare.
    expect(parityGroups(withPythonTwin({ ...LINEAGE, 'temporal-python': LINEAGE.temporal }))).toEqual([]);
    expect(parityGroups(withPythonTwin({}))).toEqual([]);
  });

  it('says whether verdicts and harm counts agree, and how latency, throughput and CPU compare', () => {
    const results = withPythonTwin(LINEAGE);
    const [none, kill] = parityGroups(results);
    const ts = cellOf(results, 'rag-ingest/temporal/none');
    const py = cellOf(results, 'rag-ingest/temporal-python/none');
    // Serving CPU per submitted run: (cpu - start-up) / runs.
    expect(workerCpuPerRunMs(ts)).toBe((5000 - 4000) / ts.runs.submitted);
    expect(workerCpuPerRunMs(py)).toBe((3000 - 1000) / py.runs.submitted);
    const [sentence] = paritySentences(none!);
    expect(sentence).toContain(
      'Temporal-python (python) against temporal (typescript): verdicts agree (PASS); harm counts agree',
    );
    expect(sentence).toContain(
      `Latency p50 2× (${fmtMs(py.latencyMs.p50)} against ${fmtMs(ts.latencyMs.p50)})`,
    );
    expect(sentence).toContain(`throughput 1× (${fmtNum(py.throughputPerSec)} runs/s`);
    expect(sentence).toContain(
      `worker CPU per run 2× (${fmtMs(workerCpuPerRunMs(py))} against ${fmtMs(workerCpuPerRunMs(ts))})`,
    );
    const killed = cellOf(results, 'rag-ingest/temporal/worker-kill');
    expect(killed.effects.duplicates).toBe(0);
    expect(paritySentences(kill!)[0]).toContain(
      'verdicts differ (FAIL against PASS); harm counts differ: duplicate-effect 1 against 0',
    );
  });

  it('appears in report.md and report.html, and not without a family in two languages', () => {
    const results = withPythonTwin(LINEAGE);
    const md = renderMarkdown(results);
    expect(md).toContain('## Language parity');
    expect(md).toContain('### rag-ingest × worker-kill (temporal family)');
    expect(md).toContain('|  | **temporal** | **temporal-python** |');
    expect(md).toContain('| language | typescript | python |');
    expect(md).toContain('| duplicate effects | 0 | 1 |');
    expect(md).toContain('verdicts differ (FAIL against PASS)');
    const html = renderHtml(results);
    expect(html).toContain('<h2 id="language-parity">Language parity</h2>');
    expect(html).toContain('<th>language</th><td>typescript</td><td>python</td>');
    expect(html).toContain('verdicts differ (FAIL against PASS)');
    expect(renderMarkdown(loadResults())).not.toContain('Language parity');
    expect(renderHtml(loadResults())).not.toContain('Language parity');
  });
});
