import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { AdapterDriver, RunOutcome } from '../../adapters/types.js';
import { SPAN_ATTRIBUTES, SPAN_ROLES } from '../../core/traces.js';

const tracer = trace.getTracer('faultline');

/**
 * The root span of each run's trace, from its submission to its final state: the harness
 * holds it active while the driver submits, so the orchestrator's own instrumentation
 * (BullMQ's producer span, Temporal's client interceptor) makes the run's trace out of it.
 * Its run id attribute is the correlation id every span of the run carries.
 */
export class RunSpans {
  readonly #open = new Map<string, Span>();

  constructor(private readonly cell: string) {}

  /** The driver with each submission inside its run's span, and the span ended with the outcome. */
  wrap(driver: AdapterDriver): AdapterDriver {
    return {
      setup: () => driver.setup(),
      observe: (onRunDone) =>
        driver.observe((outcome) => {
          onRunDone(outcome);
          this.#end(outcome.runId, outcome.status, outcome.status === 'completed');
        }),
      submit: (runId) => this.#submit(runId, () => driver.submit(runId)),
      signal: (runId, stepId, decision) => driver.signal(runId, stepId, decision),
      teardown: () => driver.teardown(),
      ...(driver.deployed ? { deployed: (update) => driver.deployed!(update) } : {}),
    };
  }

  /** Runs not done by the end of the drain: their root spans end as `lost`. */
  endOpen(): void {
    for (const runId of [...this.#open.keys()]) this.#end(runId, 'lost', false);
  }

  async #submit(runId: string, submit: () => Promise<void>): Promise<void> {
    const span = tracer.startSpan(`run ${this.cell.split('/')[0]}`, {
      kind: SpanKind.PRODUCER,
      attributes: {
        [SPAN_ATTRIBUTES.role]: SPAN_ROLES.run,
        [SPAN_ATTRIBUTES.cell]: this.cell,
        [SPAN_ATTRIBUTES.runId]: runId,
      },
    });
    this.#open.set(runId, span);
    try {
      await context.with(trace.setSpan(context.active(), span), submit);
    } catch (error) {
      this.#end(runId, 'refused', false, (error as Error).message);
      throw error;
    }
  }

  #end(
    runId: string,
    outcome: RunOutcome['status'] | 'lost' | 'refused',
    ok: boolean,
    message?: string,
  ): void {
    const span = this.#open.get(runId);
    if (span === undefined) return;
    this.#open.delete(runId);
    span.setAttribute(SPAN_ATTRIBUTES.outcome, outcome);
    span.setStatus(
      ok ? { code: SpanStatusCode.OK } : { code: SpanStatusCode.ERROR, message: message ?? outcome },
    );
    span.end();
  }
}
