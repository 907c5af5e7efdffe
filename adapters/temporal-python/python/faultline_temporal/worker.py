"""The Temporal Python worker process (the supervisor starts it:
`python -m faultline_temporal.worker`; adapters/README.md, the worker protocol).

Its role says what it runs: `worker` (temporal-python) workflows and activities on the
cell's task queue; `activity` (temporal-polyglot's Python workers) only activities, on the
cell's activity queue, for workflows a TypeScript worker runs; `workflow` only workflows.
It reaches the server through the `server` Toxiproxy link.

Traced (the config's `traces`), the SDK's own OpenTelemetry interceptor
(`temporalio.contrib.opentelemetry.TracingInterceptor`) is on the worker, on the process's
provider: it takes the trace context the harness's client (or a TypeScript workflow) puts
in the headers, so a workflow's spans and each activity's `RunActivity` span are in the
run's trace, and the step runtime's attempt span is a child of the activity's.
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Interceptor
from temporalio.worker import Worker as TemporalWorker

from faultline_runtime.config import ConfigError, WorkerConfig
from faultline_runtime.lifecycle import (
    EXIT_BAD_CONFIG,
    Worker,
    announce_ready,
    build_worker,
    exit_when_stdin_closes,
    load_config_or_exit,
    on_sigterm,
)
from faultline_runtime.plan import RunPlan
from faultline_temporal import code as worker_code
from faultline_temporal.activities import StepActivities
from faultline_temporal.conflicts import conflict_watching_runtime
from faultline_temporal.protocol import (
    ACTIVITY_ROLE,
    WORKFLOW_ROLE,
    CodePlan,
    Patch,
    PipelineStep,
    WorkflowCode,
    activity_task_queue_name,
    task_queue_name,
)
from faultline_temporal.settings import WorkerSettings, worker_settings
from faultline_temporal.workflow import Pipeline

SERVER_LINK = "server"
SHUTDOWN_GRACE = timedelta(seconds=8)
"""SIGTERM lets in-flight steps finish this long (the supervisor SIGKILLs after 10 s)."""
EXIT_STOPPED = 1


def _namespace(config: WorkerConfig) -> str:
    namespace = config.endpoints[SERVER_LINK].options.get("namespace", "default")
    return namespace if isinstance(namespace, str) else "default"


def interceptors(worker: Worker) -> list[Interceptor]:
    """Temporal's OpenTelemetry interceptor when the run is traced (imported only then)."""
    if worker.tracing is None:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor(worker.tracing.provider.get_tracer("temporalio.contrib.opentelemetry"))]


def pipeline_steps(plan: RunPlan) -> tuple[PipelineStep, ...]:
    """A plan's step instances as the workflow walks them (pipelineSteps in protocol.ts)."""
    return tuple(
        PipelineStep(
            id=i.id,
            kind=i.spec.kind,
            depends_on=i.depends_on,
            heartbeat=i.spec.heartbeat is not None,
            compensable=i.spec.compensation is not None,
            delay_ms=i.spec.delay_ms,
            input_version=i.spec.input_version,
        )
        for i in plan.instances
    )


def workflow_code(worker: Worker, settings: WorkerSettings) -> WorkflowCode:
    """This worker's workflow code (workflowCode in worker.ts): the plan of the scenario
    version it runs. With knob versioning `patched`, a version after the first also carries
    the previous version's plan and the patch id that tells a run's history apart, and
    activities name their version."""
    own = worker.config.scenario_version or 1

    def code_plan(version: int, plan: RunPlan) -> CodePlan:
        return CodePlan(version, pipeline_steps(plan), plan.rolls_back_on_failure)

    patched = settings.versioning == "patched"
    previous = worker.versions.get(own - 1)
    return WorkflowCode(
        plan=code_plan(own, worker.plan),
        versioned_activities=patched,
        patch=(
            Patch(f"faultline-v{own}", code_plan(own - 1, previous.plan))
            if patched and previous is not None
            else None
        ),
    )


