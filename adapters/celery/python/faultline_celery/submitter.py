"""The submitter: a Celery producer, as a Python application is one. The driver (in the
harness) starts one per cell and feeds it runs; it publishes each run's canvas with Celery's
own `apply_async`, so what reaches Redis is exactly what an application would send, and
watches the result backend for each run's outcome. It is not a worker: it reaches Redis
directly (as the harness does), and chaos never targets it.

    python -m faultline_celery.submitter CONFIG.json

CONFIG.json: `{"cell", "scenario", "knobs", "redis": {"host", "port"}, "traces": {"path"} | null}`.
Lines in (stdin): `{"op": "submit", "id", "runId", "traceparent"?}`,
`{"op": "signal", "id", "runId", "stepId", "approved"}`,
`{"op": "deploy", "id", "version", "scenario"}` (a rolling deploy finished: canvases from
now on are the new version's, as the application publishing them was deployed too).
Lines out (stdout): `{"op": "ready"}` once it can publish; `{"op": "ack", "id"}` once a
submission or a signal was published, `{"op": "error", "id", "reason"}` when it could not
be; `{"op": "done", "runId", "status": "completed" | "failed", "output"}` once the result
backend says so. End of file on stdin: exit.

Outcomes come from the result backend: the run's last task's result (SUCCESS: completed)
and the failure its errback records (keys.failure_id: failed, after the saga). Both arrive
by pub/sub (the backend publishes every state it stores on the key's own channel; one
pattern subscription covers the cell's keys), with a read of every open run's keys each
FALLBACK_READ_S as a fallback, for what a dropped subscription missed (a Redis restart).
Replies and outcomes that are ready together go out in one write.

Traced (`traces` in the config), it is a traced Celery producer: Celery's own
instrumentation (faultline_celery.tracing) on a tracer provider writing to `traces.path`,
and each run published inside its root span, whose W3C `traceparent` comes with the
submission: the publish span, and through the message's headers every task of the run,
are in the run's trace.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from celery import Celery, states

from faultline_celery.app import make_app
from faultline_celery.canvas import Node, Task, compile_plan, final_task
from faultline_celery.keys import decisions_key, failure_id, key_prefix, queue_name, task_id
from faultline_celery.knobs import KnobError, parse_knobs
from faultline_celery.signatures import RunCanvas, declare_tasks
from faultline_runtime.model import parse_scenario
from faultline_runtime.plan import RunPlan, plan_run

if TYPE_CHECKING:
    from faultline_runtime.tracing import Tracing

FALLBACK_READ_S = 1.0
RECONNECT_PAUSE_S = 0.2
SUBSCRIBE_TIMEOUT_S = 10.0
MAX_LINES_PER_WRITE = 500
"""Lines announced in one write at most: the first of them waits for the last's decoding."""
ACK_DELAY_S = 0.002
"""How long an acknowledgement may wait for the next ones, to go out in the same write."""


@dataclass(frozen=True)
class Watched:
    run_id: str
    status: str
    """What a SUCCESS under this key means for the run: completed or failed."""
    keys: tuple[bytes, bytes]
    """Both keys the run is watched under, dropped together once one of them answered."""


