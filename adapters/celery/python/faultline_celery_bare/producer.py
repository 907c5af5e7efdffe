"""Bare Celery, the producer: sends the bench's no-op tasks with Celery's own `send_task`
as fast as Celery publishes them, and waits for every result the way a Celery user does, a
ResultSet joined natively (the Redis backend's pub/sub, subscribed before each task is
sent). `python -m faultline_celery_bare.producer` (the bench starts it)."""

from __future__ import annotations

import time

from celery.result import ResultSet

from faultline_celery_bare.app import NOOP_TASK, bare_app
from faultline_runtime.bare_protocol import read_bare_config, report_result


def main() -> int:
    config = read_bare_config()
    app = bare_app(config)
    started = time.monotonic()
    results = [app.send_task(NOOP_TASK, queue=config.name) for _ in range(config.runs)]
    # Raises if a task failed: a no-op that fails is a broken bench, not a figure.
    values = ResultSet(results, app=app).join_native(propagate=True)
    seconds = time.monotonic() - started
    completed = len(values)
    report_result(config, completed, seconds)
    app.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
