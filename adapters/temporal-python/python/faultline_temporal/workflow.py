"""The pipeline workflow: a deterministic DAG interpreter, run in the SDK's sandbox (a
port of adapters/temporal/workflow.ts, so both SDKs run the same orchestration). Every
step instance becomes an activity that starts as soon as its dependencies are done (a
fan-out's items run as parallel activities), a timer step a durable timer; a failed run
of a scenario that rolls back compensates its completed steps, last completed first,
before it fails. The DAG is the worker's code (faultline_temporal.code): the scenario
version the worker was deployed with; with knob versioning `patched`, `workflow.patched()`
keeps a run that started on the previous version on its path.

The sandbox re-imports this module for every workflow run: it imports only the SDK's
workflow API and the pure protocol module, and runs nothing at import.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    # By its full name: `from faultline_temporal import code` would load a fresh copy of the
    # module in the sandbox (a submodule of a package the sandbox loaded itself), not the worker's.
    import faultline_temporal.code as worker_code
    from faultline_temporal.protocol import (
        APPROVAL_SIGNAL,
        COMPENSATE_STEP,
        COMPLETE_APPROVAL,
        EXECUTE_STEP,
        FIRE_TIMER,
        NOT_STARTED,
        PIPELINE_WORKFLOW,
        REJECTED,
        REQUEST_APPROVAL,
        ActivitySettings,
        CodePlan,
        InputShapeError,
        PipelineInput,
        PipelineStep,
        parse_pipeline_input,
    )


def _ms(value: float) -> timedelta:
    return timedelta(milliseconds=value)


def _retry_policy(settings: ActivitySettings) -> RetryPolicy:
    retry = settings.retry
    return RetryPolicy(
        initial_interval=_ms(retry.initial_interval_ms),
        backoff_coefficient=retry.backoff_coefficient,
        maximum_interval=_ms(retry.maximum_interval_ms),
        maximum_attempts=retry.maximum_attempts,
        non_retryable_error_types=list(retry.non_retryable_error_types),
    )


@workflow.defn(name=PIPELINE_WORKFLOW)
class Pipeline:
    def __init__(self) -> None:
        # A decision may arrive before the workflow reaches the step's wait: kept until then.
        self._decisions: dict[str, bool] = {}

    @workflow.signal(name=APPROVAL_SIGNAL)
    def approval(self, decision: dict[str, Any]) -> None:
        """Sent by the driver when the world's approver decided (human in the loop)."""
        step_id = decision.get("stepId")
        if isinstance(step_id, str) and step_id not in self._decisions:
            self._decisions[step_id] = decision.get("approved") is True

    @workflow.run
    async def run(self, data: dict[str, Any]) -> dict[str, int]:
        try:
            spec = parse_pipeline_input(data)
        except InputShapeError as error:
            # Not a workflow-task failure (retried forever): the run fails, naming the field.
            raise ApplicationError(str(error), type="BadInput", non_retryable=True) from None
        # Tells the worker which Temporal run is which of our runs, replays included: core's
        # non-determinism errors name the Temporal run only.
        worker_code.note_run(workflow.info().run_id, spec.run_id)
        plan, versioned = _plan_of()
        return await _Interpreter(spec, self._decisions, plan, versioned).run()


def _plan_of() -> tuple[CodePlan | None, bool]:
    """The plan this run follows: the worker's code, or with `patched()` the previous
    version's when the run's history was made by the code before it. Asked first, before
    any command, so every run keeps the path it started on for its whole life."""
    code = worker_code.current()
    if code is None:
        return None, False
    patch = code.patch
    plan = patch.previous if patch is not None and not workflow.patched(patch.patch_id) else code.plan
    return plan, code.versioned_activities


