"""What every Python worker entry point does around its adapter's own code.

    config = load_config_or_exit()          # FAULTLINE_WORKER_CONFIG_FILE, exit 2 if bad
    worker = build_worker(config)           # history, world client, failpoints, runtime
    exit_when_stdin_closes()                # the harness is gone: so is the worker
    on_sigterm(worker, adapter_shutdown)    # finish in-flight steps, then exit
    ... start the orchestrator's worker, then:
    announce_ready(worker)                  # worker-start in this worker's history

The harness starts every worker with a pipe on its stdin and never writes to it: EOF on
that pipe means the harness exited (or was killed), and a worker must not outlive it
(the Node workers watch their IPC channel for the same reason).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING

from faultline_runtime.config import ConfigError, WorkerConfig, load_worker_config
from faultline_runtime.failpoints import arm_chaos_failpoints
from faultline_runtime.history import HistoryWriter
from faultline_runtime.plan import RunPlan, plan_run
from faultline_runtime.runtime import StepRuntime
from faultline_runtime.world import WorldClient

if TYPE_CHECKING:
    from faultline_runtime.tracing import Tracing

EXIT_OK = 0
EXIT_SHUTDOWN_FAILED = 1
EXIT_BAD_CONFIG = 2  # the project's exit code for bad input or config


@dataclass(frozen=True)
class Worker:
    """Everything an adapter's worker needs: its config, the plan and the step runtime."""

    config: WorkerConfig
    plan: RunPlan
    history: HistoryWriter
    world: WorldClient
    runtime: StepRuntime
    tracing: Tracing | None = None
    """The run is traced: the adapter turns its orchestrator's own OpenTelemetry
    instrumentation on (its spans join the runtime's in the run's trace)."""

    versions: Mapping[int, StepRuntime] = field(default_factory=dict)
    """Cells with a deploy: a runtime per scenario version this worker knows (its own
    included), for a versioning remedy that runs old runs' steps with the old definitions.
    Empty elsewhere."""

    def runtime_for(self, version: int | None) -> StepRuntime:
        """The runtime of a version this worker knows; its own for None or an unknown one."""
        if version is None:
            return self.runtime
        return self.versions.get(version, self.runtime)


