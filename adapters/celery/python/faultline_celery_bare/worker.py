"""Bare Celery, the worker: one Celery worker at the bench's concurrency with the knobs'
pool, one no-op task. `python -m faultline_celery_bare.worker` (the bench starts it)."""

from __future__ import annotations

import os
import signal
from typing import Any

from celery import signals

from faultline_celery_bare.app import NOOP_TASK, bare_app
from faultline_runtime.bare_protocol import announce_ready, exit_with_the_bench, read_bare_config


def kill_group() -> None:
    """The bench is gone: the worker and its pool children go too (this process leads its group)."""
    os.killpg(os.getpgid(0), signal.SIGKILL)


def main() -> int:
    config = read_bare_config()
    app = bare_app(config)

    @app.task(name=NOOP_TASK)  # type: ignore[untyped-decorator]
    def noop() -> None:
        return None

    def ready(**_: Any) -> None:
        announce_ready(config)

    exit_with_the_bench(kill_group)
    signals.worker_ready.connect(ready, weak=False)
    knobs = config.knobs
    worker = app.Worker(
        hostname=f"{config.name}@bare",
        pool=knobs["pool"],
        concurrency=config.concurrency,
        loglevel="WARNING",
        without_mingle=knobs["without_mingle"],
        without_gossip=knobs["without_gossip"],
        without_heartbeat=knobs["without_heartbeat"],
        quiet=True,
    )
    # SIGTERM is Celery's warm shutdown: tasks in flight finish, then it exits 0.
    worker.start()
    code = worker.exitcode
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