class Output:
    """stdout, JSON lines from any thread; the lines of one call in one write."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, *messages: Mapping[str, object]) -> None:
        if not messages:
            return
        text = "".join(json.dumps(m, separators=(",", ":"), default=str) + "\n" for m in messages)
        with self._lock:
            self._stream.write(text)
            self._stream.flush()


class Observer:
    """Waits for the runs' outcomes in the result backend: pub/sub, plus a fallback read.

    One pattern subscription covers every result key of the cell (the backend publishes
    each state it stores on the key's own channel, and the cell's keys share its prefix):
    nothing to subscribe per run, and nothing to resubscribe but the pattern after a
    reconnect. A message for a key no run waits on (a step before the last) is dropped
    by its channel name, before it is decoded."""

    def __init__(self, app: Celery, output: Output) -> None:
        self._backend: Any = app.backend
        self._output = output
        self._lock = threading.Lock()
        self._watched: dict[bytes, Watched] = {}
        self._done: set[str] = set()
        self._pattern = self._key("*")

    def watch(self, run_id: str, final: Task) -> None:
        """Before the run is published, so no outcome can come first. `final`: the task of
        the run's canvas whose success means the run completed."""
        keys = (self._key(task_id(run_id, final)), self._key(failure_id(run_id)))
        with self._lock:
            self._watched[keys[0]] = Watched(run_id, "completed", keys)
            self._watched[keys[1]] = Watched(run_id, "failed", keys)

    def subscribe(self) -> Any:
        """The pattern subscription, confirmed: a run watched from now on cannot miss its outcome."""
        pubsub = self._backend.client.pubsub(ignore_subscribe_messages=False)
        pubsub.psubscribe(self._pattern)
        deadline = time.monotonic() + SUBSCRIBE_TIMEOUT_S
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.1)
            if message is not None and message.get("type") == "psubscribe":
                pubsub.ignore_subscribe_messages = True
                return pubsub
        pubsub.close()
        raise TimeoutError(f"no confirmation of PSUBSCRIBE within {SUBSCRIBE_TIMEOUT_S} s")

    def _key(self, of_task: str) -> bytes:
        key = self._backend.get_key_for_task(of_task)
        return key if isinstance(key, bytes) else str(key).encode()

    def run(self, pubsub: Any) -> None:
        """The observer's thread: `pubsub` is the subscription made before the first run."""
        next_read = 0.0
        while True:
            try:
                if pubsub is None:
                    # A new connection has no subscription: take it again, then read every
                    # watched key for what was stored while there was none.
                    pubsub = self.subscribe()
                    next_read = 0.0
                done: list[Mapping[str, object]] = []
                # Every message already here, then one write announcing their runs.
                message = pubsub.get_message(timeout=0.1)
                while message is not None:
                    if message.get("type") == "pmessage":
                        self._outcome(message["channel"], message["data"], done)
                    if len(done) >= MAX_LINES_PER_WRITE:
                        break
                    message = pubsub.get_message(timeout=0)
                if time.monotonic() >= next_read:
                    self._read_all(done)
                    next_read = time.monotonic() + FALLBACK_READ_S
                self._output.send(*done)
            except Exception:
                # Redis restarting or unreachable: start over with a fresh subscription.
                with contextlib.suppress(Exception):
                    if pubsub is not None:
                        pubsub.close()
                pubsub = None
                time.sleep(RECONNECT_PAUSE_S)

    def _read_all(self, done: list[Mapping[str, object]]) -> None:
        with self._lock:
            keys = list(self._watched)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            for key, data in zip(chunk, self._backend.client.mget(chunk), strict=True):
                if data is not None:
                    self._outcome(key, data, done)

    def _outcome(self, key: bytes | str, data: bytes | str, done: list[Mapping[str, object]]) -> None:
        """A stored state of a watched key: a SUCCESS ends its run (its line added to `done`)."""
        key = key if isinstance(key, bytes) else key.encode()
        with self._lock:
            watched = self._watched.get(key)
        if watched is None:
            return
        meta = self._backend.decode_result(data)
        if meta.get("status") != states.SUCCESS:
            return  # progress, a retry, a failure its errback will announce
        with self._lock:
            if watched.run_id in self._done:
                return
            self._done.add(watched.run_id)
            for run_key in watched.keys:
                self._watched.pop(run_key, None)
        done.append(
            {"op": "done", "runId": watched.run_id, "status": watched.status, "output": meta.get("result")}
        )


PublishedIn = Callable[[object], AbstractContextManager[None]]
"""The context a run is published in, from the submission's `traceparent`."""


def untraced(traceparent: object) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


class Submitter:
    def __init__(
        self,
        app: Celery,
        cell: str,
        plan: RunPlan,
        observer: Observer,
        output: Output,
        *,
        versioned: bool,
        published_in: PublishedIn = untraced,
    ) -> None:
        self._app = app
        self._cell = cell
        self._observer = observer
        self._output = output
        self._published_in = published_in
        self._versioned = versioned
        self._use(plan, 1)

    def _use(self, plan: RunPlan, version: int) -> None:
        self._root: Node = compile_plan(plan)
        self._final = final_task(plan)
        self._version = version

    def handle(self, message: Mapping[str, Any]) -> Mapping[str, object]:
        """One request; its reply."""
        request = message.get("id")
        try:
            if message.get("op") == "submit":
                run_id = str(message["runId"])
                self._observer.watch(run_id, self._final)
                version = self._version if self._versioned else None
                with self._published_in(message.get("traceparent")):
                    RunCanvas(self._app, run_id, version).signature(self._root).apply_async()
            elif message.get("op") == "deploy":
                self._use(plan_run(parse_scenario(message["scenario"])), int(message["version"]))
            elif message.get("op") == "signal":
                self._signal(str(message["runId"]), str(message["stepId"]), message.get("approved") is True)
            else:
                raise ValueError(f"unknown op {message.get('op')!r}")
        except Exception as error:
            return {"op": "error", "id": request, "reason": f"{type(error).__name__}: {error}"}
        return {"op": "ack", "id": request}

    def _signal(self, run_id: str, step_id: str, approved: bool) -> None:
        """The human's decision, where the waiting approval task re-checks for it (the
        first decision stands)."""
        client: Any = self._app.backend.client
        client.hsetnx(
            decisions_key(self._cell), f"{run_id}:{step_id}", "approved" if approved else "rejected"
        )


