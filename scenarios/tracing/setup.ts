/**
 * OpenTelemetry in a Faultline process (the harness, or a Node worker): one tracer
 * provider registered globally once per process (the libraries' own instrumentation —
 * BullMQ's telemetry, Temporal's interceptors — find it there), with W3C trace context
 * propagation and async context. Where spans go can change from one run to the next (the
 * API runs several experiments in one process): always to the run folder's span file,
 * and over OTLP/HTTP too when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set.
 */
import type { Context } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { SpanFileExporter } from './span-file.js';

/**
 * The batch processor in front of the span file: spans ended within this long before a
 * SIGKILL are lost with the process, as a production exporter's would be (OTel's default
 * is 5 s; OTEL_BSP_SCHEDULE_DELAY overrides this one too). A queue large enough that a
 * fast scenario never drops spans for lack of room: only the kill loses them.
 */
const FILE_EXPORT_DELAY_MS = 1000;
const FILE_QUEUE_SIZE = 65_536;
const FILE_BATCH_SIZE = 4096;

/** Hands every span to the processors of the current destination (none between runs). */
class SwitchableSpanProcessor implements SpanProcessor {
  targets: SpanProcessor[] = [];
  onStart(span: Span, parentContext: Context): void {
    for (const target of this.targets) target.onStart(span, parentContext);
  }
  onEnd(span: ReadableSpan): void {
    for (const target of this.targets) target.onEnd(span);
  }
  async forceFlush(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.forceFlush()));
  }
  async shutdown(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.shutdown()));
  }
}

interface Installed {
  provider: NodeTracerProvider;
  processor: SwitchableSpanProcessor;
}

let installed: Installed | undefined;

/** The process's tracer provider, registered on first use with this service's identity. */
function install(serviceName: string, instanceId: string): Installed {
  if (installed) return installed;
  const processor = new SwitchableSpanProcessor();
  const provider = new NodeTracerProvider({
    resource: new Resource({ 'service.name': serviceName, 'service.instance.id': instanceId }),
    spanProcessors: [processor],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  installed = { provider, processor };
  return installed;
}

export interface TraceDestination {
  /** Exports what the processors hold (a graceful stop, the end of a run). */
  flush(): Promise<void>;
  /** Flushes and detaches: spans ended afterwards go nowhere until the next destination. */
  close(): Promise<void>;
  /** For Temporal's workflow span sink: the processor every span goes through, and the resource. */
  processor: SpanProcessor;
  resource: Resource;
}

export interface TraceOptions {
  /** `service.name` of this process's spans (fixed at the first call in a process). */
  serviceName: string;
  instanceId: string;
  /** The span file in the run folder. */
  file: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts sending this process's spans to `file` (and OTLP when configured). */
export function traceTo(options: TraceOptions): TraceDestination {
  const { provider, processor } = install(options.serviceName, options.instanceId);
  const env = options.env ?? process.env;
  const delay = Number(env.OTEL_BSP_SCHEDULE_DELAY) || FILE_EXPORT_DELAY_MS;
  const targets: SpanProcessor[] = [
    new BatchSpanProcessor(new SpanFileExporter(options.file), {
      scheduledDelayMillis: delay,
      maxQueueSize: FILE_QUEUE_SIZE,
      maxExportBatchSize: FILE_BATCH_SIZE,
    }),
  ];
  // The exporter reads the endpoint, headers and timeout from the standard variables itself.
  if (otlpConfigured(env)) targets.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  processor.targets = targets;
  return {
    flush: () => processor.forceFlush(),
    async close() {
      if (processor.targets === targets) processor.targets = [];
      await Promise.allSettled(targets.map((t) => t.shutdown()));
    },
    processor,
    resource: provider.resource as Resource,
  };
}

function otlpConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}
