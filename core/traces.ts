/**
 * Traces in the run folder: every process (the harness, each worker, in any language)
 * writes the spans it ends to `traces/<process>.jsonl`, one JSON object a line, one
 * write per exported batch. Trace completeness (analysis/traces) is computed from these
 * files and the history alone, so `faultline report` rebuilds it like everything else.
 * Field names are a contract with the Python runtime (faultline_runtime/tracing.py).
 */

/** The folder of span files inside a run folder. */
export const TRACES_DIR = 'traces';

export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/** One ended span, as a line of a span file. */
export interface SpanRecord {
  /** 32 lowercase hex digits (W3C trace context). */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: SpanKindName;
  /** Epoch milliseconds. */
  startMs: number;
  endMs: number;
  status: 'unset' | 'ok' | 'error';
  /** The resource's service.name: `faultline-harness`, `faultline-bullmq`, … */
  service: string;
  attributes: Record<string, string | number | boolean>;
}

/**
 * Faultline's own attributes. The run id is the correlation id: the run's root span and
 * every span of a step attempt carry it, whichever process and library made the span.
 */
export const SPAN_ATTRIBUTES = {
  /** What a Faultline span stands for (SPAN_ROLES); library spans have none. */
  role: 'faultline.span',
  runId: 'faultline.run_id',
  stepId: 'faultline.step_id',
  attempt: 'faultline.attempt',
  worker: 'faultline.worker',
  cell: 'faultline.cell',
  /** Attempts: ok, transient-error, permanent-error. Runs: completed, failed, lost, refused. */
  outcome: 'faultline.outcome',
} as const;

export const SPAN_ROLES = {
  /** The root of a run's trace: from its submission to its final state (the harness). */
  run: 'run',
  /** One attempt of an executed step (the step runtime). */
  attempt: 'attempt',
  /** The request half of an approval step (the step runtime). */
  approval: 'approval',
  /** A saga's compensation of one step (the step runtime). */
  compensation: 'compensation',
} as const;

/** The span name of an attempt: low-cardinality (`step embed`, not `step embed#3`). */
export function attemptSpanName(stepId: string): string {
  return `step ${stepId.split('#')[0]}`;
}
