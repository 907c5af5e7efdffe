import { describe, expect, it } from 'vitest';
import { evaluateGates } from '../../analysis/gates/index.js';
import { compareResults } from '../../reports/compare.js';
import { escapeXml, renderJunit } from '../../reports/junit.js';
import { cellOf, loadResults } from '../fixtures/results-small.js';

function testcases(xml: string): string[] {
  return xml.match(/<testcase [\s\S]*?<\/testcase>/g) ?? [];
}

describe('junit.xml', () => {
  const results = loadResults();
  const gates = evaluateGates(
    [
      'lost == 0',
      'lost{adapter:temporal} == 0',
      'recovery.p95{fault:none} < 30s',
      'latency.p99{fault:none} < 2s',
    ],
    results,
  );
  const xml = renderJunit(gates, { timestamp: results.createdAt });

  it('has one testcase per gate, named by its expression (escaped)', () => {
    const cases = testcases(xml);
    expect(cases).toHaveLength(4);
    expect(cases.map((c) => /name="([^"]*)"/.exec(c)![1])).toEqual([
      'lost == 0',
      'lost{adapter:temporal} == 0',
      'recovery.p95{fault:none} &lt; 30s',
      'latency.p99{fault:none} &lt; 2s',
    ]);
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
    expect(xml).toContain('tests="4" failures="1" errors="1" skipped="0"');
    expect(xml).toContain('timestamp="2025-01-01T00:10:00.000Z"');
  });

  it('a failed gate has a <failure> citing the failing cell and value', () => {
    const [failed, passed] = testcases(xml);
    expect(failed).toContain(
      '<failure message="FAIL: failed in 1 of 6 cells: rag-ingest/bullmq/worker-kill (lost=1)" type="FAIL">',
    );
    expect(failed).toContain('FAIL rag-ingest/bullmq/worker-kill: lost = 1');
    expect(passed).not.toMatch(/<failure|<error|<skipped/);
    expect(passed).toContain('<system-out>PASS rag-ingest/temporal/none: lost = 0');
  });

  it('an UNKNOWN gate is an <error> (not passed), or <skipped> when asked', () => {
    const unknown = testcases(xml)[2]!;
    expect(unknown).toContain(
      '<error message="UNKNOWN: no samples: no cell this gate applies to" type="UNKNOWN">',
    );
    const skipped = renderJunit(gates, { unknownAs: 'skipped' });
    expect(testcases(skipped)[2]).toContain('<skipped message="UNKNOWN: no samples');
    expect(skipped).toContain('tests="4" failures="1" errors="0" skipped="1"');
  });

  it('adds a regression testcase with a baseline', () => {
    const current = loadResults();
    cellOf(current, 'rag-ingest/temporal/none').runs.lost = 2;
    const withComparison = renderJunit([], { comparison: compareResults(results, current, 0.1) });
    const [regression] = testcases(withComparison);
    expect(regression).toContain('name="no regression against the baseline"');
    expect(regression).toContain(
      '<failure message="1 metric(s) regressed beyond the tolerance" type="FAIL">',
    );
    expect(regression).toContain('rag-ingest/temporal/none lost: 0 → 2');
  });

  it('escapes XML and drops characters XML cannot hold', () => {
    expect(escapeXml(`<a b="c">&'\u0001`)).toBe('&lt;a b=&quot;c&quot;&gt;&amp;&apos;');
    expect(renderJunit([])).toContain('tests="0" failures="0" errors="0" skipped="0"');
  });
});
