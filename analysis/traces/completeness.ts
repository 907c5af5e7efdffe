import type { HistoryEvent } from '../../core/history/events.js';
import type { TraceCompleteness } from '../../core/results.js';
import { SPAN_ATTRIBUTES, SPAN_ROLES, type SpanRecord } from '../../core/traces.js';

/**
 * Trace completeness, the seed's "observability" row measured: would a team looking at
 * its traces see every run whole? The history says what happened (every attempt, which
 * ones ended, which runs finished); the span files say what the traces show. A pure fold
 * of one cell's events, then one pass over the cell's spans.
 *
 * - A run's trace is its root span's trace (the harness starts it at submission).
 * - A finished run's trace is complete when it holds its root and, for every attempt that
 *   ended (a step-done in the history), that attempt's span.
 * - An attempt without its span was lost either in flight (the worker died mid-step: the
 *   span never ended) or buffered (it ended, but the worker died before its exporter wrote
 *   it), the cost of batching exports that a SIGKILL makes visible.
 * - A split run has Faultline spans in more than one trace: the context did not travel.
 */
export interface TraceCompletenessFold {
  add(event: HistoryEvent): void;
  result(spans: Iterable<SpanRecord>): TraceCompleteness;
}

const attemptKey = (runId: string, stepId: string, attempt: number, worker: string) =>
  `${runId}|${stepId}|${attempt}|${worker}`;
const endedKey = (runId: string, stepId: string, attempt: number) => `${runId}|${stepId}|${attempt}`;

export function createTraceCompletenessFold(): TraceCompletenessFold {
  /** Attempts by run, each as its key (a run may repeat one: duplicates count). */
  const attemptsByRun = new Map<string, string[]>();
  const ended = new Set<string>();
  const finished = new Set<string>();
  return {
    add(event) {
      switch (event.type) {
        case 'attempt': {
          const list = attemptsByRun.get(event.runId) ?? [];
          list.push(attemptKey(event.runId, event.stepId, event.attempt, event.worker));
          attemptsByRun.set(event.runId, list);
          return;
        }
        case 'step-done':
          ended.add(endedKey(event.runId, event.stepId, event.attempt));
          return;
        case 'run-done':
          finished.add(event.runId);
          return;
        default:
      }
    },

    result(spans) {
      const rootTrace = new Map<string, string>();
      /** Spans of attempts (and approval requests), by key: the trace ids they are in. */
      const attemptTraces = new Map<string, string[]>();
      const tracesOfRun = new Map<string, Set<string>>();
      for (const span of spans) {
        const role = span.attributes[SPAN_ATTRIBUTES.role];
        const runId = span.attributes[SPAN_ATTRIBUTES.runId];
        if (typeof role !== 'string' || typeof runId !== 'string') continue;
        const traces = tracesOfRun.get(runId) ?? new Set<string>();
        traces.add(span.traceId);
        tracesOfRun.set(runId, traces);
        if (role === SPAN_ROLES.run) rootTrace.set(runId, span.traceId);
        else if (role === SPAN_ROLES.attempt || role === SPAN_ROLES.approval) {
          const { stepId, attempt, worker } = SPAN_ATTRIBUTES;
          const key = attemptKey(
            runId,
            String(span.attributes[stepId]),
            Number(span.attributes[attempt]),
            String(span.attributes[worker]),
          );
          const list = attemptTraces.get(key) ?? [];
          list.push(span.traceId);
          attemptTraces.set(key, list);
        }
      }
      let expected = 0;
      let exported = 0;
      let lostInFlight = 0;
      let lostBuffered = 0;
      let completeRuns = 0;
      let splitRuns = 0;
      for (const [runId, traces] of tracesOfRun) if (traces.size > 1 && finished.has(runId)) splitRuns++;
      for (const [runId, attempts] of attemptsByRun) {
        const root = rootTrace.get(runId);
        let whole = root !== undefined;
        for (const key of attempts) {
          expected++;
          const found = attemptTraces.get(key);
          const trace = found?.shift();
          const [run, step, attempt] = key.split('|') as [string, string, string];
          const didEnd = ended.has(endedKey(run, step, Number(attempt)));
          if (trace !== undefined) {
            exported++;
            if (didEnd && trace !== root) whole = false;
          } else if (didEnd) {
            lostBuffered++;
            whole = false;
          } else {
            lostInFlight++;
          }
        }
        if (finished.has(runId) && whole) completeRuns++;
      }
      // A finished run with no attempt at all (every step refused?) is complete with its root alone.
      for (const runId of finished) if (!attemptsByRun.has(runId) && rootTrace.has(runId)) completeRuns++;
      return {
        runs: finished.size,
        completeRuns,
        completeness: finished.size === 0 ? null : completeRuns / finished.size,
        splitRuns,
        attemptSpans: { expected, exported, lostInFlight, lostBuffered },
      };
    },
  };
}
