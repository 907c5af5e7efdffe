"""What the driver (the harness, in TypeScript), the workflow and the activities agree on:
the Python side of adapters/temporal/protocol.ts. The workflow type and its input, the
approval signal, the activity names and the task queues are the same for workers in either
language, so one driver starts both and one workflow can call the other's activities.

Pure and deterministic, standard library only: the workflow sandbox imports it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PIPELINE_WORKFLOW = "pipeline"
"""The workflow type the driver starts (the exported function `pipeline` in workflow.ts)."""
APPROVAL_SIGNAL = "approval"
"""The signal carrying the approver's decision, `{stepId, approved}`."""
PERMANENT_FAILURE = "PermanentStepError"
"""The failure type of a step that must not be retried (a PermanentStepError)."""
REJECTED = "Rejected"
NOT_STARTED = "NotStarted"

EXECUTE_STEP = "executeStep"
REQUEST_APPROVAL = "requestApproval"
COMPLETE_APPROVAL = "completeApproval"
COMPENSATE_STEP = "compensateStep"
FIRE_TIMER = "fireTimer"
"""A timer step's firing: a local activity right after the workflow's durable timer fired."""

WORKER_ROLE = "worker"
"""Runs workflows and activities, on the cell's task queue."""
WORKFLOW_ROLE = "workflow"
"""Runs workflows only; their activities go to the activity task queue."""
ACTIVITY_ROLE = "activity"
"""Runs activities only, on the activity task queue."""


class InputShapeError(ValueError):
    """The workflow input is not what the driver sends (names the field)."""


@dataclass(frozen=True)
class PipelineStep:
    """One step instance as the workflow sees it: enough to walk the DAG, nothing to execute."""

    id: str
    kind: str
    depends_on: tuple[str, ...]
    heartbeat: bool
    """The step heartbeats, so its activity gets the heartbeat timeout."""
    compensable: bool
    """The step declares a compensation: a failed run undoes it (saga) once it completed."""
    delay_ms: float | None = None
    """Timer steps: the workflow sleeps this long (a durable timer) before the step fires."""
    input_version: int | None = None
    """The step's input version, sent with its activity (None: 1)."""


@dataclass(frozen=True)
class CodePlan:
    """One scenario version's plan as workflow code carries it (CodePlan in protocol.ts)."""

    version: int
    steps: tuple[PipelineStep, ...]
    rolls_back_on_failure: bool


@dataclass(frozen=True)
class Patch:
    patch_id: str
    """What `workflow.patched()` asks: was this run's history made with the code after the change?"""
    previous: CodePlan
    """The plan a run takes when its history was made without this code."""


@dataclass(frozen=True)
class WorkflowCode:
    """The pipeline as the worker's workflow code knows it (WorkflowCode in protocol.ts): a
    workflow is code, and the code a worker runs is the scenario version it was deployed
    with, so a deploy that changes the scenario changes the workflow code of runs already
    in flight, as editing a workflow function would. The input's steps are the fallback
    for a worker given no code."""

    plan: CodePlan
    versioned_activities: bool
    """Knob versioning `patched`: activities carry the plan's version (old step definitions stay runnable)."""
    patch: Patch | None = None
    """Knob versioning `patched`, on a version after the first."""


@dataclass(frozen=True)
class RetrySettings:
    initial_interval_ms: float
    backoff_coefficient: float
    maximum_interval_ms: float
    maximum_attempts: int
    """0: unlimited (the driver leaves the field out)."""
    non_retryable_error_types: tuple[str, ...]


@dataclass(frozen=True)
class ActivitySettings:
    task_queue: str | None
    """Where the activities go when other workers run them; None: the workflow's own queue."""
    start_to_close_timeout_ms: float
    schedule_to_close_timeout_ms: float | None
    heartbeat_timeout_ms: float
    retry: RetrySettings


@dataclass(frozen=True)
class PipelineInput:
    run_id: str
    steps: tuple[PipelineStep, ...]
    activity: ActivitySettings
    rolls_back_on_failure: bool
    """A failed run compensates its completed steps (saga) before it fails."""


def _field(data: Mapping[str, object], key: str, where: str) -> object:
    if key not in data:
        raise InputShapeError(f"{where}.{key}: missing")
    return data[key]


def _text(data: Mapping[str, object], key: str, where: str) -> str:
    value = _field(data, key, where)
    if not isinstance(value, str):
        raise InputShapeError(f"{where}.{key}: expected a string, got {value!r}")
    return value


