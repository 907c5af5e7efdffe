"""The bare-script protocol of `faultline bench` (scenarios/bare-protocol.ts is the contract),
for bare scripts written in Python: the config the bench hands a bare process, its ready file,
its result, and its end with the bench. A bare script uses its library and nothing else of
Faultline; these helpers only speak to the bench.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BARE_PROTOCOL_VERSION = 1
BARE_CONFIG_ENV = "FAULTLINE_BARE_CONFIG_FILE"


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int


@dataclass(frozen=True)
class BareConfig:
    role: str
    runs: int
    concurrency: int
    knobs: dict[str, Any]
    services: dict[str, Endpoint]
    name: str
    signal_path: str


def read_bare_config(env: dict[str, str] | None = None) -> BareConfig:
    """The config the bench wrote for this process; a ValueError naming what is wrong otherwise."""
    path = (env if env is not None else dict(os.environ)).get(BARE_CONFIG_ENV)
    if not path:
        raise ValueError(f"{BARE_CONFIG_ENV} is not set: bare scripts are started by faultline bench")
    with open(path, encoding="utf-8") as file:
        data = json.load(file)
    if data.get("protocol") != BARE_PROTOCOL_VERSION:
        raise ValueError(
            f"bare config speaks protocol {data.get('protocol')}; this script speaks {BARE_PROTOCOL_VERSION}"
        )
    services = {
        name: Endpoint(host=str(endpoint["host"]), port=int(endpoint["port"]))
        for name, endpoint in data["services"].items()
    }
    return BareConfig(
        role=str(data["role"]),
        runs=int(data["runs"]),
        concurrency=int(data["concurrency"]),
        knobs=dict(data["knobs"]),
        services=services,
        name=str(data["name"]),
        signal_path=str(data["signalPath"]),
    )


def announce_ready(config: BareConfig) -> None:
    """The worker takes work: tell the bench."""
    with open(config.signal_path, "w", encoding="utf-8") as file:
        file.write(f"{os.getpid()}\n")


def report_result(config: BareConfig, completed: int, seconds: float) -> None:
    """The producer's figures, for the bench."""
    with open(config.signal_path, "w", encoding="utf-8") as file:
        file.write(json.dumps({"completed": completed, "seconds": seconds}) + "\n")


def exit_with_the_bench(on_eof: Callable[[], None]) -> threading.Thread:
    """The bench holds the write end of stdin and never writes: end of file means it is gone,
    and a bare process must not outlive it. `on_eof` ends this process (and its children)."""

    def watch() -> None:
        with contextlib.suppress(OSError, ValueError):
            fd = sys.stdin.buffer.fileno() if sys.stdin is not None else -1
            while fd >= 0 and os.read(fd, 65536):
                pass
        on_eof()

    thread = threading.Thread(target=watch, name="bare-stdin-watchdog", daemon=True)
    thread.start()
    return thread
