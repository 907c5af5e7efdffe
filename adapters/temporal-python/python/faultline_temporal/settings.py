"""The worker's settings from the adapter's knobs (adapters/temporal/knobs.ts: the harness
parses them, fills every default and writes them into the worker config). Only what a
worker process needs is read here; the activity options travel in the workflow input,
built by the driver from the same knobs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from faultline_runtime.config import ConfigError


@dataclass(frozen=True)
class WorkerSettings:
    task_queue_prefix: str
    max_concurrent_activities: int
    max_concurrent_workflow_tasks: int
    sticky_queue_schedule_to_start_timeout: timedelta
    max_heartbeat_throttle_interval: timedelta
    resume_from_checkpoint: bool
    versioning: str = "none"
    """`patched`: the workflow code keeps the previous version's path for runs that started on it."""


def _whole(knobs: Mapping[str, object], key: str, minimum: int) -> int:
    value = knobs.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"knobs.{key}: expected a whole number >= {minimum}, got {value!r}")
    return value


def worker_settings(knobs: Mapping[str, object]) -> WorkerSettings:
    """Reads the knobs a worker uses; a missing or ill-typed one is a ConfigError naming it."""
    prefix = knobs.get("taskQueue")
    if not isinstance(prefix, str) or not prefix:
        raise ConfigError(f"knobs.taskQueue: expected a task queue name, got {prefix!r}")
    resume = knobs.get("resumeFromCheckpoint")
    if not isinstance(resume, bool):
        raise ConfigError(f"knobs.resumeFromCheckpoint: expected true or false, got {resume!r}")
    return WorkerSettings(
        task_queue_prefix=prefix,
        max_concurrent_activities=_whole(knobs, "maxConcurrentActivityTaskExecutions", 1),
        max_concurrent_workflow_tasks=_whole(knobs, "maxConcurrentWorkflowTaskExecutions", 2),
        sticky_queue_schedule_to_start_timeout=timedelta(
            milliseconds=_whole(knobs, "stickyQueueScheduleToStartTimeout", 1)
        ),
        max_heartbeat_throttle_interval=timedelta(
            milliseconds=_whole(knobs, "maxHeartbeatThrottleInterval", 1)
        ),
        resume_from_checkpoint=resume,
        versioning=_versioning(knobs),
    )


def _versioning(knobs: Mapping[str, object]) -> str:
    value = knobs.get("versioning", "none")
    if value not in ("none", "patched"):
        raise ConfigError(f"knobs.versioning: expected none or patched, got {value!r}")
    return str(value)
