"""OpenTelemetry in a Python worker (scenarios/tracing/ in TypeScript): the process's tracer
provider, registered globally so the orchestrator's own instrumentation finds it (Celery's
`CeleryInstrumentor`, Temporal's `TracingInterceptor`), with W3C trace context propagation
(the SDK's default). Spans go to the worker's span file in the run folder, one JSON line
per span in the format of core/traces.ts, one write per exported batch; and over OTLP/HTTP
too when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set.

The runtime stays free of this dependency: `AttemptTracer` (runtime.py) is the hook, and
`OtelAttemptTracer` here fills it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode

from faultline_runtime.runtime import AttemptSpan, Outcome, SpanRole

# The batch processor in front of the span file, as in the TypeScript workers: spans ended
# within this long before a SIGKILL die with the process (trace completeness counts them);
# the queue is large enough that only a kill loses spans.
FILE_EXPORT_DELAY_MS = 1000
FILE_QUEUE_SIZE = 65_536
FILE_BATCH_SIZE = 4096

ATTRIBUTES = {
    "role": "faultline.span",
    "run_id": "faultline.run_id",
    "step_id": "faultline.step_id",
    "attempt": "faultline.attempt",
    "worker": "faultline.worker",
    "cell": "faultline.cell",
    "outcome": "faultline.outcome",
}
"""Faultline's span attributes (core/traces.ts, SPAN_ATTRIBUTES)."""

_KINDS = {
    SpanKind.INTERNAL: "internal",
    SpanKind.SERVER: "server",
    SpanKind.CLIENT: "client",
    SpanKind.PRODUCER: "producer",
    SpanKind.CONSUMER: "consumer",
}


def span_record(span: ReadableSpan) -> dict[str, object]:
    """A span as a line of a span file (core/traces.ts, SpanRecord)."""
    context = span.get_span_context()
    assert context is not None  # an SDK span always has one
    parent = span.parent
    status = span.status.status_code
    service = span.resource.attributes.get("service.name")
    attributes = {
        key: value
        for key, value in (span.attributes or {}).items()
        if isinstance(value, str | int | float | bool)
    }
    return {
        "traceId": format(context.trace_id, "032x"),
        "spanId": format(context.span_id, "016x"),
        "parentSpanId": None if parent is None else format(parent.span_id, "016x"),
        "name": span.name,
        "kind": _KINDS.get(span.kind, "internal"),
        "startMs": (span.start_time or 0) / 1_000_000,
        "endMs": (span.end_time or 0) / 1_000_000,
        "status": "ok" if status == StatusCode.OK else "error" if status == StatusCode.ERROR else "unset",
        "service": service if isinstance(service, str) else "unknown",
        "attributes": attributes,
    }


class SpanFileExporter(SpanExporter):
    """Appends each exported batch to the span file with one write(2) (O_APPEND: a prefork
    pool's children may share the file)."""

    def __init__(self, path: str) -> None:
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._fd is None:
            return SpanExportResult.FAILURE
        if spans:
            text = "".join(json.dumps(span_record(s), separators=(",", ":")) + "\n" for s in spans)
            os.write(self._fd, text.encode("utf-8"))
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


def otlp_configured(env: Mapping[str, str] = os.environ) -> bool:
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


class Tracing:
    """This process's traces: the provider (registered globally) and the attempt tracer."""

    def __init__(self, provider: TracerProvider, *, cell: str, worker_id: str) -> None:
        self.provider = provider
        self.attempts = OtelAttemptTracer(provider.get_tracer("faultline"), cell=cell, worker_id=worker_id)

    def shutdown(self) -> None:
        """Exports what the processors still hold (a graceful stop); a SIGKILL loses it."""
        self.provider.shutdown()


def start_tracing(
    *,
    service_name: str,
    instance_id: str,
    path: str,
    cell: str,
    worker_id: str,
    env: Mapping[str, str] = os.environ,
) -> Tracing:
    """Registers the process's tracer provider, writing to `path` (and OTLP when configured).
    Call it before the orchestrator's instrumentation is installed, in each process that
    runs steps (with a prefork pool: in each child, as build_worker is)."""
    delay = int(env.get("OTEL_BSP_SCHEDULE_DELAY") or FILE_EXPORT_DELAY_MS)
    processors: list[SpanProcessor] = [
        BatchSpanProcessor(
            SpanFileExporter(path),
            schedule_delay_millis=delay,
            max_queue_size=FILE_QUEUE_SIZE,
            max_export_batch_size=FILE_BATCH_SIZE,
        )
    ]
    if otlp_configured(env):
        # Imported only when used: the exporter reads endpoint and headers from the standard variables.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processors.append(BatchSpanProcessor(OTLPSpanExporter()))
    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name, "service.instance.id": instance_id})
    )
    for processor in processors:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    return Tracing(provider, cell=cell, worker_id=worker_id)


class _OtelSpan:
    def __init__(self, span: trace.Span) -> None:
        self._span = span

    def outcome(self, outcome: Outcome) -> None:
        self._span.set_attribute(ATTRIBUTES["outcome"], outcome)
        if outcome == "ok":
            self._span.set_status(Status(StatusCode.OK))
        else:
            self._span.set_status(Status(StatusCode.ERROR, outcome))


class OtelAttemptTracer:
    """The runtime's AttemptTracer with OpenTelemetry: names and attributes as the
    TypeScript runtime's (scenarios/tracing/attempt-span.ts), so trace completeness reads
    both alike."""

    def __init__(self, tracer: trace.Tracer, *, cell: str, worker_id: str) -> None:
        self._tracer = tracer
        self._cell = cell
        self._worker_id = worker_id

    def span(
        self, role: SpanRole, run_id: str, step_id: str, attempt: int | None
    ) -> AbstractContextManager[AttemptSpan]:
        return self._span(role, run_id, step_id, attempt)

    @contextmanager
    def _span(self, role: SpanRole, run_id: str, step_id: str, attempt: int | None) -> Iterator[AttemptSpan]:
        base = step_id.split("#")[0]
        name = f"step {base}" if role == "attempt" else f"{role} {base}"
        attributes: dict[str, str | int] = {
            ATTRIBUTES["role"]: role,
            ATTRIBUTES["cell"]: self._cell,
            ATTRIBUTES["worker"]: self._worker_id,
            ATTRIBUTES["run_id"]: run_id,
            ATTRIBUTES["step_id"]: step_id,
        }
        if attempt is not None:
            attributes[ATTRIBUTES["attempt"]] = attempt
        # A raised error is the runtime's to record (as its outcome); the span only ends.
        with self._tracer.start_as_current_span(
            name, attributes=attributes, record_exception=False, set_status_on_exception=False
        ) as span:
            yield _OtelSpan(span)
