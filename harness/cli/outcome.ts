import type { Results } from '../../core/results.js';

const EXIT_FAILED = 1;

/** 1 when a declared gate failed (or is UNKNOWN), or, with no gates, when a verdict failed. */
export function outcomeCode(results: Results, gateCodes: number): number {
  const gatesDeclared = (results.config.thresholds as unknown[] | undefined)?.length ?? 0;
  if (gatesDeclared > 0) return gateCodes;
  return results.cells.some((c) => c.verdict === 'fail') ? EXIT_FAILED : 0;
}
