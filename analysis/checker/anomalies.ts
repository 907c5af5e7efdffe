import type { Anomaly, AnomalyKind } from '../../core/results.js';

/** Enough examples to show a pattern in a report without a history-sized list. */
export const MAX_EXAMPLES_PER_KIND = 5;

/**
 * Counts every anomaly per kind and keeps the first few of each as examples.
 * Messages are passed as thunks: a broken adapter can produce a million
 * duplicates, and only the examples kept are worth formatting.
 */
export class AnomalyLog {
  readonly counts: Partial<Record<AnomalyKind, number>> = {};
  readonly examples: Anomaly[] = [];

  report(kind: AnomalyKind, runId: string, stepId: string | undefined, message: () => string): void {
    const seen = this.counts[kind] ?? 0;
    this.counts[kind] = seen + 1;
    if (seen >= MAX_EXAMPLES_PER_KIND) return;
    const example: Anomaly = { kind, runId, message: message() };
    if (stepId !== undefined) example.stepId = stepId;
    this.examples.push(example);
  }

  count(kind: AnomalyKind): number {
    return this.counts[kind] ?? 0;
  }
}
