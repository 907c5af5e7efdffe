"""The world client's HTTP behaviour (keep-alive, errors, Retry-After, timeouts) against
a small local HTTP server. What the real world does with the requests is compared with
the TypeScript reference in test/integration/python-runtime-parity.test.ts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from faultline_runtime.world import ApprovalRequest, EffectRequest, WorkRequest, WorldClient, WorldUnavailable


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.bodies: list[tuple[str, str, str]] = []
        self.connections = 0
        self.reply: tuple[int, dict[str, str], bytes] = (200, {}, b'{"deduplicated":false}')
        self.close_after_reply = False
        self.delay = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server: Server

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def do_POST(self) -> None:
        close = self.server.close_after_reply  # decided before the client sees the reply
        length = int(self.headers["content-length"])
        body = self.rfile.read(length).decode("utf-8")
        self.server.bodies.append((self.path, self.headers["content-type"], body))
        if self.path == "/slow":
            self.server.delay.wait(5)
        status, headers, payload = self.server.reply
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        if close:
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Server]:
    server = Server()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield server
    server.delay.set()
    server.shutdown()
    server.server_close()


def client(server: Server, timeout_s: float = 5) -> WorldClient:
    return WorldClient("127.0.0.1", server.server_address[1], timeout_s)


def test_posts_compact_json_and_returns_the_answer_over_one_kept_alive_connection(server: Server) -> None:
    world = client(server)
    effect: EffectRequest = {
        "cell": "c",
        "runId": "r1",
        "stepId": "persist",
        "name": "store",
        "key": None,
        "correlationId": "r1",
    }
    assert world.effect(effect) == {"deduplicated": False}
    world.model({"cell": "c", "runId": "r1", "stepId": "llm", "attempt": 2, "ms": 3.0})
    assert server.bodies == [
        (
            "/effect",
            "application/json",
            '{"cell":"c","runId":"r1","stepId":"persist","name":"store","key":null,"correlationId":"r1"}',
        ),
        ("/model", "application/json", '{"cell":"c","runId":"r1","stepId":"llm","attempt":2,"ms":3}'),
    ]
    assert server.connections == 1


def test_each_thread_has_a_connection_of_its_own(server: Server) -> None:
    world = client(server)
    approval: ApprovalRequest = {"cell": "c", "runId": "r", "stepId": "s"}
    threads = [
        threading.Thread(target=lambda: [world.request_approval(approval) for _ in range(3)])
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(server.bodies) == 12
    assert server.connections == 4


def test_an_error_status_raises_world_unavailable_with_retry_after_in_ms(server: Server) -> None:
    world = client(server)
    request: WorkRequest = {"cell": "c", "runId": "r1", "stepId": "llm", "attempt": 1, "ms": 0}
    server.reply = (429, {"retry-after": "2"}, b'{"error":"model API unavailable"}')
    with pytest.raises(WorldUnavailable, match="world answered 429") as raised:
        world.model(request)
    assert (raised.value.status, raised.value.retry_after_ms) == (429, 2000)
    server.reply = (503, {}, b"not json")
    with pytest.raises(WorldUnavailable) as raised:
        world.tool(request)
    assert (raised.value.status, raised.value.retry_after_ms) == (503, None)
    server.reply = (200, {}, b"")
    assert world.tool(request) is None


def test_reconnects_when_the_server_closed_the_idle_connection(server: Server) -> None:
    world = client(server)
    request: WorkRequest = {"cell": "c", "runId": "r1", "stepId": "t", "attempt": 1, "ms": 0}
    server.close_after_reply = True  # as a server whose keep-alive timeout passed
    world.tool(request)
    server.close_after_reply = False
    time.sleep(0.05)  # the connection idles: the server's close arrives meanwhile
    world.tool(request)
    world.tool(request)
    assert len(server.bodies) == 3
    assert server.connections == 2


def test_gives_up_after_its_timeout_and_recovers(server: Server) -> None:
    world = client(server, timeout_s=0.2)
    with pytest.raises(TimeoutError):
        world._post("/slow", {})
    server.delay.set()
    assert world.effect(
        {"cell": "c", "runId": "r", "stepId": "s", "name": "n", "key": "k", "correlationId": "r"}
    ) == {"deduplicated": False}
    assert json.loads(server.bodies[-1][2])["key"] == "k"
