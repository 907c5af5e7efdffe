import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { SpanKindName, SpanRecord } from '../../core/traces.js';

const KINDS: Record<SpanKind, SpanKindName> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

/** A span as a line of a span file (core/traces.ts). */
function spanRecord(span: ReadableSpan): SpanRecord {
  const { traceId, spanId } = span.spanContext();
  const attributes: SpanRecord['attributes'] = {};
  for (const [key, value] of Object.entries(span.attributes)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      attributes[key] = value;
  }
  const service = span.resource.attributes['service.name'];
  return {
    traceId,
    spanId,
    parentSpanId: span.parentSpanId ?? null,
    name: span.name,
    kind: KINDS[span.kind] ?? 'internal',
    startMs: hrTimeToMilliseconds(span.startTime),
    endMs: hrTimeToMilliseconds(span.endTime),
    status:
      span.status.code === SpanStatusCode.OK
        ? 'ok'
        : span.status.code === SpanStatusCode.ERROR
          ? 'error'
          : 'unset',
    service: typeof service === 'string' ? service : 'unknown',
    attributes,
  };
}

/**
 * An OpenTelemetry exporter that appends each batch to a span file with one write(2):
 * what the batch processor handed over survives a SIGKILL a moment later; what it still
 * held is lost, as with any batching exporter (trace completeness counts exactly that).
 */
export class SpanFileExporter implements SpanExporter {
  #fd: number | null;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, 'a');
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.#fd === null) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error(`${this.path} is closed`) });
      return;
    }
    try {
      if (spans.length > 0)
        writeSync(this.#fd, spans.map((span) => `${JSON.stringify(spanRecord(span))}\n`).join(''));
      resultCallback({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }

  async forceFlush(): Promise<void> {}
}
