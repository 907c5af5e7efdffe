import type { HistoryEvent } from '../core/history/events.js';
import { readEvents } from '../core/history/reader.js';

/**
 * Traceability: every effect the world received should carry the correlation id
 * of the run that caused it (here: the run id). Folded from the history's effect
 * events, applied and deduplicated alike — both were sent by someone.
 */

export const MAX_TRACE_EXAMPLES = 3;

export interface TraceabilityCell {
  effects: number;
  /** Effects whose correlationId equals their runId. */
  correlated: number;
  /** Effects sent without a correlation id. */
  missing: number;
  /** Effects whose correlation id names another run. */
  mismatched: number;
  examples: string[];
}

/** Per cell id. */
export type Traceability = Record<string, TraceabilityCell>;

export interface TraceabilityFold {
  add(event: HistoryEvent): void;
  result(): Traceability;
}

export function createTraceabilityFold(): TraceabilityFold {
  const cells: Traceability = {};
  return {
    add(event) {
      if (event.type !== 'effect') return;
      let cell = cells[event.cell];
      if (cell === undefined) {
        cell = { effects: 0, correlated: 0, missing: 0, mismatched: 0, examples: [] };
        cells[event.cell] = cell;
      }
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
    result: () => cells,
  };
}

export async function traceabilityOf(
  events: AsyncIterable<HistoryEvent> | Iterable<HistoryEvent>,
): Promise<Traceability> {
  const fold = createTraceabilityFold();
  for await (const event of events) fold.add(event);
  return fold.result();
}

/** Streams history.jsonl. */
export function traceabilityFromHistory(historyPath: string): Promise<Traceability> {
  return traceabilityOf(readEvents(historyPath));
}
