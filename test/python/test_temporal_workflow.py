"""The Python pipeline workflow (faultline_temporal.workflow) on a real Temporal dev server:
the CLI binary setup installed, started by the SDK's own test environment
(WorkflowEnvironment.start_local with dev_server_existing_path, no download). Its
activities are stand-ins that record when each step starts and ends, so the DAG
interpreter's decisions can be checked without the step runtime.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from faultline_temporal import code as worker_code
from faultline_temporal.protocol import PIPELINE_WORKFLOW, CodePlan, Patch, PipelineStep, WorkflowCode
from faultline_temporal.workflow import Pipeline
from support import REPO_ROOT

TEMPORAL_CLI = REPO_ROOT / ".tools" / "temporal" / "bin" / "temporal"
WORKFLOW_QUEUE = "workflows"
ACTIVITY_QUEUE = "workflows.activities"


class Recorder:
    """Stand-in activities under the real names; `fail` makes a step fail for good."""

    def __init__(self, fail: frozenset[str] = frozenset()) -> None:
        self.log: list[str] = []
        self.queues: dict[str, str] = {}
        """The task queue each step's activity ran on."""
        self.ended: dict[str, float] = {}
        """When each step's activity ended (epoch ms)."""
        self.fired: dict[str, tuple[float, float]] = {}
        """Each timer's firing: when (epoch ms), and the intended time the workflow gave it."""
        self.versions: dict[str, object] = {}
        """The version each step's activity was asked to run (knob versioning `patched`)."""
        self.fail = fail

    def activities(self) -> list[Any]:
        @activity.defn(name="executeStep")
        async def execute_step(args: dict[str, Any]) -> None:
            step = args["stepId"]
            self.log.append(f"start {step}")
            self.queues[step] = activity.info().task_queue
            await asyncio.sleep(0.01 if step != "slow" else 0.3)
            if step in self.fail:
                self.log.append(f"fail {step}")
                raise ApplicationError(
                    f"{step} failed for good", type="PermanentStepError", non_retryable=True
                )
            self.log.append(f"end {step}")
            self.ended[step] = time.time() * 1000
            self.versions[step] = args.get("version")

        @activity.defn(name="compensateStep")
        async def compensate_step(args: dict[str, Any]) -> None:
            self.log.append(f"compensate {args['stepId']}")

        @activity.defn(name="requestApproval")
        async def request_approval(args: dict[str, Any]) -> int:
            self.log.append(f"ask {args['stepId']}")
            return activity.info().attempt

        @activity.defn(name="completeApproval")
        async def complete_approval(args: dict[str, Any]) -> None:
            self.log.append(f"decided {args['stepId']} {args['approved']} attempt {args['attempt']}")

        @activity.defn(name="fireTimer")
        async def fire_timer(args: dict[str, Any]) -> None:
            self.log.append(f"fire {args['stepId']}")
            self.fired[args["stepId"]] = (time.time() * 1000, float(args["intendedAt"]))

        return [execute_step, compensate_step, request_approval, complete_approval, fire_timer]


def step(id: str, *deps: str, kind: str = "compute", compensable: bool = False) -> dict[str, Any]:
    return {"id": id, "kind": kind, "dependsOn": list(deps), "heartbeat": False, "compensable": compensable}


def pipeline_input(
    steps: list[dict[str, Any]], *, saga: bool, task_queue: str | None = None
) -> dict[str, Any]:
    activity_settings: dict[str, Any] = {
        "startToCloseTimeout": 10000,
        "heartbeatTimeout": 5000,
        "retry": {
            "initialInterval": 100,
            "backoffCoefficient": 2,
            "maximumInterval": 1000,
            "maximumAttempts": 2,
            "nonRetryableErrorTypes": ["PermanentStepError"],
        },
    }
    if task_queue is not None:
        activity_settings["taskQueue"] = task_queue
    return {"runId": "r1", "steps": steps, "activity": activity_settings, "rollsBackOnFailure": saga}


@pytest.fixture(scope="module")
def loop_and_env() -> Iterator[tuple[asyncio.AbstractEventLoop, WorkflowEnvironment]]:
    if not TEMPORAL_CLI.exists():
        pytest.fail(f"{TEMPORAL_CLI} is missing: run npm run setup (it installs the Temporal CLI)")
    loop = asyncio.new_event_loop()
    env = loop.run_until_complete(WorkflowEnvironment.start_local(dev_server_existing_path=str(TEMPORAL_CLI)))
    try:
        yield loop, env
    finally:
        loop.run_until_complete(env.shutdown())
        loop.close()


