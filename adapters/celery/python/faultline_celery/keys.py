"""Names every side agrees on (the submitter, the workers, the tests): the cell's queue and
key prefix, and task ids derived from the run and step, as a Celery user who wants to find
a run's tasks again gives them (`apply_async(task_id=...)`)."""

from __future__ import annotations

import re

from faultline_celery.canvas import Task

STEP_TASK = "faultline.step"
APPROVAL_TASK = "faultline.approval"
TIMER_TASK = "faultline.timer"
JOIN_TASK = "faultline.join"
RUN_FAILED_TASK = "faultline.run.failed"


def cell_slug(cell: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "_", cell)


def queue_name(cell: str) -> str:
    """One queue per cell, so cells of a matrix never see each other's tasks."""
    return f"faultline.{cell_slug(cell)}"


def key_prefix(cell: str) -> str:
    """kombu's and the result backend's global_keyprefix for the cell, and that of the saga records."""
    return f"faultline-celery:{cell_slug(cell)}:"


def task_id(run_id: str, task: Task) -> str:
    return f"{run_id}:{task.step_id}"


def failure_id(run_id: str) -> str:
    """Where the errback that rolled a failed run back records the run's failure."""
    return f"{run_id}:_failed"


def step_of(run_id: str, failed_task_id: str) -> str:
    """The step a task id names (`run:embed#2` -> `embed#2`)."""
    return failed_task_id[len(run_id) + 1 :] if failed_task_id.startswith(f"{run_id}:") else failed_task_id


def decisions_key(cell: str) -> str:
    """Hash `run:step` -> approved | rejected: what the submitter's signal writes, what a
    waiting approval task re-checks."""
    return f"{key_prefix(cell)}approval:decisions"


def requested_key(cell: str) -> str:
    """Hash `run:step` -> the attempt that asked the human: an approval asks once, however
    often it re-checks."""
    return f"{key_prefix(cell)}approval:requested"


def saga_applied_key(cell: str, run_id: str) -> str:
    """Sorted set: the run's finished compensable steps, by completion time (ZADD NX)."""
    return f"{key_prefix(cell)}saga:{run_id}:applied"


def saga_compensated_key(cell: str, run_id: str) -> str:
    """Set: the steps the run's saga has undone, so a redelivered errback undoes each once."""
    return f"{key_prefix(cell)}saga:{run_id}:compensated"


def saga_owner_key(cell: str, run_id: str) -> str:
    """String: the errback task that owns the run's saga (SET NX): a run fails once."""
    return f"{key_prefix(cell)}saga:{run_id}:owner"
