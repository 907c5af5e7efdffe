"""Celery's own OpenTelemetry instrumentation (opentelemetry-instrumentation-celery), turned
on where a traced run needs it, so a run's trace is what a team running Celery sees:

- the submitter publishes each run inside the run's root span (the harness sends its W3C
  `traceparent` with the submission): the instrumentation's `apply_async/<task>` span is a
  child of it and goes into the message's headers;
- a worker's pool process makes a `run/<task>` span from those headers around each task,
  and the step runtime's attempt span is its child; what a task publishes (the chain's next
  task, a chord's body, a retry) is again an `apply_async` span under it.

This module imports the instrumentation: only a traced run loads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.propagate import extract
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import get_current_span


def instrument(provider: TracerProvider) -> None:
    """Celery's instrumentation on this process's provider (once per process: in a prefork
    pool, in each child, after its provider started; its signal handlers are per process)."""
    CeleryInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]


def parent_context(traceparent: object) -> Context | None:
    """The context a submission is published in: the run's root span, from the W3C
    `traceparent` the driver sent with it; None when there is none or it is not a valid one
    (the run is then published outside any trace, as an untraced run is)."""
    if not isinstance(traceparent, str):
        return None
    context = extract({"traceparent": traceparent})
    return context if get_current_span(context).get_span_context().is_valid else None


@contextmanager
def published_in(traceparent: object) -> Iterator[None]:
    """The run's root span (parent_context) as the current context while Celery publishes
    the run, and nothing of it current afterwards."""
    parent = parent_context(traceparent)
    token = None if parent is None else otel_context.attach(parent)
    try:
        yield
    finally:
        if token is not None:
            otel_context.detach(token)
