import type { GateResult } from '../analysis/gates/evaluate.js';
import type { Comparison } from './compare.js';

/**
 * junit.xml for CI test reporters: one <testcase> per gate.
 * - PASS: an empty testcase (per-cell values in <system-out>).
 * - FAIL: a <failure> with the failing cells and their observed values.
 * - UNKNOWN: an <error type="UNKNOWN"> by default. JUnit's "error" means the test
 *   could not reach a verdict, which is exactly a gate without samples; reporters
 *   count errors as not passed, in agreement with `faultline ci` exiting 1. A
 *   <skipped> would be shown as neutral — the silent pass a gate must never be —
 *   so it is only used when the caller asks (`unknownAs: 'skipped'`, for a ci that
 *   lets UNKNOWN pass).
 * With a baseline comparison, one more testcase says whether anything regressed.
 */

export interface JunitOptions {
  suiteName?: string;
  /** ISO time of the run (results.createdAt), so the file is reproducible. */
  timestamp?: string;
  unknownAs?: 'error' | 'skipped';
  comparison?: Comparison;
  /** The interruption sentence of a run cut short (reports/format.ts): one error case says so. */
  interrupted?: string | null;
}

export function escapeXml(text: string): string {
  return (
    text
      // Characters XML 1.0 cannot hold at all.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replaceAll('&', '&amp;')
      .replaceAll('<', '&lt;')
      .replaceAll('>', '&gt;')
      .replaceAll('"', '&quot;')
      .replaceAll("'", '&apos;')
  );
}

interface Case {
  name: string;
  classname: string;
  outcome: 'pass' | 'failure' | 'error' | 'skipped';
  message: string;
  detail: string;
}

function gateCase(gate: GateResult, unknownAs: 'error' | 'skipped'): Case {
  const detail = gate.cells
    .map(
      (c) =>
        `${c.status} ${c.cell}: ${gate.gate.metric} = ${c.observed === null ? 'no samples' : c.observed}`,
    )
    .join('\n');
  const outcome = gate.status === 'PASS' ? 'pass' : gate.status === 'FAIL' ? 'failure' : unknownAs;
  return {
    name: gate.gate.expression,
    classname: 'faultline.gates',
    outcome,
    message: `${gate.status}: ${gate.message}`,
    detail,
  };
}

function comparisonCase(comparison: Comparison): Case {
  const regressions = comparison.cells.flatMap((cell) =>
    cell.metrics
      .filter((m) => m.status === 'regression')
      .map((m) => `${cell.cell} ${m.metric}: ${m.baseline} → ${m.current}`),
  );
  return {
    name: 'no regression against the baseline',
    classname: 'faultline.compare',
    outcome: regressions.length > 0 ? 'failure' : 'pass',
    message:
      regressions.length > 0
        ? `${regressions.length} metric(s) regressed beyond the tolerance`
        : 'no metric regressed beyond the tolerance',
    detail: regressions.join('\n'),
  };
}

function renderCase(c: Case): string {
  const open = `    <testcase name="${escapeXml(c.name)}" classname="${escapeXml(c.classname)}" time="0">`;
  const message = escapeXml(c.message);
  const detail = escapeXml(c.detail);
  switch (c.outcome) {
    case 'pass':
      return `${open}\n      <system-out>${detail}</system-out>\n    </testcase>`;
    case 'failure':
      return `${open}\n      <failure message="${message}" type="FAIL">${detail}</failure>\n    </testcase>`;
    case 'error':
      return `${open}\n      <error message="${message}" type="UNKNOWN">${detail}</error>\n    </testcase>`;
    case 'skipped':
      return `${open}\n      <skipped message="${message}"/>\n      <system-out>${detail}</system-out>\n    </testcase>`;
  }
}

export function renderJunit(gates: readonly GateResult[], options: JunitOptions = {}): string {
  const cases = gates.map((g) => gateCase(g, options.unknownAs ?? 'error'));
  if (options.interrupted != null) {
    // A run cut short proves nothing: CI must not read its passing gates as a pass.
    cases.unshift({
      name: 'the run was not interrupted',
      classname: 'faultline.run',
      outcome: 'error',
      message: 'the run was interrupted',
      detail: options.interrupted,
    });
  }
  if (options.comparison !== undefined) cases.push(comparisonCase(options.comparison));
  const count = (outcome: Case['outcome']) => cases.filter((c) => c.outcome === outcome).length;
  const totals = `tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}"`;
  const name = escapeXml(options.suiteName ?? 'faultline gates');
  const timestamp = options.timestamp === undefined ? '' : ` timestamp="${escapeXml(options.timestamp)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="faultline" ${totals} time="0">`,
    `  <testsuite name="${name}" ${totals} time="0"${timestamp}>`,
    ...cases.map(renderCase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
