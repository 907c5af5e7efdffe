"""How a worker reaches the world: its HTTP API (scenarios/world-client.ts, core/world-protocol.ts).

Blocking and thread-safe: each thread keeps one keep-alive connection of its own
(http.client connections are not thread-safe), which suits Celery's thread pool and
Temporal's synchronous activities. A request is never retried here: a POST /effect
whose answer was lost may have been applied, and only the world may decide that.
"""

from __future__ import annotations

import http.client
import json
import math
import select
import threading
from typing import Protocol, TypedDict

from faultline_runtime.js import stringify

DEFAULT_TIMEOUT_S = 30.0
"""A real HTTP client gives up eventually; a blackholed link must not hang a step forever."""


# The wire shapes, field for field (and in order) as core/world-protocol.ts has them.
class WorkRequest(TypedDict):
    cell: str
    runId: str
    stepId: str
    attempt: int
    ms: float
    """How long the simulated API takes, drawn by the caller from the step's distribution."""


class EffectRequest(TypedDict):
    cell: str
    runId: str
    stepId: str
    name: str
    key: str | None
    correlationId: str


class ApprovalRequest(TypedDict):
    cell: str
    runId: str
    stepId: str


class WorldUnavailable(Exception):
    """The world answered with an error status (a model-API outage, a 429). Retryable."""

    def __init__(self, status: int, retry_after_ms: float | None) -> None:
        super().__init__(f"world answered {status}")
        self.status = status
        self.retry_after_ms = retry_after_ms


class World(Protocol):
    """What the step runtime needs of the world."""

    def model(self, req: WorkRequest) -> object: ...
    def tool(self, req: WorkRequest) -> object: ...
    def effect(self, req: EffectRequest) -> object: ...
    def compensate(self, req: EffectRequest) -> object: ...
    def request_approval(self, req: ApprovalRequest) -> object: ...


def _retry_after_ms(header: str | None) -> float | None:
    """Retry-After in seconds, as ms; None when absent or not a number."""
    if header is None:
        return None
    try:
        seconds = float(header.strip() or "0")  # Number('') is 0 in the reference
    except ValueError:
        return None
    return seconds * 1000 if math.isfinite(seconds) else None


class WorldClient:
    def __init__(self, host: str, port: int, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.host = host
        self.port = port
        # Per socket operation (connect, send, each read), where the reference's 30 s bound
        # the whole request; for a blackholed link, which sends nothing, the two agree.
        self.timeout_s = timeout_s
        self._local = threading.local()

    def model(self, req: WorkRequest) -> object:
        return self._post("/model", req)

    def tool(self, req: WorkRequest) -> object:
        return self._post("/tool", req)

    def effect(self, req: EffectRequest) -> object:
        return self._post("/effect", req)

    def compensate(self, req: EffectRequest) -> object:
        return self._post("/compensate", req)

    def request_approval(self, req: ApprovalRequest) -> object:
        return self._post("/approval", req)

    def close(self) -> None:
        """Closes this thread's connection (others close with their threads)."""
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
            self._local.conn = conn
        elif conn.sock is not None and select.select([conn.sock], [], [], 0)[0]:
            # An idle keep-alive socket that is readable was closed by the other side (the
            # server's keep-alive timeout, a reset link). Sending on it would fail a request
            # that never reached the world; reconnect first, as Node's pool drops such sockets.
            conn.close()
        return conn

    def _post(self, path: str, body: object) -> object:
        conn = self._connection()
        payload = stringify(body).encode("utf-8")
        try:
            conn.request("POST", path, body=payload, headers={"content-type": "application/json"})
            response = conn.getresponse()
            data = response.read()
        except BaseException:
            # The connection is in an unknown state (half a response, a timeout): drop it.
            self.close()
            raise
        try:
            answer: object = json.loads(data) if data else None
        except ValueError:
            answer = None
        if not 200 <= response.status < 300:
            raise WorldUnavailable(response.status, _retry_after_ms(response.getheader("retry-after")))
        return answer
