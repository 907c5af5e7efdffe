"""The Celery worker process (the supervisor starts it: adapters/README.md, the worker
protocol): a real Celery worker, `app.Worker(...).start()`, prefork or thread pool, whose
tasks run each step through the shared step runtime.

    FAULTLINE_WORKER_CONFIG_FILE=... python -m faultline_celery.worker

- Knobs are checked against the installed celery and kombu first: an unknown setting or
  transport option is one line naming it and the valid names, exit code 2.
- Ready: `worker-start` once Celery says the worker is ready (its `worker_ready` signal),
  with the main process's pid; pool children are its children.
- SIGTERM is Celery's own warm shutdown: it stops consuming, lets the tasks in flight
  finish, gives its prefetched messages back to the queue, and exits 0.
- End of file on stdin (the harness is gone): SIGKILL to the worker's whole process group,
  pool children included; and each pool child dies with the main process (pdeathsig).
- A failpoint SIGKILLs the whole group too, after its fault-start: the worker dies there.
- Traced (the config's `traces`): every process that runs tasks (each prefork pool child,
  or the one process of a thread pool) starts its tracer provider, then Celery's own
  instrumentation on it (faultline_celery.tracing), and flushes its spans when Celery
  stops it. The main process of a prefork pool runs no task and traces nothing.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import signal
import sys
import warnings
from typing import Any

from celery import signals
from celery.exceptions import SecurityWarning

from faultline_celery.app import make_app
from faultline_celery.knobs import CeleryKnobs, KnobError, parse_knobs
from faultline_celery.tasks import WorkerContext, kill_worker_group, register_tasks
from faultline_runtime.config import WorkerConfig
from faultline_runtime.lifecycle import (
    EXIT_BAD_CONFIG,
    Worker,
    announce_ready,
    build_worker,
    exit_when_stdin_closes,
    load_config_or_exit,
)

BROKER_LINK = "broker"


PR_SET_PDEATHSIG = 1
MAIN_PID = os.getpid()
"""The worker's main process: the pool children are forked from it."""


def die_with_main_process(**_: Any) -> None:
    """In each pool child (Celery's worker_process_init): the kernel SIGKILLs it when the
    main process dies, however it dies. The harness starts the main process so (pdeathsig);
    a forked child does not inherit that, and an orphaned pool would outlive the run."""
    if not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != MAIN_PID:  # the main process died before the prctl
        os._exit(1)


def trace_tasks(worker: Worker) -> None:
    """In a process that runs tasks, once its provider started (build_worker): Celery's
    instrumentation on it, so each task's span (from the message's trace context) is the
    current span the step runtime's attempt span is a child of."""
    if worker.tracing is None:
        return
    from faultline_celery.tracing import instrument

    instrument(worker.tracing.provider)


def flush_spans(worker: Worker) -> None:
    """What the process's batch processor still holds, when Celery stops a pool child (a
    pool child leaves with os._exit: no atexit hook would export it). A SIGKILL loses it."""
    if worker.tracing is not None:
        worker.tracing.shutdown()


def knobs_or_exit(config: WorkerConfig) -> CeleryKnobs:
    try:
        return parse_knobs(config.knobs)
    except KnobError as error:
        print(f"worker: {error}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_CONFIG) from None


def main() -> int:
    # Containers and this harness often run as root; Celery warns at every start (it refuses
    # only pickle as root, which the adapter does not use).
    warnings.filterwarnings("ignore", category=SecurityWarning)
    config = load_config_or_exit()
    knobs = knobs_or_exit(config)
    broker = config.endpoints.get(BROKER_LINK)
    if broker is None:
        print(f"worker: config.endpoints has no {BROKER_LINK!r} link", file=sys.stderr)
        return EXIT_BAD_CONFIG
    app = make_app(config.cell, broker.host, broker.port, knobs)
    context = WorkerContext(config, knobs, crash=kill_worker_group)
    register_tasks(app, context)
    exit_when_stdin_closes(on_eof=kill_worker_group)
    if knobs.pool == "prefork":
        # The main process only writes worker-start: it runs no task, so it traces nothing
        # (a provider started before the fork would be every child's global one).
        announcer = build_worker(dataclasses.replace(config, traces_path=None))

        def init_pool_child(**_: Any) -> None:
            # After the fork (threads, such as the batch span processor's, do not survive one):
            # the child's step runtime and provider, then the instrumentation on it.
            die_with_main_process()
            trace_tasks(context.worker())

        def stop_pool_child(**_: Any) -> None:
            flush_spans(context.worker())

        signals.worker_process_init.connect(init_pool_child, weak=False)
        signals.worker_process_shutdown.connect(stop_pool_child, weak=False)
    else:
        # One process runs every task: one step runtime for its threads and the announcement.
        announcer = context.worker()
        trace_tasks(announcer)

    def ready(**_: Any) -> None:
        announce_ready(announcer)

    signals.worker_ready.connect(ready, weak=False)
    worker = app.Worker(
        hostname=f"{config.worker_id}@faultline",
        pool=knobs.pool,
        concurrency=knobs.concurrency,
        loglevel="WARNING",
        without_mingle=knobs.without_mingle,
        without_gossip=knobs.without_gossip,
        without_heartbeat=knobs.without_heartbeat,
        quiet=True,
    )
    worker.start()
    code = worker.exitcode
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