def _exit(code: int) -> None:
    # os._exit from any thread, without waiting for the orchestrator's own threads; the
    # history needs no flushing (one write(2) per line), stdio does.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def load_config_or_exit(path: str | None = None) -> WorkerConfig:
    """The worker config, or a one-line reason on stderr and exit code 2."""
    try:
        return load_worker_config(path)
    except ConfigError as error:
        print(f"worker: {error}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_CONFIG) from None


def build_worker(
    config: WorkerConfig,
    *,
    crash: Callable[[], None] | None = None,
    attempt_pid: bool = False,
    worker_pid: Callable[[], int] = os.getpid,
) -> Worker:
    """The shared step runtime with this worker's history, world link and failpoints.

    `crash` replaces the failpoints' SIGKILL of this process (tests; a worker whose kill
    hits its whole process group). Workers whose steps run in pool children pass
    `attempt_pid` (`attempt` events carry the pid of the process running the step) and
    `worker_pid` (a failpoint's fault-start names the worker's main process, as worker-exit
    will)."""
    history = HistoryWriter(config.history_path)
    plan = plan_run(config.scenario)
    world = WorldClient(config.world.host, config.world.port)
    # Each firing is recorded as a fault-start in this worker's history, right before it dies.
    failpoint = arm_chaos_failpoints(
        config.failpoints,
        history=history,
        cell=config.cell,
        worker_id=config.worker_id,
        crash=crash,
        worker_pid=worker_pid,
    )
    tracing = _start_tracing(config)

    def runtime_of(version_plan: RunPlan, version: int | None) -> StepRuntime:
        return StepRuntime(
            cell=config.cell,
            worker_id=config.worker_id,
            plan=version_plan,
            world=world,
            history=history,
            idempotent_effects=config.idempotent_effects,
            failpoint=failpoint,
            attempt_pid=attempt_pid,
            tracer=None if tracing is None else tracing.attempts,
            version=version,
        )

    runtime = runtime_of(plan, config.scenario_version)
    versions = {
        number: runtime_of(plan_run(scenario), number) for number, scenario in config.scenario_versions
    }
    if config.scenario_version is not None:
        versions[config.scenario_version] = runtime
    return Worker(
        config=config,
        plan=plan,
        history=history,
        world=world,
        runtime=runtime,
        tracing=tracing,
        versions=versions,
    )


def _start_tracing(config: WorkerConfig) -> Tracing | None:
    if config.traces_path is None:
        return None
    # Imported only for a traced run: the runtime itself needs nothing beyond the standard library.
    from faultline_runtime.tracing import start_tracing

    return start_tracing(
        service_name=f"faultline-{config.adapter}",
        instance_id=config.worker_id,
        path=config.traces_path,
        cell=config.cell,
        worker_id=config.worker_id,
    )


def announce_ready(worker: Worker) -> None:
    """Appends worker-start to the worker's history: call it once the worker takes steps."""
    worker.history.append(
        {
            "type": "worker-start",
            "cell": worker.config.cell,
            "worker": worker.config.worker_id,
            "pid": os.getpid(),
        }
    )


def _harness_gone() -> None:
    print(
        "worker: stdin reached EOF: the harness is gone (or started this worker without a stdin pipe);"
        " exiting",
        file=sys.stderr,
    )
    _exit(EXIT_OK)


def exit_when_stdin_closes(on_eof: Callable[[], None] = _harness_gone) -> threading.Thread:
    """Starts the watchdog: a daemon thread that reads stdin until EOF, then calls
    `on_eof` (default: exit 0 at once, like a Node worker whose IPC channel closed)."""

    def watch() -> None:
        # A closed or broken stdin (OSError, ValueError) means the harness is gone too.
        with contextlib.suppress(OSError, ValueError):
            fd = sys.stdin.buffer.fileno() if sys.stdin is not None else -1
            while fd >= 0 and os.read(fd, 65536):
                pass  # the harness writes nothing; whatever comes is ignored
        on_eof()

    thread = threading.Thread(target=watch, name="faultline-stdin-watchdog", daemon=True)
    thread.start()
    return thread


class GracefulShutdown:
    """SIGTERM = finish in-flight steps, then exit, as in an orchestrator's rolling restart.

    `shutdown` is the adapter's own graceful stop (Celery's warm shutdown, Temporal's
    `worker.shutdown()`): it stops taking new steps and returns once its work is done.
    Then the runtime's own count of running steps must reach zero (at most `drain_timeout_s`),
    and the process exits 0, or 1 when `shutdown` raised. Runs on its own thread: the
    adapter's stop may block, which a signal handler must not."""

    def __init__(
        self,
        worker: Worker,
        shutdown: Callable[[], None],
        *,
        drain_timeout_s: float | None = None,
        exit: Callable[[int], None] = _exit,
    ) -> None:
        self._worker = worker
        self._shutdown = shutdown
        self._drain_timeout_s = drain_timeout_s
        self._exit = exit
        self._started = threading.Event()
        self.thread: threading.Thread | None = None

    def begin(self) -> None:
        """Starts the shutdown (again: ignored). Callable from a signal handler or any thread."""
        if self._started.is_set():
            return
        self._started.set()
        self.thread = threading.Thread(target=self._run, name="faultline-graceful-shutdown")
        self.thread.start()

    def _run(self) -> None:
        code = EXIT_OK
        try:
            self._shutdown()
        except Exception as error:
            print(f"worker: graceful shutdown failed: {error}", file=sys.stderr)
            code = EXIT_SHUTDOWN_FAILED
        self._worker.runtime.wait_idle(self._drain_timeout_s)
        if self._worker.tracing is not None:
            # The spans still buffered: a graceful stop exports them (a SIGKILL loses them).
            self._worker.tracing.shutdown()
        self._exit(code)


def on_sigterm(
    worker: Worker, shutdown: Callable[[], None], *, drain_timeout_s: float | None = None
) -> GracefulShutdown:
    """Installs the SIGTERM handler (main thread only). An adapter whose orchestrator
    handles SIGTERM itself calls `GracefulShutdown(...).begin()` from that hook instead."""
    graceful = GracefulShutdown(worker, shutdown, drain_timeout_s=drain_timeout_s)

    def handler(signum: int, frame: FrameType | None) -> None:
        graceful.begin()

    signal.signal(signal.SIGTERM, handler)
    return graceful
