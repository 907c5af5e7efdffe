"""The activities a worker registers: thin wrappers over the shared step runtime
(faultline_runtime), which decides what a step does; the Python side of
adapters/temporal/activities.ts, under the same names, so a workflow in either language
can call them. Temporal's attempt counter is the step call's attempt.

Synchronous, run by the worker's thread pool: the step runtime blocks (HTTP to the world,
local work as sleeps), and the SDK's way to run blocking code is a sync activity on a
ThreadPoolExecutor. An async activity would have to hand the runtime to a thread anyway,
and then relay heartbeats back to the event loop; a sync one heartbeats from its thread.

Cancellation is not raised into the step (`no_thread_cancel_exception`), as the
TypeScript activities never look at it: a step whose attempt the server gave up on (its
heartbeat timed out, say) runs to its end and records what it drew, and the server
discards its result and retries. Raised into the thread, the SDK's CancelledError would
end the step wherever it was and be recorded as a transient error that no reference
draw made, and the two languages' histories would differ for the same events.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from faultline_runtime.runtime import PermanentStepError, StepCall, StepRuntime
from faultline_temporal.protocol import (
    COMPENSATE_STEP,
    COMPLETE_APPROVAL,
    EXECUTE_STEP,
    FIRE_TIMER,
    PERMANENT_FAILURE,
    REQUEST_APPROVAL,
)

RuntimeFor = Callable[[int | None], StepRuntime]
"""The runtime of a scenario version the worker knows; its own for None (or one it lacks)."""


def _arg(args: Mapping[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str):
        # A caller speaking another protocol: retrying would not help.
        raise ApplicationError(
            f"activity argument {key}: expected a string", type="BadInput", non_retryable=True
        )
    return value


def _optional_whole(args: Mapping[str, Any], key: str) -> int | None:
    value = args.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApplicationError(
            f"activity argument {key}: expected a whole number", type="BadInput", non_retryable=True
        )
    return value


def _number(args: Mapping[str, Any], key: str) -> float:
    value = args.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApplicationError(
            f"activity argument {key}: expected a number", type="BadInput", non_retryable=True
        )
    return float(value)


def saved_progress(details: object) -> float | None:
    """The checkpoint an earlier attempt left in its heartbeat details (the first detail), if sane."""
    if not isinstance(details, list | tuple) or not details:
        return None
    first = details[0]
    if isinstance(first, bool) or not isinstance(first, int | float) or not math.isfinite(first):
        return None
    return float(first)


class StepActivities:
    """The activities, bound to this worker's step runtimes (one per scenario version it
    knows: with knob versioning `patched`, the workflow names the version whose step
    definitions an activity runs)."""

    def __init__(self, runtime_for: RuntimeFor, *, resume_from_checkpoint: bool) -> None:
        self._runtime_for = runtime_for
        self._resume = resume_from_checkpoint

    def _runtime(self, args: Mapping[str, Any]) -> StepRuntime:
        return self._runtime_for(_optional_whole(args, "version"))

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.execute_step,
            self.request_approval,
            self.complete_approval,
            self.compensate_step,
            self.fire_timer,
        ]

    @activity.defn(name=FIRE_TIMER, no_thread_cancel_exception=True)
    def fire_timer(self, args: dict[str, Any]) -> None:
        """A timer step's firing (a local activity right after the workflow's timer fired)."""
        self._runtime(args).fire_timer(
            StepCall(_arg(args, "runId"), _arg(args, "stepId"), activity.info().attempt),
            _number(args, "intendedAt"),
        )

    @activity.defn(name=EXECUTE_STEP, no_thread_cancel_exception=True)
    def execute_step(self, args: dict[str, Any]) -> None:
        info = activity.info()
        # A checkpoint is the heartbeat details: what the server holds of the last attempt's
        # last heartbeat comes back in info.heartbeat_details on the next attempt.
        progress = saved_progress(info.heartbeat_details)
        latest = [progress]

        def heartbeat() -> None:
            # Every beat carries the last checkpoint: details are replaced at each heartbeat.
            if latest[0] is None:
                activity.heartbeat()
            else:
                activity.heartbeat(latest[0])

        def checkpoint(progress_ms: float) -> None:
            latest[0] = progress_ms
            activity.heartbeat(progress_ms)

        try:
            self._runtime(args).execute(
                StepCall(
                    _arg(args, "runId"),
                    _arg(args, "stepId"),
                    info.attempt,
                    # Only steps that declare `heartbeat` call it; their activity has a heartbeat timeout.
                    heartbeat=heartbeat,
                    # Only steps that declare `checkpoint` call it.
                    checkpoint=checkpoint,
                    resume_from_ms=progress if self._resume else None,
                    input_version=_optional_whole(args, "inputVersion"),
                )
            )
        except PermanentStepError as error:
            # Transient errors are raised as they are: Temporal's retry policy applies.
            raise ApplicationError(str(error), type=PERMANENT_FAILURE, non_retryable=True) from error

    @activity.defn(name=REQUEST_APPROVAL, no_thread_cancel_exception=True)
    def request_approval(self, args: dict[str, Any]) -> int:
        """First half of an approval step: ask the world's human. Returns the attempt, for the second half."""
        attempt = activity.info().attempt
        self._runtime(args).request_approval(StepCall(_arg(args, "runId"), _arg(args, "stepId"), attempt))
        return attempt

    @activity.defn(name=COMPENSATE_STEP, no_thread_cancel_exception=True)
    def compensate_step(self, args: dict[str, Any]) -> None:
        """Saga: undoes a completed step's effect (the workflow calls it in reverse completion order)."""
        self._runtime(args).compensate(_arg(args, "runId"), _arg(args, "stepId"))

    @activity.defn(name=COMPLETE_APPROVAL, no_thread_cancel_exception=True)
    def complete_approval(self, args: dict[str, Any]) -> None:
        """Second half, after the signal: records the step done (a rejection as a permanent error)."""
        attempt = args.get("attempt")
        if isinstance(attempt, bool) or not isinstance(attempt, int):
            raise ApplicationError(
                "activity argument attempt: expected a number", type="BadInput", non_retryable=True
            )
        self._runtime(args).complete_approval(
            StepCall(_arg(args, "runId"), _arg(args, "stepId"), attempt), args.get("approved") is True
        )