async def run_pipeline(
    env: WorkflowEnvironment,
    recorder: Recorder,
    data: dict[str, Any],
    *,
    split: bool = False,
    signals: list[dict[str, Any]] | None = None,
) -> Any:
    """Runs one pipeline workflow; with `split`, its activities in a worker of their own queue."""
    queue = f"{WORKFLOW_QUEUE}-{uuid.uuid4()}"
    activity_queue = f"{queue}.activities" if split else queue
    if split:
        data["activity"]["taskQueue"] = activity_queue
    workers = (
        [
            Worker(env.client, task_queue=queue, workflows=[Pipeline]),
            Worker(env.client, task_queue=activity_queue, activities=recorder.activities()),
        ]
        if split
        else [Worker(env.client, task_queue=queue, workflows=[Pipeline], activities=recorder.activities())]
    )
    async with contextlib.AsyncExitStack() as running:
        for worker in workers:
            await running.enter_async_context(worker)
        handle = await env.client.start_workflow(
            PIPELINE_WORKFLOW, data, id=f"wf-{uuid.uuid4()}", task_queue=queue
        )
        for signal in signals or []:
            await handle.signal("approval", signal)
        return await handle.result()


def test_runs_each_step_once_its_dependencies_ended_fanned_out_items_in_parallel(
    loop_and_env: tuple[asyncio.AbstractEventLoop, WorkflowEnvironment],
) -> None:
    loop, env = loop_and_env
    recorder = Recorder()
    steps = [
        step("a"),
        step("slow", "a"),
        step("b#0", "a"),
        step("b#1", "a"),
        step("c", "b#0", "b#1", "slow"),
    ]
    result = loop.run_until_complete(run_pipeline(env, recorder, pipeline_input(steps, saga=False)))
    assert result == {"steps": 5}
    log = recorder.log
    for s in steps:
        for dependency in s["dependsOn"]:
            assert log.index(f"end {dependency}") < log.index(f"start {s['id']}"), (dependency, s["id"])
    # The items do not wait for their slow sibling: both end while it still runs.
    assert log.index("end b#0") < log.index("end slow")
    assert log.index("end b#1") < log.index("end slow")
    # Every step ran once.
    assert sorted(e.split()[1] for e in log if e.startswith("end ")) == sorted(s["id"] for s in steps)


def test_sends_activities_to_their_own_queue_when_the_input_names_one(
    loop_and_env: tuple[asyncio.AbstractEventLoop, WorkflowEnvironment],
) -> None:
    loop, env = loop_and_env
    recorder = Recorder()
    data = pipeline_input([step("a"), step("b", "a")], saga=False)
    loop.run_until_complete(run_pipeline(env, recorder, data, split=True))
    assert sorted(recorder.queues) == ["a", "b"]
    assert all(queue.endswith(".activities") for queue in recorder.queues.values()), recorder.queues


def test_a_failed_run_compensates_what_completed_last_first_and_starts_nothing_new(
    loop_and_env: tuple[asyncio.AbstractEventLoop, WorkflowEnvironment],
) -> None:
    loop, env = loop_and_env
    recorder = Recorder(fail=frozenset({"doomed"}))
    steps = [
        step("first", compensable=True),
        step("second", "first", compensable=True),
        step("slow", "first", compensable=True),  # in flight when doomed fails: settles, then is undone
        step("doomed", "second"),
        step("never", "doomed", compensable=True),
    ]
    with pytest.raises(WorkflowFailureError) as failure:
        loop.run_until_complete(run_pipeline(env, recorder, pipeline_input(steps, saga=True)))
    cause = failure.value.cause
    assert isinstance(cause, ActivityError)
    assert isinstance(cause.cause, ApplicationError)
    assert cause.cause.type == "PermanentStepError"
    log = recorder.log
    assert "start never" not in log
    # Undone in reverse completion order: slow (300 ms) completed after second.
    completed = [e.split()[1] for e in log if e.startswith("end ")]
    assert completed == ["first", "second", "slow"]
    assert [e for e in log if e.startswith("compensate")] == [
        "compensate slow",
        "compensate second",
        "compensate first",
    ]
    assert log.index("end slow") < log.index("compensate slow")


