"""Traces from a Python worker: each attempt a span, a child of the orchestrator's current
span (the run's trace), written to the span file in the format the TypeScript workers use
(core/traces.ts), so trace completeness reads both alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from faultline_runtime.config import ConfigError, parse_worker_config
from faultline_runtime.history import HistoryWriter
from faultline_runtime.model import parse_scenario
from faultline_runtime.plan import plan_run
from faultline_runtime.runtime import PermanentStepError, StepCall, StepRuntime
from faultline_runtime.tracing import SpanFileExporter, Tracing
from faultline_runtime.world import ApprovalRequest, EffectRequest, WorkRequest
from support import REPO_ROOT

SCENARIO = parse_scenario(
    {
        "name": "traced",
        "description": "two local steps",
        "steps": [
            {"id": "plain", "kind": "compute", "work": {"dist": "constant", "ms": 1}},
            {"id": "doomed", "kind": "persist", "failure": {"permanent": 1}},
        ],
    }
)

# SpanRecord's fields (core/traces.ts), in its order.
SPAN_RECORD_KEYS = [
    "traceId",
    "spanId",
    "parentSpanId",
    "name",
    "kind",
    "startMs",
    "endMs",
    "status",
    "service",
    "attributes",
]


class NoWorld:
    def model(self, req: WorkRequest) -> object:
        raise AssertionError("model called")

    def tool(self, req: WorkRequest) -> object:
        raise AssertionError("tool called")

    def effect(self, req: EffectRequest) -> object:
        raise AssertionError("effect called")

    def compensate(self, req: EffectRequest) -> object:
        raise AssertionError("compensate called")

    def request_approval(self, req: ApprovalRequest) -> object:
        raise AssertionError("approval called")


def traced_runtime(tmp_path: Path) -> tuple[StepRuntime, Tracing, Path]:
    spans = tmp_path / "traces" / "worker-celery-w1.jsonl"
    # A provider of the test's own (the global one can be set once per process).
    provider = TracerProvider(resource=Resource.create({"service.name": "faultline-celery"}))
    provider.add_span_processor(SimpleSpanProcessor(SpanFileExporter(str(spans))))
    tracing = Tracing(provider, cell="traced/celery/none", worker_id="celery-w1")
    runtime = StepRuntime(
        cell="traced/celery/none",
        worker_id="celery-w1",
        plan=plan_run(SCENARIO),
        world=NoWorld(),
        history=HistoryWriter(tmp_path / "history.jsonl"),
        idempotent_effects=False,
        sleep=lambda seconds: None,
        tracer=tracing.attempts,
    )
    return runtime, tracing, spans


def records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_an_attempt_is_a_span_in_the_orchestrators_trace_with_the_run_id(tmp_path: Path) -> None:
    runtime, tracing, path = traced_runtime(tmp_path)
    # The orchestrator's own instrumentation made its span current (a Celery task's).
    outer = tracing.provider.get_tracer("celery").start_as_current_span("run/traced")
    before = time.time() * 1000
    with outer as task:
        runtime.execute(StepCall("r1", "plain", 2))
    tracing.shutdown()
    attempt, task_span = records(path)
    assert list(attempt) == SPAN_RECORD_KEYS
    task_context = task.get_span_context()
    assert attempt["traceId"] == format(task_context.trace_id, "032x")
    assert attempt["parentSpanId"] == format(task_context.span_id, "016x")
    assert attempt["name"] == "step plain"
    assert attempt["kind"] == "internal"
    assert attempt["status"] == "ok"
    assert attempt["service"] == "faultline-celery"
    assert attempt["attributes"] == {
        "faultline.span": "attempt",
        "faultline.cell": "traced/celery/none",
        "faultline.worker": "celery-w1",
        "faultline.run_id": "r1",
        "faultline.step_id": "plain",
        "faultline.attempt": 2,
        "faultline.outcome": "ok",
    }
    start, end = attempt["startMs"], attempt["endMs"]
    assert isinstance(start, float)
    assert isinstance(end, float)
    assert before <= start <= end
    assert task_span["spanId"] == attempt["parentSpanId"]
    assert task_span["parentSpanId"] is None


def test_a_failed_attempt_ends_its_span_with_the_outcome_the_history_records(tmp_path: Path) -> None:
    runtime, tracing, path = traced_runtime(tmp_path)
    with pytest.raises(PermanentStepError):
        runtime.execute(StepCall("r1", "doomed", 1))
    tracing.shutdown()
    (span,) = records(path)
    assert span["status"] == "error"
    assert span["attributes"]["faultline.outcome"] == "permanent-error"  # type: ignore[index]
    done = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()][-1]
    assert done["type"] == "step-done"
    assert done["outcome"] == "permanent-error"


def test_without_a_tracer_the_runtime_writes_no_span(tmp_path: Path) -> None:
    runtime = StepRuntime(
        cell="c",
        worker_id="w1",
        plan=plan_run(SCENARIO),
        world=NoWorld(),
        history=HistoryWriter(tmp_path / "history.jsonl"),
        idempotent_effects=False,
        sleep=lambda seconds: None,
    )
    runtime.execute(StepCall("r1", "plain", 1))
    assert not (tmp_path / "traces").exists()


def base_config(tmp_path: Path) -> dict[str, object]:
    return {
        "protocol": 1,
        "workerId": "celery-w1",
        "role": "worker",
        "cell": "traced/celery/none",
        "adapter": "celery",
        "scenario": {"name": "traced", "description": "", "steps": [{"id": "a", "kind": "compute"}]},
        "endpoints": {"world": {"host": "127.0.0.1", "port": 1}},
        "historyPath": str(tmp_path / "h.jsonl"),
        "idempotentEffects": False,
        "runDir": str(tmp_path),
    }


def test_the_worker_config_says_where_spans_go_or_that_the_run_is_not_traced(tmp_path: Path) -> None:
    config = base_config(tmp_path)
    assert parse_worker_config(config).traces_path is None
    assert parse_worker_config({**config, "traces": None}).traces_path is None
    path = str(tmp_path / "traces" / "worker-celery-w1.jsonl")
    assert parse_worker_config({**config, "traces": {"path": path}}).traces_path == path
    with pytest.raises(ConfigError, match=r"traces: expected null or an object with a path"):
        parse_worker_config({**config, "traces": "yes"})


def test_a_worker_built_for_a_traced_run_registers_the_provider_and_flushes_on_shutdown(
    tmp_path: Path,
) -> None:
    # In a process of its own: the global tracer provider can be set once per process.
    path = tmp_path / "traces" / "worker-celery-w1.jsonl"
    config = {**base_config(tmp_path), "traces": {"path": str(path)}}
    script = f"""
import json
from opentelemetry import trace
from faultline_runtime.config import parse_worker_config
from faultline_runtime.lifecycle import build_worker
from faultline_runtime.runtime import StepCall
worker = build_worker(parse_worker_config(json.loads({json.dumps(json.dumps(config))})))
assert worker.tracing is not None
assert trace.get_tracer_provider() is worker.tracing.provider
worker.runtime.execute(StepCall("r1", "a", 1))
worker.tracing.shutdown()
"""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "scenarios" / "python")}
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=60)
    (span,) = records(path)
    assert span["name"] == "step a"
    assert span["service"] == "faultline-celery"
