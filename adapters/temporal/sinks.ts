import { Resource } from '@opentelemetry/resources';
import { NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { makeWorkflowExporter, type OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks } from '@temporalio/worker';

/**
 * The sinks every worker loading the workflow bundle must register: the bundle always
 * holds Temporal's OpenTelemetry workflow interceptors (bundle.ts), whose spans leave the
 * sandbox through the `exporter` sink. Untraced, a no-op processor takes them; without the
 * sink at all, every workflow task logs "referenced an unregistered external sink".
 */
export function workflowSinks(
  traces?: { processor: SpanProcessor; resource: Resource } | null,
): InjectedSinks<OpenTelemetrySinks> {
  return {
    exporter: traces
      ? makeWorkflowExporter(traces.processor, traces.resource)
      : makeWorkflowExporter(new NoopSpanProcessor(), Resource.empty()),
  };
}
