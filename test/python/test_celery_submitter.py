"""The Celery submitter's plumbing: requests and replies over its pipes (serve), and the
observer that learns each run's outcome from the result backend, on a real redis-server
(Debian's, which setup installs)."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import states

from celery_support import knobs, scenario_plan
from faultline_celery.app import make_app
from faultline_celery.canvas import compile_plan, final_task
from faultline_celery.keys import failure_id, task_id
from faultline_celery.knobs import parse_knobs
from faultline_celery.signatures import RunCanvas, declare_tasks
from faultline_celery.submitter import Observer, Output, serve, without_result_subscriptions


class CountingStream(io.StringIO):
    """stdout as the submitter sees it, counting the writes that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.getvalue().splitlines()]


REQUESTS = [{"op": "submit", "id": n, "runId": f"run-{n}"} for n in range(1, 41)]


def _serve_all(ack_delay_s: float) -> CountingStream:
    """REQUESTS written to a pipe at once (the last without its newline: read at end of
    input), then served: one read takes the first 39, the end of input brings the last."""
    read_fd, write_fd = os.pipe()
    text = "".join(json.dumps(r) + "\n" for r in REQUESTS[:-1]) + "\n" + json.dumps(REQUESTS[-1])
    os.write(write_fd, text.encode())
    os.close(write_fd)
    stream = CountingStream()
    serve(read_fd, lambda message: {"op": "ack", "id": message["id"]}, Output(stream), ack_delay_s)
    os.close(read_fd)
    return stream


def test_serve_answers_every_request_in_order_sharing_writes() -> None:
    # A delay no test run reaches: the 39 replies of the chunk share its write, the last its own.
    stream = _serve_all(ack_delay_s=60)
    assert [line["id"] for line in stream.lines()] == [r["id"] for r in REQUESTS]
    assert stream.writes == 2


def test_serve_holds_no_reply_past_its_delay() -> None:
    # No delay at all: every reply goes out as soon as its request is handled.
    stream = _serve_all(ack_delay_s=0)
    assert [line["id"] for line in stream.lines()] == [r["id"] for r in REQUESTS]
    assert stream.writes == len(REQUESTS)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start_redis(port: int, directory: Path) -> subprocess.Popen[bytes]:
    """A real redis-server without persistence on `port`, once it listens."""
    binary = shutil.which("redis-server")
    assert binary is not None, "redis-server is missing: run npm run setup"
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            if time.monotonic() >= deadline:
                server.kill()
                raise AssertionError("redis-server did not listen within 10 s") from None
            time.sleep(0.05)


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.kill()
    server.wait()


@pytest.fixture
def redis_port(tmp_path: Path) -> Iterator[int]:
    port = _free_port()
    server = _start_redis(port, tmp_path)
    try:
        yield port
    finally:
        _stop(server)