def _flag(data: Mapping[str, object], key: str, where: str) -> bool:
    value = _field(data, key, where)
    if not isinstance(value, bool):
        raise InputShapeError(f"{where}.{key}: expected true or false, got {value!r}")
    return value


def _number(data: Mapping[str, object], key: str, where: str) -> float:
    value = _field(data, key, where)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputShapeError(f"{where}.{key}: expected a number, got {value!r}")
    return value


def _object(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise InputShapeError(f"{where}: expected an object")
    return value


def _strings(value: object, where: str) -> tuple[str, ...]:
    if (
        not isinstance(value, Sequence)
        or isinstance(value, str)
        or not all(isinstance(v, str) for v in value)
    ):
        raise InputShapeError(f"{where}: expected an array of strings")
    return tuple(str(v) for v in value)


def _step(value: object, where: str) -> PipelineStep:
    data = _object(value, where)
    version = data.get("inputVersion")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        raise InputShapeError(f"{where}.inputVersion: expected a whole number >= 1, got {version!r}")
    return PipelineStep(
        id=_text(data, "id", where),
        kind=_text(data, "kind", where),
        depends_on=_strings(_field(data, "dependsOn", where), f"{where}.dependsOn"),
        heartbeat=_flag(data, "heartbeat", where),
        compensable=_flag(data, "compensable", where),
        delay_ms=_number(data, "delayMs", where) if "delayMs" in data else None,
        input_version=version,
    )


def _retry(value: object, where: str) -> RetrySettings:
    data = _object(value, where)
    attempts = data.get("maximumAttempts", 0)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 0:
        raise InputShapeError(f"{where}.maximumAttempts: expected a whole number >= 0, got {attempts!r}")
    return RetrySettings(
        initial_interval_ms=_number(data, "initialInterval", where),
        backoff_coefficient=_number(data, "backoffCoefficient", where),
        maximum_interval_ms=_number(data, "maximumInterval", where),
        maximum_attempts=attempts,
        non_retryable_error_types=_strings(
            _field(data, "nonRetryableErrorTypes", where), f"{where}.nonRetryableErrorTypes"
        ),
    )


def _activity(value: object, where: str) -> ActivitySettings:
    data = _object(value, where)
    queue = data.get("taskQueue")
    if queue is not None and not isinstance(queue, str):
        raise InputShapeError(f"{where}.taskQueue: expected a string, got {queue!r}")
    return ActivitySettings(
        task_queue=queue,
        start_to_close_timeout_ms=_number(data, "startToCloseTimeout", where),
        schedule_to_close_timeout_ms=(
            _number(data, "scheduleToCloseTimeout", where) if "scheduleToCloseTimeout" in data else None
        ),
        heartbeat_timeout_ms=_number(data, "heartbeatTimeout", where),
        retry=_retry(_field(data, "retry", where), f"{where}.retry"),
    )


def parse_pipeline_input(value: object, where: str = "input") -> PipelineInput:
    """The workflow input the driver sends (adapters/temporal/protocol.ts, PipelineInput)."""
    data = _object(value, where)
    steps_data = _field(data, "steps", where)
    if not isinstance(steps_data, Sequence) or isinstance(steps_data, str):
        raise InputShapeError(f"{where}.steps: expected an array")
    steps = tuple(_step(step, f"{where}.steps[{i}]") for i, step in enumerate(steps_data))
    ids = {step.id for step in steps}
    for step in steps:
        for dependency in step.depends_on:
            if dependency not in ids:
                raise InputShapeError(
                    f"{where}.steps: {step.id} depends on {dependency}, which is not a step"
                )
    return PipelineInput(
        run_id=_text(data, "runId", where),
        steps=steps,
        activity=_activity(_field(data, "activity", where), f"{where}.activity"),
        rolls_back_on_failure=_flag(data, "rollsBackOnFailure", where),
    )


_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")


def task_queue_name(prefix: str, cell: str) -> str:
    """One task queue per cell (taskQueueName in protocol.ts): `<prefix>.<cell, sanitized>`."""
    return f"{prefix}.{_UNSAFE.sub('_', cell).replace(':', '_')}"


def activity_task_queue_name(prefix: str, cell: str) -> str:
    """The cell's activity task queue when activities run in workers of their own."""
    return f"{task_queue_name(prefix, cell)}.activities"
