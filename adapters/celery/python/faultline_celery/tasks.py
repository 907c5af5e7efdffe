"""The tasks a worker registers: thin wrappers over the shared step runtime, which decides
what a step does. Written as a Celery user writes tasks: `bind=True`, the retry policy on
the decorator (`autoretry_for`, `max_retries`, `retry_backoff`, ...), progress in the
result backend (`update_state`), an errback (`link_error`) for what fails for good.

The step runtime is built once per process on first use: in a prefork pool every child
builds its own (history descriptor, world connection, failpoint counters), in a thread
pool the threads share the worker's.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from celery import Celery, states

from faultline_celery.keys import (
    APPROVAL_TASK,
    JOIN_TASK,
    RUN_FAILED_TASK,
    STEP_TASK,
    TIMER_TASK,
    decisions_key,
    failure_id,
    requested_key,
    saga_applied_key,
    saga_compensated_key,
    saga_owner_key,
    step_of,
)
from faultline_celery.knobs import CeleryKnobs
from faultline_runtime.config import WorkerConfig
from faultline_runtime.lifecycle import Worker, build_worker
from faultline_runtime.plan import compensation_order
from faultline_runtime.runtime import PermanentStepError, StepCall, StepRuntime, TransientStepError

ERRORS: dict[str, type[Exception]] = {
    "TransientStepError": TransientStepError,
    "PermanentStepError": PermanentStepError,
    "Exception": Exception,
}

PROGRESS = "PROGRESS"
"""The custom task state a checkpointed step keeps its progress in."""


def kill_worker_group() -> None:
    """How a failpoint crashes a Celery worker: SIGKILL to its whole process group (the main
    process and every pool child), as a lost node or the supervisor's kill takes it."""
    os.killpg(os.getpgrp(), signal.SIGKILL)


class WorkerContext:
    """The worker's config and knobs, and its step runtime once per process."""

    def __init__(self, config: WorkerConfig, knobs: CeleryKnobs, crash: Callable[[], None]) -> None:
        self.config = config
        self.knobs = knobs
        self._crash = crash
        self._worker: Worker | None = None
        self._pid = -1

    def worker(self) -> Worker:
        if self._worker is None or self._pid != os.getpid():
            # attempt_pid: a child kill can tell which pool child has a step in flight; a
            # failpoint names the worker's main process (its group leader), which the supervisor sees die.
            self._worker = build_worker(
                self.config, crash=self._crash, attempt_pid=True, worker_pid=os.getpgrp
            )
            self._pid = os.getpid()
        return self._worker


def retry_options(knobs: CeleryKnobs) -> dict[str, object]:
    """The task decorator's retry policy, from the knobs."""
    return {
        "autoretry_for": tuple(ERRORS[name] for name in knobs.autoretry_for),
        "max_retries": knobs.max_retries,
        "retry_backoff": knobs.retry_backoff,
        "retry_backoff_max": knobs.retry_backoff_max,
        "retry_jitter": knobs.retry_jitter,
        "default_retry_delay": knobs.default_retry_delay,
    }


def _retries_transient(knobs: CeleryKnobs) -> bool:
    return any(issubclass(TransientStepError, ERRORS[name]) for name in knobs.autoretry_for)


def saved_progress(task: Any) -> object:
    """What the step's task id holds of an earlier delivery's progress (a redelivery after
    its worker died, or a retry), or None."""
    meta = task.backend.get_task_meta(task.request.id)
    result = meta.get("result")
    if meta.get("status") == PROGRESS and isinstance(result, dict):
        return result.get("progressMs")
    return None


# How long an errback waits for the failure it was called for to be stored.
OUTCOME_WAIT_S = 2.0
OUTCOME_POLL_S = 0.02


def stored_outcome(backend: Any, task_id: str) -> dict[str, Any]:
    """The failed task's stored state. A chord calls its body's errbacks before it stores
    the body's failure (celery.backends.base.chord_error_from_stack), so an errback can
    run while that task still reads PENDING: read again, briefly, rather than record a
    failure without its reason."""
    deadline = time.monotonic() + OUTCOME_WAIT_S
    meta: dict[str, Any] = backend.get_task_meta(task_id)
    while meta.get("status") == states.PENDING and time.monotonic() < deadline:
        time.sleep(OUTCOME_POLL_S)
        meta = backend.get_task_meta(task_id)
    return meta


def intended_at(eta: object, now_ms: float) -> float:
    """When the timer was due, epoch ms: the eta Celery computed when it sent the task
    (sent-at plus the countdown, by the sender's clock; ISO 8601 in the message), else now."""
    if isinstance(eta, datetime):
        return eta.timestamp() * 1000
    if isinstance(eta, str):
        try:
            return datetime.fromisoformat(eta).timestamp() * 1000
        except ValueError:
            return now_ms
    return now_ms


def describe(error: object) -> str:
    return f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)