def _wait_for_lines(stream: CountingStream, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while len(stream.lines()) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return stream.lines()


def test_observer_announces_each_watched_run_once_from_its_stored_outcome(redis_port: int) -> None:
    cell = "rag-ingest/celery/none"
    app = make_app(cell, "127.0.0.1", redis_port, parse_knobs(knobs()))
    plan = scenario_plan("rag-ingest")
    final = final_task(plan)
    stream = CountingStream()
    observer = Observer(app, Output(stream))
    pubsub = observer.subscribe()
    for run in ("run-1", "run-2", "run-3"):
        observer.watch(run, final)
    threading.Thread(target=observer.run, args=(pubsub,), daemon=True).start()
    backend: Any = app.backend
    # run-1 completes; run-2 fails (its errback's record); run-3's first step only progresses;
    # a key nobody watches (a step before the last) says nothing.
    backend.store_result(task_id("run-1", final), {"step": final.step_id}, states.SUCCESS)
    backend.store_result(failure_id("run-2"), {"step": "embed", "reason": "x"}, states.SUCCESS)
    backend.store_result(task_id("run-3", final), {"progressMs": 5}, "PROGRESS")
    backend.store_result("run-3:chunk", {"step": "chunk"}, states.SUCCESS)
    # The same outcome stored again (a redelivered last step) is not a second announcement.
    backend.store_result(task_id("run-1", final), {"step": final.step_id}, states.SUCCESS)
    _wait_for_lines(stream, 2)
    time.sleep(1.2)  # past a fallback read, which must not announce them again
    lines = stream.lines()
    assert sorted((line["runId"], line["status"]) for line in lines) == [
        ("run-1", "completed"),
        ("run-2", "failed"),
    ]
    assert all(line["op"] == "done" for line in lines)


def test_observer_finds_an_outcome_stored_before_it_subscribed(redis_port: int) -> None:
    """What pub/sub cannot deliver (stored while no subscription was there: a Redis
    restart) the fallback read finds."""
    cell = "noop/celery/none"
    app = make_app(cell, "127.0.0.1", redis_port, parse_knobs(knobs()))
    final = final_task(scenario_plan("noop"))
    backend: Any = app.backend
    backend.store_result(task_id("run-9", final), {"step": final.step_id}, states.SUCCESS)
    stream = CountingStream()
    observer = Observer(app, Output(stream))
    observer.watch("run-9", final)
    threading.Thread(target=observer.run, args=(observer.subscribe(),), daemon=True).start()
    lines = _wait_for_lines(stream, 1)
    assert [(line["runId"], line["status"]) for line in lines] == [("run-9", "completed")]


def test_one_pattern_subscription_hears_every_result_key_of_the_cell_and_no_other(redis_port: int) -> None:
    final = final_task(scenario_plan("noop"))
    ours = make_app("noop/celery/none", "127.0.0.1", redis_port, parse_knobs(knobs()))
    other_cell = make_app("noop/celery/worker-kill", "127.0.0.1", redis_port, parse_knobs(knobs()))
    pubsub = Observer(ours, Output(CountingStream())).subscribe()
    other_backend: Any = other_cell.backend
    backend: Any = ours.backend
    other_backend.store_result(task_id("run-1", final), {"step": final.step_id}, states.SUCCESS)
    backend.store_result(task_id("run-2", final), {"step": final.step_id}, states.SUCCESS)
    heard: list[bytes] = []
    deadline = time.monotonic() + 5
    while not heard and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)
        if message is not None and message["type"] == "pmessage":
            heard.append(message["channel"])
    # The channel as the observer names its keys: the cell's prefix taken off.
    assert heard == [backend.get_key_for_task(task_id("run-2", final))]
    pubsub.close()


def test_observer_subscribes_again_after_a_redis_restart(tmp_path: Path) -> None:
    port = _free_port()
    server = _start_redis(port, tmp_path)
    try:
        app = make_app("noop/celery/backend-restart", "127.0.0.1", port, parse_knobs(knobs()))
        final = final_task(scenario_plan("noop"))
        stream = CountingStream()
        observer = Observer(app, Output(stream))
        observer.watch("run-1", final)
        threading.Thread(target=observer.run, args=(observer.subscribe(),), daemon=True).start()
        _stop(server)
        time.sleep(0.5)  # the observer loses its connection and retries
        server = _start_redis(port, tmp_path)
        # The new server holds no subscription until the observer takes its pattern again.
        probe: Any = app.backend.client
        deadline = time.monotonic() + 10
        while probe.execute_command("PUBSUB", "NUMPAT") != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert probe.execute_command("PUBSUB", "NUMPAT") == 1
        backend: Any = app.backend
        backend.store_result(task_id("run-1", final), {"step": final.step_id}, states.SUCCESS)
        lines = _wait_for_lines(stream, 1)
        assert [(line["runId"], line["status"]) for line in lines] == [("run-1", "completed")]
    finally:
        _stop(server)


def _subscribers_of_runs(app: Any, runs: list[str]) -> int:
    """Subscribers to the result channels of the runs' noop tasks (PUBSUB NUMSUB)."""
    final = final_task(scenario_plan("noop"))
    backend: Any = app.backend
    keys = [backend.get_key_for_task(task_id(run, final)) for run in runs]
    counts = backend.client.pubsub_numsub(*keys)
    return sum(int(count) for _, count in counts)


@pytest.mark.parametrize("subscribing", [True, False])
def test_the_submitter_publishes_without_subscribing_to_each_result(
    redis_port: int, subscribing: bool
) -> None:
    """Celery's own per-task subscription is off in the submitter (its observer's pattern
    hears every outcome). The twin with it on shows the probe sees a subscription when
    there is one."""
    app = make_app("noop/celery/none", "127.0.0.1", redis_port, parse_knobs(knobs()))
    declare_tasks(app)
    if not subscribing:
        without_result_subscriptions(app)
    runs = ["run-1", "run-2", "run-3"]
    sent = [RunCanvas(app, run).signature(compile_plan(scenario_plan("noop"))).apply_async() for run in runs]
    assert len(sent) == len(runs)
    assert _subscribers_of_runs(app, runs) == (len(runs) if subscribing else 0)