def without_result_subscriptions(app: Celery) -> None:
    """Stops the app's result backend subscribing to each task the submitter sends.

    Celery's Redis backend subscribes to every sent task's channel (`on_task_call`), for an
    `AsyncResult.get` that the submitter never calls: the Observer's one pattern subscription
    hears every outcome. Left on, each publish also sent a SUBSCRIBE, and every result was
    published to the submitter twice, the second copy never read (it piles up in Redis's
    output buffer for that connection). Celery itself skips the subscription where a join
    would block (in a worker). In the no-op bench the submitter took 7.0-9.2 s to publish
    5,000 runs with it, 5.3-6.3 s without."""
    app.backend.on_task_call = _no_result_subscription


def _no_result_subscription(producer: object, task_id: str) -> None:
    return None


def serve(
    fd: int,
    handle: Callable[[Mapping[str, Any]], Mapping[str, object]],
    output: Output,
    ack_delay_s: float = ACK_DELAY_S,
) -> None:
    """Requests, a JSON line each, from `fd` until its end; each reply in request order.
    The replies of requests handled within `ack_delay_s` of the first unsent one share a
    write, and none waits for more input: a burst of submissions is acknowledged in a few
    writes, not one per run (each a wake-up of the harness too)."""
    pending = b""
    replies: list[Mapping[str, object]] = []
    first_at = 0.0
    while chunk := os.read(fd, 1 << 16):
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            if not line.strip():
                continue
            if not replies:
                first_at = time.monotonic()
            replies.append(handle(json.loads(line)))
            if time.monotonic() - first_at >= ack_delay_s:
                output.send(*replies)
                replies = []
        output.send(*replies)
        replies = []
    if pending.strip():
        output.send(handle(json.loads(pending)))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m faultline_celery.submitter CONFIG.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as file:
        config = json.load(file)
    try:
        knobs = parse_knobs(config["knobs"])
    except KnobError as error:
        print(f"submitter: {error}", file=sys.stderr)
        return 2
    plan = plan_run(parse_scenario(config["scenario"]))
    cell = str(config["cell"])
    app = make_app(cell, str(config["redis"]["host"]), int(config["redis"]["port"]), knobs)
    declare_tasks(app)
    tracing = _start_tracing(config, cell)
    without_result_subscriptions(app)
    output = Output(sys.stdout)
    observer = Observer(app, output)
    app.backend.client.ping()
    pubsub = observer.subscribe()
    threading.Thread(target=observer.run, args=(pubsub,), name="faultline-outcomes", daemon=True).start()
    traced = untraced if tracing is None else _published_in
    submitter = Submitter(
        app,
        cell,
        plan,
        observer,
        output,
        versioned=knobs.versioning == "versioned-tasks",
        published_in=traced,
    )
    output.send({"op": "ready"})
    serve(sys.stdin.fileno(), submitter.handle, output)
    with contextlib.suppress(Exception):
        held = broker_state(app, cell)
        print(f"submitter: at the end the broker holds {held}", file=sys.stderr)
    if tracing is not None:
        tracing.shutdown()  # the publish spans still buffered (os._exit runs no atexit hook)
    sys.stdout.flush()
    os._exit(0)


def _published_in(traceparent: object) -> AbstractContextManager[None]:
    """faultline_celery.tracing.published_in, imported only when the run is traced."""
    from faultline_celery.tracing import published_in

    return published_in(traceparent)


def _start_tracing(config: Mapping[str, Any], cell: str) -> Tracing | None:
    """Traced: this process's provider, writing to the span file the harness named, and
    Celery's instrumentation on it. Imported only then."""
    traces = config.get("traces")
    if not isinstance(traces, Mapping) or not isinstance(traces.get("path"), str):
        return None
    from faultline_celery.tracing import instrument
    from faultline_runtime.tracing import start_tracing

    name = f"celery-submitter-{cell}"
    tracing = start_tracing(
        service_name="faultline-celery-submitter",
        instance_id=name,
        path=str(traces["path"]),
        cell=cell,
        worker_id=name,
    )
    instrument(tracing.provider)
    return tracing


def broker_state(app: Celery, cell: str) -> dict[str, object]:
    """What kombu's Redis transport still holds for the cell: for the log, when runs were lost."""
    client: Any = app.backend.client
    prefix = key_prefix(cell)
    unacked = client.hgetall(f"{prefix}unacked")
    held = []
    for raw in unacked.values():
        message = json.loads(raw)[0]
        held.append(message.get("headers", {}).get("id"))
    return {
        "queued": client.llen(f"{prefix}{queue_name(cell)}"),
        "unacked": held,
        "unacked_mutex": client.get(f"{prefix}unacked_mutex") is not None,
    }


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
