import { type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { attemptSpanName, SPAN_ATTRIBUTES, SPAN_ROLES } from '../../core/traces.js';

/** The tracer of the step runtime; a no-op until the process installs a provider (setup.ts). */
const tracer = trace.getTracer('faultline');

type Role = (typeof SPAN_ROLES)[keyof typeof SPAN_ROLES];

export interface SpanIds {
  cell: string;
  workerId: string;
  runId: string;
  stepId: string;
  attempt?: number;
}

/** What the code inside an attempt's span says about it. */
export interface AttemptSpan {
  /** ok, transient-error, permanent-error: the same word the history's step-done records. */
  outcome(outcome: string, message?: string): void;
}

/**
 * Runs `fn` inside a span of a step attempt (or an approval request, a compensation), a
 * child of whatever span is active: the consumer span of BullMQ's telemetry, the activity
 * span of Temporal's interceptor. The span carries the run id, the correlation id.
 */
export function withStepSpan<T>(role: Role, ids: SpanIds, fn: (span: AttemptSpan) => Promise<T>): Promise<T> {
  const name =
    role === SPAN_ROLES.attempt ? attemptSpanName(ids.stepId) : `${role} ${ids.stepId.split('#')[0]}`;
  const attributes = {
    [SPAN_ATTRIBUTES.role]: role,
    [SPAN_ATTRIBUTES.cell]: ids.cell,
    [SPAN_ATTRIBUTES.worker]: ids.workerId,
    [SPAN_ATTRIBUTES.runId]: ids.runId,
    [SPAN_ATTRIBUTES.stepId]: ids.stepId,
    ...(ids.attempt === undefined ? {} : { [SPAN_ATTRIBUTES.attempt]: ids.attempt }),
  };
  return tracer.startActiveSpan(name, { attributes }, async (span: Span) => {
    try {
      return await fn({
        outcome(outcome, message) {
          span.setAttribute(SPAN_ATTRIBUTES.outcome, outcome);
          span.setStatus(
            outcome === 'ok'
              ? { code: SpanStatusCode.OK }
              : { code: SpanStatusCode.ERROR, message: message ?? outcome },
          );
        },
      });
    } finally {
      span.end();
    }
  });
}
