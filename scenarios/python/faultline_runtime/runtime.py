"""The one place a step is executed (scenarios/runtime.ts): calls the world, applies the
effect, records the attempt. Adapters only decide how orchestration happens; running
every step through this code is what makes the comparison fair.

Synchronous: Celery's prefork and thread pools and Temporal's synchronous activities call
it from plain threads. Safe to share between threads.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Literal, Protocol

from faultline_runtime.history import HistoryWriter
from faultline_runtime.localwork import LocalWork, Sleep, local_work
from faultline_runtime.model import Constant, StepSpec
from faultline_runtime.plan import RunPlan, StepInstance
from faultline_runtime.rng import derive_seed, seeded_rng
from faultline_runtime.sampling import sample_duration
from faultline_runtime.world import EffectRequest, WorkRequest, World


class TransientStepError(Exception):
    """Retry me: the orchestrator's retry policy applies."""


class PermanentStepError(Exception):
    """Don't retry me: the run fails (and compensates, where the scenario says so)."""


FailpointName = Literal["before-effect", "after-effect", "after-step"]
"""Named points in a step where chaos can crash the worker (Jepsen-style failpoints)."""

Outcome = Literal["ok", "transient-error", "permanent-error"]


@dataclass(frozen=True)
class StepCall:
    run_id: str
    step_id: str
    """Step instance id, e.g. `embed#2`."""
    attempt: int
    """1-based attempt number as the orchestrator counts it."""
    heartbeat: Callable[[], None] | None = None
    """Liveness signal to the orchestrator, for steps that declare `heartbeat`."""
    checkpoint: Callable[[float], None] | None = None
    """Saves the work ms done where the orchestrator keeps it for the next attempt, for
    steps that declare `checkpoint`. A save that raises costs redone work, not the attempt."""
    resume_from_ms: object = None
    """Progress an earlier attempt checkpointed, as the orchestrator handed it back
    (whatever it stored: only a sane number is used). None where it cannot resume."""
    input_version: int | None = None
    """The input version the step's payload was built for (the enqueuer's plan's
    `inputVersion` of the step); None means 1. Older than the step's own: the call fails."""


@dataclass(frozen=True)
class StepResult:
    step_id: str
    items: int | None = None
    """Fan-out steps: the number of items produced."""


FailpointHook = Callable[[FailpointName, StepCall], None]

SpanRole = Literal["attempt", "approval", "compensation"]


class AttemptSpan(Protocol):
    """What the runtime tells the span of an attempt: its outcome (the step-done word)."""

    def outcome(self, outcome: Outcome) -> None: ...


class AttemptTracer(Protocol):
    """The hook traces come in by (faultline_runtime.tracing implements it with
    OpenTelemetry): a span around each attempt, approval request and compensation, a child
    of whatever span the orchestrator's own instrumentation made current. Keeps this module
    free of any dependency."""

    def span(
        self, role: SpanRole, run_id: str, step_id: str, attempt: int | None
    ) -> AbstractContextManager[AttemptSpan]: ...


class _NoSpan:
    def outcome(self, outcome: Outcome) -> None:
        pass


class _NoTracer:
    def span(
        self, role: SpanRole, run_id: str, step_id: str, attempt: int | None
    ) -> AbstractContextManager[AttemptSpan]:
        return nullcontext(_NoSpan())


def resume_point(resume_from_ms: object, work_ms: float) -> float:
    """Where an attempt starts: the checkpoint handed back, if it is a sane one, else 0."""
    if isinstance(resume_from_ms, bool) or not isinstance(resume_from_ms, int | float):
        return 0
    if not math.isfinite(resume_from_ms) or resume_from_ms <= 0:
        return 0
    return min(resume_from_ms, work_ms)


@dataclass(frozen=True)
class AttemptDraws:
    """What an attempt of a step draws: whether it fails, and how much work it does."""

    failure_draw: float
    work_ms: float
    failure: Outcome | None
    """transient-error or permanent-error when the step's code will fail; None for ok."""


def attempt_draws(spec: StepSpec, run_id: str, step_id: str, attempt: int) -> AttemptDraws:
    """The draws of one attempt, as the reference's execute() makes them."""
    # One random stream per (run, step, attempt): every adapter draws the same failures
    # and work times, whatever order its workers pick steps up in. Failure draw first.
    rng = seeded_rng(derive_seed(run_id, step_id, attempt))
    failure_draw = rng()
    # A checkpointed step's work is one amount for all its attempts, or a saved position
    # would mean nothing to the next attempt: drawn from its own stream per (run, step).
    work_rng = seeded_rng(derive_seed(run_id, step_id, "work")) if spec.checkpoint is not None else rng
    work_ms = sample_duration(spec.work, work_rng)
    failure: Outcome | None = None
    if spec.failure is not None and failure_draw < spec.failure.permanent:
        failure = "permanent-error"
    elif spec.failure is not None and failure_draw < spec.failure.permanent + spec.failure.transient:
        failure = "transient-error"
    return AttemptDraws(failure_draw, work_ms, failure)