def register_tasks(app: Celery, ctx: WorkerContext) -> None:
    knobs = ctx.knobs
    cell = ctx.config.cell
    retrying = retry_options(knobs)

    def saga_client() -> Any:
        return app.backend.client

    def runtime_of(version: int | None) -> StepRuntime:
        """The code a task runs with: its payload's version (knob versioning
        `versioned-tasks`) if this worker knows it, else the worker's own."""
        return ctx.worker().runtime_for(version)

    def step(
        self: Any, run_id: str, step_id: str, input_version: int | None = None, version: int | None = None
    ) -> dict[str, object]:
        runtime = runtime_of(version)
        instance = runtime.plan.by_id.get(step_id)
        checkpointed = instance is not None and instance.spec.checkpoint is not None
        resume = saved_progress(self) if checkpointed and knobs.resume_from_checkpoint else None
        # Celery has no task heartbeat: liveness is the visibility timeout alone.
        call = StepCall(
            run_id=run_id,
            step_id=step_id,
            # Celery's own count: retries + 1. A redelivery (its worker died) is the same attempt.
            attempt=int(self.request.retries) + 1,
            checkpoint=(
                (lambda ms: self.update_state(state=PROGRESS, meta={"progressMs": ms}))
                if checkpointed
                else None
            ),
            resume_from_ms=resume,
            input_version=input_version,
        )
        result = runtime.execute(call)
        if runtime.plan.rolls_back_on_failure and step_id in runtime.plan.compensable_steps:
            # The saga record, before the chain moves on: whichever later step fails, this
            # effect is in it. NX: a redelivered step keeps its first completion time.
            saga_client().zadd(saga_applied_key(cell, run_id), {step_id: time.time()}, nx=True)
        return {"step": step_id} if result.items is None else {"step": step_id, "items": result.items}

    def timer(
        self: Any, run_id: str, step_id: str, input_version: int | None = None, version: int | None = None
    ) -> dict[str, object]:
        """A timer step: the task was sent with a countdown (its eta) when the steps before it
        were done, and a worker runs it once the eta passed. Its running is the firing;
        a message redelivered after the broker's visibility timeout fires it again."""
        call = StepCall(run_id, step_id, int(self.request.retries) + 1)
        runtime_of(version).fire_timer(call, intended_at(self.request.eta, time.time() * 1000))
        return {"step": step_id}

    def approval(
        self: Any, run_id: str, step_id: str, input_version: int | None = None, version: int | None = None
    ) -> dict[str, object]:
        """A human decides: ask once (the attempt, and the world's approver), then re-check
        for the decision the submitter writes when the driver signals it, every
        approvalRecheckMs with a countdown retry. Between checks the task is a countdown
        message a worker holds, not a busy pool slot."""
        client = saga_client()
        field = f"{run_id}:{step_id}"
        asked = client.hget(requested_key(cell), field)
        if asked is None:
            attempt = int(self.request.retries) + 1
            try:
                runtime_of(version).request_approval(StepCall(run_id, step_id, attempt))
            except Exception as error:
                raise self.retry(exc=error, countdown=knobs.approval_recheck_ms / 1000) from error
            # After the request: a worker dying in between asks again, never not at all.
            client.hsetnx(requested_key(cell), field, attempt)
            asked = client.hget(requested_key(cell), field)
        decision = client.hget(decisions_key(cell), field)
        if decision is None:
            raise self.retry(countdown=knobs.approval_recheck_ms / 1000)
        approved = (decision.decode() if isinstance(decision, bytes) else str(decision)) == "approved"
        call = StepCall(run_id, step_id, int(asked))
        runtime_of(version).complete_approval(call, approved)
        if not approved:
            raise PermanentStepError(f"{step_id} rejected by the approver")
        return {"step": step_id, "approved": True}

    def join(self: Any) -> dict[str, object]:
        return {"joined": True}

    def run_failed(self: Any, failed_task_id: str, run_id: str) -> dict[str, object] | None:
        """The errback every task of a run carries (`link_error`): a task failed for good.
        Celery has no saga; this is one as a Celery user builds it. The first errback of
        the run to claim it owns the run's failure (a chord calls the errbacks of its failed
        header task and of its body); it undoes the run's finished compensable steps, last
        finished first, each once, then records the run's failure in the result backend."""
        client = saga_client()
        owner_key = saga_owner_key(cell, run_id)
        client.set(owner_key, self.request.id, nx=True)
        owner = client.get(owner_key)
        if (owner.decode() if isinstance(owner, bytes) else owner) != self.request.id:
            return None
        worker = ctx.worker()
        step_id = step_of(run_id, failed_task_id)
        failed = stored_outcome(self.backend, failed_task_id)
        why = failed.get("result")
        record: dict[str, object] = {
            "step": step_id,
            "reason": describe(why) if why is not None else f"task {failed_task_id}: {failed.get('status')}",
            "compensated": [],
        }
        if worker.plan.rolls_back_on_failure:
            applied = [
                member.decode() if isinstance(member, bytes) else str(member)
                for member in client.zrange(saga_applied_key(cell, run_id), 0, -1)
            ]
            order = compensation_order(worker.plan, applied)
            compensated_key = saga_compensated_key(cell, run_id)
            undone: list[str] = []
            try:
                for undo in order:
                    if not client.sismember(compensated_key, undo):
                        # Undo, then record: a worker dying between the two undoes it again
                        # on redelivery (at least once, like every step).
                        worker.runtime.compensate(run_id, undo)
                        client.sadd(compensated_key, undo)
                    undone.append(undo)
            except Exception as error:
                exhausted = knobs.max_retries is not None and self.request.retries >= knobs.max_retries
                if _retries_transient(knobs) and not exhausted:
                    raise TransientStepError(f"compensating {run_id}: {error}") from error
                record["reason"] = f"compensation failed: {describe(error)}"
            record["compensated"] = undone
        self.backend.store_result(failure_id(run_id), record, states.SUCCESS)
        return record

    app.task(name=STEP_TASK, bind=True, **retrying)(step)
    # Re-checks until the human decides: no retry limit, and a rejection is not retried.
    app.task(name=APPROVAL_TASK, bind=True, max_retries=None)(approval)
    app.task(name=JOIN_TASK, bind=True)(join)
    # A firing records and returns: nothing to retry.
    app.task(name=TIMER_TASK, bind=True)(timer)
    app.task(name=RUN_FAILED_TASK, bind=True, **retrying)(run_failed)
