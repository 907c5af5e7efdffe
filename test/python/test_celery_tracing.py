"""The Celery submitter's side of a run's trace: the run is published inside its root span
(from the `traceparent` the driver sends) with Celery's own instrumentation on, which puts
the publish span's context in the message's headers. Published on kombu's in-memory
transport, so no broker is needed; the workers' side is the integration test's
(test/integration/python-traces.test.ts)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery, signals
from opentelemetry import trace
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from celery_support import plan_of
from faultline_celery import keys
from faultline_celery.canvas import compile_plan
from faultline_celery.signatures import PUBLISHED_TASKS, RunCanvas, declare_tasks
from faultline_celery.tracing import instrument, parent_context, published_in

ROOT_TRACE = "0af7651916cd43dd8448eb211c80319c"
ROOT_SPAN = "b7ad6b7169203331"
TRACEPARENT = f"00-{ROOT_TRACE}-{ROOT_SPAN}-01"
QUEUE = "faultline.test"
PLAN = plan_of([{"id": "a", "kind": "compute"}, {"id": "b", "kind": "compute", "dependsOn": ["a"]}])


def memory_app() -> Celery:
    app = Celery("faultline-test", broker="memory://", set_as_current=False)
    app.conf.update(task_default_queue=QUEUE)
    return app


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Celery's instrumentation on a provider of the test's own, off again afterwards (its
    signal handlers are process-wide)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument(provider)
    try:
        yield exporter
    finally:
        CeleryInstrumentor().uninstrument()  # type: ignore[no-untyped-call]


def publish(app: Celery, run_id: str, traceparent: object) -> None:
    """As the submitter publishes a submission."""
    with published_in(traceparent):
        RunCanvas(app, run_id).signature(compile_plan(PLAN)).apply_async()


def published_headers(app: Celery) -> dict[str, Any]:
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(QUEUE, no_ack=True)
        try:
            message = queue.get(timeout=1)
            return dict(message.headers)
        finally:
            queue.close()


def test_the_parent_context_is_the_root_span_the_traceparent_names() -> None:
    parent = parent_context(TRACEPARENT)
    assert parent is not None
    span = trace.get_current_span(parent).get_span_context()
    assert (format(span.trace_id, "032x"), format(span.span_id, "016x")) == (ROOT_TRACE, ROOT_SPAN)
    assert span.is_remote


@pytest.mark.parametrize("traceparent", [None, 42, "", "00-not-a-trace-01", f"00-{'0' * 32}-{ROOT_SPAN}-01"])
def test_no_parent_context_without_a_valid_traceparent(traceparent: object) -> None:
    assert parent_context(traceparent) is None


def test_a_run_is_published_in_its_root_span_and_its_message_carries_the_publish_span(
    spans: InMemorySpanExporter,
) -> None:
    app = memory_app()
    declare_tasks(app)
    publish(app, "run-1", TRACEPARENT)
    # A chain publishes its first task; the rest travels in the message.
    [span] = spans.get_finished_spans()
    assert span.name == "apply_async/faultline.step"
    assert span.kind == trace.SpanKind.PRODUCER
    assert span.parent is not None
    assert (format(span.context.trace_id, "032x"), format(span.parent.span_id, "016x")) == (
        ROOT_TRACE,
        ROOT_SPAN,
    )
    headers = published_headers(app)
    assert headers["id"] == "run-1:a"
    assert headers["traceparent"] == f"00-{ROOT_TRACE}-{format(span.context.span_id, '016x')}-01"
    # Nothing of the run stays current once it is published.
    assert not trace.get_current_span().get_span_context().is_valid


def test_declared_tasks_are_the_canvas_task_names_and_never_run_here() -> None:
    # Every task name the adapter defines (keys.py: *_TASK) is published, the timer's too.
    defined = {value for name, value in vars(keys).items() if name.endswith("_TASK")}
    assert set(PUBLISHED_TASKS) == defined
    app = memory_app()
    declare_tasks(app)
    for name in PUBLISHED_TASKS:
        with pytest.raises(RuntimeError, match="runs on a worker"):
            app.tasks[name].run("run-1", "a")


def test_without_declared_tasks_the_publish_span_ends_before_the_message_is_sent(
    spans: InMemorySpanExporter,
) -> None:
    # Why declare_tasks exists (opentelemetry-instrumentation-celery 0.66b2): for a task the
    # current app's registry lacks, the instrumentation keeps no hold of the publish span,
    # which CPython then ends as soon as before_task_publish's handler returns: it stands
    # for no publishing at all. When this fails, upstream changed it.
    app = memory_app()
    app.set_current()
    while_sending = current_span_while_sending(app, "run-2")
    [span] = spans.get_finished_spans()
    assert span.name == "apply_async/faultline.step"
    assert while_sending == (False, ROOT_SPAN)


def test_with_declared_tasks_the_publish_span_is_current_while_the_message_is_sent(
    spans: InMemorySpanExporter,
) -> None:
    app = memory_app()
    declare_tasks(app)
    while_sending = current_span_while_sending(app, "run-3")
    [span] = spans.get_finished_spans()
    assert while_sending == (True, format(span.context.span_id, "016x"))


def current_span_while_sending(app: Celery, run_id: str) -> tuple[bool, str]:
    """Whether the current span records, and its id, as Celery is about to send the message
    (a before_task_publish receiver connected after the instrumentation's)."""
    seen: list[tuple[bool, str]] = []

    def receiver(**_: object) -> None:
        current = trace.get_current_span()
        seen.append((current.is_recording(), format(current.get_span_context().span_id, "016x")))

    signals.before_task_publish.connect(receiver, weak=False)
    try:
        publish(app, run_id, TRACEPARENT)
    finally:
        signals.before_task_publish.disconnect(receiver)
    [while_sending] = seen
    return while_sending
