import type { HistoryEvent } from '../../core/history/events.js';
import type { Observability } from '../../core/results.js';

/**
 * Traceability: every effect the world received should carry the correlation id of the
 * run that caused it (here: the run id). Folded from one cell's effect events, applied
 * and deduplicated alike — both were sent by someone.
 */

const MAX_TRACE_EXAMPLES = 3;

export interface TraceabilityFold {
  add(event: HistoryEvent): void;
  result(): Omit<Observability, 'completedRuns' | 'completeHistories'>;
}

export function createTraceabilityFold(): TraceabilityFold {
  const cell = { effects: 0, correlated: 0, missing: 0, mismatched: 0, examples: [] as string[] };
  return {
    add(event) {
      if (event.type !== 'effect') return;
      cell.effects++;
      const where = `effect of run ${event.runId} step ${event.stepId}`;
      if (event.correlationId === undefined || event.correlationId === '') {
        cell.missing++;
        if (cell.examples.length < MAX_TRACE_EXAMPLES) cell.examples.push(`${where} has no correlation id`);
      } else if (event.correlationId !== event.runId) {
        cell.mismatched++;
        if (cell.examples.length < MAX_TRACE_EXAMPLES) {
          cell.examples.push(`${where} carries correlation id ${event.correlationId}`);
        }
      } else {
        cell.correlated++;
      }
    },
    result: () => ({ ...cell, examples: [...cell.examples] }),
  };
}