def create_worker(client: Client, worker: Worker, settings: WorkerSettings) -> TemporalWorker:
    """The SDK's worker for this process's role, configured from the knobs."""
    config = worker.config
    runs_workflows = config.role != ACTIVITY_ROLE
    runs_activities = config.role != WORKFLOW_ROLE
    queue = (
        task_queue_name(settings.task_queue_prefix, config.cell)
        if runs_workflows
        else activity_task_queue_name(settings.task_queue_prefix, config.cell)
    )
    activities = StepActivities(worker.runtime_for, resume_from_checkpoint=settings.resume_from_checkpoint)
    return TemporalWorker(
        client,
        task_queue=queue,
        workflows=[Pipeline] if runs_workflows else [],
        # A workflow worker runs its timers' firings itself (a local activity).
        activities=activities.all() if runs_activities else [activities.fire_timer] if runs_workflows else [],
        # One thread per activity slot: each runs a blocking step.
        activity_executor=(
            ThreadPoolExecutor(settings.max_concurrent_activities, thread_name_prefix="activity")
            if runs_activities
            else None
        ),
        identity=config.worker_id,
        interceptors=interceptors(worker),
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        sticky_queue_schedule_to_start_timeout=settings.sticky_queue_schedule_to_start_timeout,
        max_heartbeat_throttle_interval=settings.max_heartbeat_throttle_interval,
        graceful_shutdown_timeout=SHUTDOWN_GRACE,
    )


async def serve(worker: Worker, settings: WorkerSettings) -> None:
    config = worker.config
    began = asyncio.get_running_loop().time()
    endpoint = config.endpoints[SERVER_LINK]
    worker_code.deploy(workflow_code(worker, settings))

    def conflict(temporal_run_id: str, detail: str) -> None:
        run_id = worker_code.run_of(temporal_run_id)
        if run_id is not None:
            worker.runtime.version_conflict(run_id, detail)

    # Core's logs come through a logger that records non-determinism errors as version conflicts.
    client = await Client.connect(
        f"{endpoint.host}:{endpoint.port}",
        namespace=_namespace(config),
        runtime=conflict_watching_runtime(conflict),
    )
    temporal = create_worker(client, worker, settings)
    loop = asyncio.get_running_loop()

    def shutdown() -> None:
        # Called from the graceful-shutdown thread: the SDK's shutdown runs on the event loop.
        asyncio.run_coroutine_threadsafe(temporal.shutdown(), loop).result()

    graceful = on_sigterm(worker, shutdown)
    running = asyncio.create_task(temporal.run())
    while not temporal.is_running and not running.done():
        await asyncio.sleep(0.01)
    if running.done():
        running.result()  # raises why it could not start
    announce_ready(worker)
    print(f"temporal python worker {config.worker_id} ({config.role}) ready in {loop.time() - began:.2f} s")
    try:
        await running
    except Exception as error:
        # A worker that gave up (e.g. the server stayed unreachable) dies; the supervisor restarts it.
        print(f"temporal python worker {config.worker_id} stopped: {error}", file=sys.stderr)
        raise SystemExit(EXIT_STOPPED) from None
    if graceful.thread is None:
        print(f"temporal python worker {config.worker_id} stopped on its own", file=sys.stderr)
        raise SystemExit(EXIT_STOPPED)
    # SIGTERM: the graceful-shutdown thread waits for the last step, then exits the process.
    await asyncio.to_thread(graceful.thread.join)


def main() -> None:
    config = load_config_or_exit()
    try:
        if SERVER_LINK not in config.endpoints:
            raise ConfigError(f"endpoints.{SERVER_LINK}: missing (the Temporal server's link)")
        settings = worker_settings(config.knobs)
    except ConfigError as error:
        print(f"worker: {error}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_CONFIG) from None
    worker = build_worker(config)
    exit_when_stdin_closes()
    asyncio.run(serve(worker, settings))


if __name__ == "__main__":
    main()