def undrawn_work_ms(spec: StepSpec) -> float | None:
    """The work time of every attempt of a step that draws nothing (no failure rates, a
    constant work time), else None. Its random stream would decide nothing, so the
    runtime skips hashing its seed, as scenarios/runtime.ts attemptDraws does."""
    failure = spec.failure
    if failure is not None and (failure.permanent != 0 or failure.transient != 0):
        return None
    return spec.work.ms if isinstance(spec.work, Constant) else None


def _no_failpoint(name: FailpointName, call: StepCall) -> None:
    pass


class StepRuntime:
    def __init__(
        self,
        *,
        cell: str,
        worker_id: str,
        plan: RunPlan,
        world: World,
        history: HistoryWriter,
        idempotent_effects: bool,
        failpoint: FailpointHook = _no_failpoint,
        sleep: Sleep = time.sleep,
        attempt_pid: bool = False,
        tracer: AttemptTracer | None = None,
        version: int | None = None,
    ) -> None:
        """`idempotent_effects`: effects carry the key `{run_id}:{step_id}`, so the world
        applies each at most once. `failpoint` is called at each named point; chaos arms
        it to SIGKILL the process there. `attempt_pid`: `attempt` events name the process
        that runs the step (`pid`), for workers whose steps run in pool children, so a
        fault can tell which child has a step in flight. `tracer` puts each attempt in a
        span of the run's trace (faultline_runtime.tracing). `version`: in cells with a
        deploy, the scenario version of `plan`, written on every attempt. `sleep` is
        replaced by tests only."""
        self.cell = cell
        self.worker_id = worker_id
        self.plan = plan
        self._world = world
        self._history = history
        self._idempotent_effects = idempotent_effects
        self._failpoint = failpoint
        self._sleep = sleep
        self._versioned: dict[str, object] = {} if version is None else {"version": version}
        self._attempt_pid = attempt_pid
        self._tracer: AttemptTracer = tracer if tracer is not None else _NoTracer()
        self._in_flight = 0
        self._idle = threading.Condition()

    # ---- the four operations --------------------------------------------------------

    def execute(self, call: StepCall) -> StepResult:
        step = self._instance(call.step_id)
        with self._tracked(), self._tracer.span("attempt", call.run_id, call.step_id, call.attempt) as span:
            return self._execute(step, call, span)

    def request_approval(self, call: StepCall) -> None:
        """Approval steps, first half: ask the world's human; the decision arrives as a signal."""
        with self._tracked(), self._tracer.span("approval", call.run_id, call.step_id, call.attempt):
            self._history.append(
                {
                    "type": "attempt",
                    "cell": self.cell,
                    "worker": self.worker_id,
                    **_pick(call),
                    **self._pid(),
                    **self._versioned,
                }
            )
            self._world.request_approval({"cell": self.cell, "runId": call.run_id, "stepId": call.step_id})

    def complete_approval(self, call: StepCall, approved: bool) -> None:
        """Approval steps, second half: the decision arrived; a rejection fails the step for good."""
        self._finish(call, "ok" if approved else "permanent-error")

    def fire_timer(self, call: StepCall, intended_at: float) -> None:
        """Timer steps: the orchestrator fired the timer (its wait is over). Records the
        firing (`attempt`, `timer-fired` with the moment the orchestrator was asked to fire
        it, by its clock, and `step-done`); the dependents may run."""
        self._instance(call.step_id)
        # A firing is an attempt of the timer step, with its span like any other.
        with self._tracked(), self._tracer.span("attempt", call.run_id, call.step_id, call.attempt) as span:
            self._history.append(
                {
                    "type": "attempt",
                    "cell": self.cell,
                    "worker": self.worker_id,
                    **_pick(call),
                    **self._versioned,
                    **self._pid(),
                }
            )
            self._history.append(
                {
                    "type": "timer-fired",
                    "cell": self.cell,
                    "worker": self.worker_id,
                    **_pick(call),
                    "intendedAt": intended_at,
                }
            )
            self._finish(call, "ok", span)
        self._failpoint("after-step", call)

    def version_conflict(self, run_id: str, detail: str) -> None:
        """The worker's code cannot continue this run (Temporal: a non-determinism error
        replaying its history after a deploy): records `version-conflict` with the
        orchestrator's words."""
        self._history.append(
            {
                "type": "version-conflict",
                "cell": self.cell,
                "runId": run_id,
                "worker": self.worker_id,
                "detail": detail,
            }
        )

    def compensate(self, run_id: str, step_id: str) -> None:
        """Undo a step's effect (saga); nothing for a step without a compensation."""
        step = self._instance(step_id)
        if step.spec.compensation is None:
            return
        with self._tracked(), self._tracer.span("compensation", run_id, step_id, None):
            self._world.compensate(self._effect_request(run_id, step_id, step.spec.compensation.name))

    # ---- draining (SIGTERM) ---------------------------------------------------------

    @property
    def in_flight(self) -> int:
        """Steps running now (execute, request_approval, compensate)."""
        with self._idle:
            return self._in_flight

    def wait_idle(self, timeout_s: float | None = None) -> bool:
        """Blocks until no step is running; False when the timeout came first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout_s)

    # ---- internals ------------------------------------------------------------------

    def _execute(self, step: StepInstance, call: StepCall, span: AttemptSpan) -> StepResult:
        fixed_ms = undrawn_work_ms(step.spec)
        failure: Outcome | None = None
        if fixed_ms is not None:
            work_ms = fixed_ms
        else:
            draws = attempt_draws(step.spec, call.run_id, call.step_id, call.attempt)
            work_ms, failure = draws.work_ms, draws.failure
        checkpointed = step.spec.checkpoint is not None
        from_ms = resume_point(call.resume_from_ms, work_ms) if checkpointed else 0
        extra: dict[str, object] = (
            {"resumedFromMs": from_ms, "workMs": work_ms} if checkpointed else {"workMs": work_ms}
        )
        self._history.append(
            {
                "type": "attempt",
                "cell": self.cell,
                "worker": self.worker_id,
                **_pick(call),
                **extra,
                **self._pid(),
                **self._versioned,
            }
        )
        try:
            _check_input(step.spec, call)
            self._do_work(step, call, work_ms, from_ms)
            # The failure was drawn first but strikes after the work, as in the reference.
            if failure == "permanent-error":
                raise PermanentStepError(f"{call.step_id} failed for good")
            if failure == "transient-error":
                raise TransientStepError(f"{call.step_id} failed transiently")
            if step.spec.effect is not None:
                self._failpoint("before-effect", call)
                self._world.effect(self._effect_request(call.run_id, call.step_id, step.spec.effect.name))
                self._failpoint("after-effect", call)
        except PermanentStepError:
            self._finish(call, "permanent-error", span)
            raise
        except TransientStepError:
            self._finish(call, "transient-error", span)
            raise
        except Exception as error:
            # Anything else (the world unreachable or answering 5xx/429) is worth a retry.
            # BaseException (SystemExit, KeyboardInterrupt) passes untouched and unrecorded:
            # the worker is going away, as it would under a kill.
            self._finish(call, "transient-error", span)
            raise TransientStepError(f"{call.step_id}: {error}") from error
        self._finish(call, "ok", span)
        self._failpoint("after-step", call)
        if step.spec.kind == "fan-out":
            return StepResult(call.step_id, step.spec.fan_out)
        return StepResult(call.step_id)

    def _do_work(self, step: StepInstance, call: StepCall, work_ms: float, from_ms: float) -> None:
        spec = step.spec
        if spec.kind in ("llm", "tool"):
            request: WorkRequest = {
                "cell": self.cell,
                "runId": call.run_id,
                "stepId": call.step_id,
                "attempt": call.attempt,
                "ms": work_ms,
            }
            if spec.kind == "llm":
                self._world.model(request)
            else:
                self._world.tool(request)
            return
        local_work(
            LocalWork(
                total_ms=work_ms,
                from_ms=from_ms,
                heartbeat_every_ms=None if spec.heartbeat is None else spec.heartbeat.every_ms,
                heartbeat=call.heartbeat,
                checkpoint_every_ms=None if spec.checkpoint is None else spec.checkpoint.every_ms,
                checkpoint=call.checkpoint,
            ),
            self._sleep,
        )

    def _pid(self) -> dict[str, object]:
        return {"pid": os.getpid()} if self._attempt_pid else {}

    def _instance(self, step_id: str) -> StepInstance:
        found = self.plan.by_id.get(step_id)
        if found is None:
            raise PermanentStepError(f"scenario {self.plan.scenario} has no step {step_id}")
        return found

    def _effect_request(self, run_id: str, step_id: str, name: str) -> EffectRequest:
        return {
            "cell": self.cell,
            "runId": run_id,
            "stepId": step_id,
            "name": name,
            "key": f"{run_id}:{step_id}" if self._idempotent_effects else None,
            "correlationId": run_id,
        }

    def _finish(self, call: StepCall, outcome: Outcome, span: AttemptSpan | None = None) -> None:
        if span is not None:
            span.outcome(outcome)
        self._history.append(
            {
                "type": "step-done",
                "cell": self.cell,
                "worker": self.worker_id,
                **_pick(call),
                "outcome": outcome,
            }
        )

    @contextmanager
    def _tracked(self) -> Iterator[None]:
        # Counts a running step, so a draining worker can wait for the last one.
        with self._idle:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()


def _check_input(spec: StepSpec, call: StepCall) -> None:
    """New code given an old payload: a step whose input changed (a deploy's `change-input`)
    cannot read a payload built for an older input version. It fails like any unexpected
    error (transient: the orchestrator's retry policy decides), after the attempt."""
    expected = spec.input_version or 1
    given = call.input_version or 1
    if given < expected:
        raise TransientStepError(
            f"{call.step_id} reads input version {expected}; the payload was built for version {given}"
        )


def _pick(call: StepCall) -> dict[str, object]:
    return {"runId": call.run_id, "stepId": call.step_id, "attempt": call.attempt}