class _Interpreter:
    """One run of the DAG. Its state (what completed, whether the run failed) is workflow
    state: a worker killed at any point replays it from the history."""

    def __init__(
        self, spec: PipelineInput, decisions: dict[str, bool], plan: CodePlan | None, versioned: bool
    ) -> None:
        self._spec = spec
        self._decisions = decisions
        self._steps = plan.steps if plan is not None else spec.steps
        self._rolls_back = plan.rolls_back_on_failure if plan is not None else spec.rolls_back_on_failure
        # Knob versioning `patched`: activities name the version whose definitions they run.
        self._version: dict[str, Any] = {"version": plan.version} if versioned and plan is not None else {}
        self._by_id = {step.id: step for step in self._steps}
        self._started: dict[str, asyncio.Task[None]] = {}
        # Compensable steps in the order their activities completed, as this workflow saw them.
        self._completed: list[str] = []
        self._failed = False

    async def run(self) -> dict[str, int]:
        spec = self._spec
        try:
            await asyncio.gather(*(self._start(step.id) for step in self._steps))
        except Exception:
            # Without a saga the first failure fails the run; activities in flight are left to finish.
            if not self._rolls_back:
                raise
            # Saga: let the steps in flight settle, so every completed effect is known, then undo
            # them last completed first, each an activity retried like any other; then fail the run.
            await asyncio.gather(*self._started.values(), return_exceptions=True)
            for step_id in reversed(self._completed):
                await self._activity(
                    COMPENSATE_STEP,
                    {"runId": spec.run_id, "stepId": step_id, **self._version},
                    f"{step_id}:compensate",
                    heartbeat=False,
                )
            raise
        return {"steps": len(self._steps)}

    def _start(self, step_id: str) -> asyncio.Task[None]:
        task = self._started.get(step_id)
        if task is None:
            task = asyncio.create_task(self._step(self._by_id[step_id]))
            self._started[step_id] = task
        return task

    async def _step(self, step: PipelineStep) -> None:
        await asyncio.gather(*(self._start(dependency) for dependency in step.depends_on))
        # After a failure nothing new starts: a saga must know every effect it undoes.
        if self._failed:
            raise ApplicationError(
                f"{step.id} not started: the run failed", type=NOT_STARTED, non_retryable=True
            )
        try:
            await self._execute(step)
        except BaseException:
            self._failed = True
            raise
        if step.compensable:
            self._completed.append(step.id)

    async def _execute(self, step: PipelineStep) -> None:
        args: dict[str, Any] = {"runId": self._spec.run_id, "stepId": step.id, **self._version}
        if step.input_version is not None:
            args["inputVersion"] = step.input_version
        if step.kind == "timer":
            # A durable timer: the server fires it, whichever worker lives then. Workflow time
            # is the time of the task that set it. A local activity records the firing in this
            # worker at once, as a queue's worker records a delayed job it picked up.
            delay_ms = step.delay_ms or 0
            intended_at = workflow.now().timestamp() * 1000 + delay_ms
            if delay_ms > 0:
                await workflow.sleep(_ms(delay_ms))
            settings = self._spec.activity
            await workflow.execute_local_activity(
                FIRE_TIMER,
                {**args, "intendedAt": intended_at},
                start_to_close_timeout=_ms(settings.start_to_close_timeout_ms),
                retry_policy=_retry_policy(settings),
            )
            return
        if step.kind != "approval":
            await self._activity(EXECUTE_STEP, args, step.id, heartbeat=step.heartbeat)
            return
        attempt = await self._activity(REQUEST_APPROVAL, args, f"{step.id}:request", heartbeat=False)
        await workflow.wait_condition(lambda: step.id in self._decisions)
        approved = self._decisions[step.id]
        # An activity, not workflow code, records the decision: only workers write the history.
        await self._activity(
            COMPLETE_APPROVAL,
            {**args, "attempt": attempt, "approved": approved},
            f"{step.id}:complete",
            heartbeat=False,
        )
        if not approved:
            raise ApplicationError(f"{step.id} rejected by the approver", type=REJECTED, non_retryable=True)

    async def _activity(self, name: str, arg: dict[str, Any], activity_id: str, *, heartbeat: bool) -> Any:
        """Activity id = step instance id: readable in the Temporal UI and in failure messages."""
        settings = self._spec.activity
        return await workflow.execute_activity(
            name,
            arg,
            activity_id=activity_id,
            task_queue=settings.task_queue,
            start_to_close_timeout=_ms(settings.start_to_close_timeout_ms),
            schedule_to_close_timeout=(
                None
                if settings.schedule_to_close_timeout_ms is None
                else _ms(settings.schedule_to_close_timeout_ms)
            ),
            # Only steps that heartbeat get the heartbeat timeout.
            heartbeat_timeout=_ms(settings.heartbeat_timeout_ms) if heartbeat else None,
            retry_policy=_retry_policy(settings),
        )