def test_without_a_saga_the_first_failure_fails_the_run_with_nothing_undone(
    loop_and_env: tuple[asyncio.AbstractEventLoop, WorkflowEnvironment],
) -> None:
    loop, env = loop_and_env
    recorder = Recorder(fail=frozenset({"doomed"}))
    steps = [step("first", compensable=True), step("doomed", "first")]
    with pytest.raises(WorkflowFailureError):
        loop.run_until_complete(run_pipeline(env, recorder, pipeline_input(steps, saga=False)))
    assert not any(e.startswith("compensate") for e in recorder.log)


def test_an_approval_waits_for_its_signal_even_one_sent_early_and_a_rejection_rolls_back(
    loop_and_env: tuple[asyncio.AbstractEventLoop, WorkflowEnvironment],
) -> None:
    loop, env = loop_and_env
    steps = [
        step("persist", compensable=True),
        step("review", "persist", kind="approval"),
        step("notify", "review"),
    ]
    approved = Recorder()
    # The decision is signalled right after the start, before the workflow reaches the step.
    loop.run_until_complete(
        run_pipeline(
            env, approved, pipeline_input(steps, saga=True), signals=[{"stepId": "review", "approved": True}]
        )
    )
    decided = approved.log.index("decided review True attempt 1")
    assert approved.log.index("end persist") < approved.log.index("ask review") < decided
    assert approved.log[decided + 1 :] == ["start notify", "end notify"]
    rejected = Recorder()
    with pytest.raises(WorkflowFailureError) as failure:
        loop.run_until_complete(
            run_pipeline(
                env,
                rejected,
                pipeline_input(steps, saga=True),
                signals=[{"stepId": "review", "approved": False}, {"stepId": "review", "approved": True}],
            )
        )
    # The first decision stands; the rejection fails the run after undoing persist.
    assert isinstance(failure.value.cause, ApplicationError)
    assert failure.value.cause.type == "Rejected"
    assert "decided review False attempt 1" in rejected.log
    assert rejected.log[-1] == "compensate persist"
    assert "start notify" not in rejected.log


def test_a_timer_step_sleeps_its_delay_after_its_dependencies_then_fires_once_before_its_dependents(
    loop_and_env: tuple[asyncio.AbstractEventLoop, WorkflowEnvironment],
) -> None:
    loop, env = loop_and_env
    recorder = Recorder()
    wait = {**step("wait", "a", kind="timer"), "delayMs": 300}
    steps = [step("a"), wait, step("b", "wait")]
    loop.run_until_complete(run_pipeline(env, recorder, pipeline_input(steps, saga=False)))
    log = recorder.log
    assert log.count("fire wait") == 1
    assert log.index("end a") < log.index("fire wait") < log.index("start b")
    fired_at, intended_at = recorder.fired["wait"]
    # A durable timer fires no earlier than its delay after the step before it ended.
    assert fired_at >= recorder.ended["a"] + 300
    assert intended_at >= recorder.ended["a"] + 300 - 50  # workflow time: its task's start


def test_the_workers_code_decides_the_steps_and_a_new_run_takes_the_patched_path(
    loop_and_env: tuple[asyncio.AbstractEventLoop, WorkflowEnvironment],
) -> None:
    loop, env = loop_and_env
    recorder = Recorder()

    def plan(version: int, *ids: str) -> CodePlan:
        chained = [
            PipelineStep(i, "compute", (ids[n - 1],) if n else (), False, False) for n, i in enumerate(ids)
        ]
        return CodePlan(version, tuple(chained), False)

    # Version 2 renamed b; the input (the driver's plan) still says version 1.
    worker_code.deploy(WorkflowCode(plan(2, "a", "b-v2"), True, Patch("faultline-v2", plan(1, "a", "b"))))
    try:
        data = pipeline_input([step("a"), step("b", "a")], saga=False)
        loop.run_until_complete(run_pipeline(env, recorder, data))
    finally:
        worker_code.deploy(None)
    # A run started on this code has it patched in: the new path, activities naming version 2.
    assert sorted(recorder.ended) == ["a", "b-v2"]
    assert recorder.versions == {"a": 2, "b-v2": 2}
