"""The step runtime on steps whose work runs in the worker (compute, persist, fan-out):
no world is reached, so none is needed. Steps that call the world are compared with the
TypeScript reference against the real world in test/integration/python-runtime-parity."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from pathlib import Path

import pytest

from faultline_runtime.history import HistoryWriter
from faultline_runtime.model import parse_scenario
from faultline_runtime.plan import plan_run
from faultline_runtime.runtime import (
    FailpointName,
    PermanentStepError,
    StepCall,
    StepResult,
    StepRuntime,
    TransientStepError,
    attempt_draws,
    resume_point,
)
from faultline_runtime.world import ApprovalRequest, EffectRequest, WorkRequest

SCENARIO = parse_scenario(
    {
        "name": "local",
        "description": "steps that work in the worker",
        "steps": [
            {
                "id": "train",
                "kind": "compute",
                "work": {"dist": "constant", "ms": 300},
                "heartbeat": {"everyMs": 40},
                "checkpoint": {"everyMs": 100},
            },
            {
                "id": "sample",
                "kind": "compute",
                "work": {"dist": "uniform", "minMs": 10, "maxMs": 60},
                "checkpoint": {"everyMs": 20},
            },
            {"id": "plain", "kind": "compute", "work": {"dist": "constant", "ms": 5}},
            {"id": "split", "kind": "fan-out", "fanOut": 3},
            {"id": "doomed", "kind": "persist", "failure": {"permanent": 1}},
            {"id": "flaky", "kind": "persist", "failure": {"transient": 1}},
        ],
    }
)


class NoWorld:
    """These steps never reach the world: any call is a bug."""

    def model(self, req: WorkRequest) -> object:
        raise AssertionError("model called")

    def tool(self, req: WorkRequest) -> object:
        raise AssertionError("tool called")

    def effect(self, req: EffectRequest) -> object:
        raise AssertionError("effect called")

    def compensate(self, req: EffectRequest) -> object:
        raise AssertionError("compensate called")

    def request_approval(self, req: ApprovalRequest) -> object:
        raise AssertionError("approval called")


class Env:
    def __init__(self, tmp_path: Path, sleep: bool = False) -> None:
        self.path = tmp_path / "w.jsonl"
        self.history = HistoryWriter(self.path)
        self.points: list[tuple[FailpointName, str]] = []
        self.runtime = StepRuntime(
            cell="c",
            worker_id="w1",
            plan=plan_run(SCENARIO),
            world=NoWorld(),
            history=self.history,
            idempotent_effects=False,
            failpoint=lambda point, call: self.points.append((point, call.step_id)),
            sleep=time.sleep if sleep else lambda seconds: None,
        )

    def events(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def test_records_the_attempt_with_the_sampled_work_then_step_done(env: Env) -> None:
    assert env.runtime.execute(StepCall("r1", "plain", 1)) == StepResult("plain")
    attempt, done = env.events()
    assert {k: v for k, v in attempt.items() if k != "t"} == {
        "type": "attempt",
        "cell": "c",
        "worker": "w1",
        "runId": "r1",
        "stepId": "plain",
        "attempt": 1,
        "workMs": 5,
    }
    assert {k: v for k, v in done.items() if k != "t"} == {
        "type": "step-done",
        "cell": "c",
        "worker": "w1",
        "runId": "r1",
        "stepId": "plain",
        "attempt": 1,
        "outcome": "ok",
    }
    assert env.points == [("after-step", "plain")]


def test_a_fan_out_step_returns_its_items(env: Env) -> None:
    assert env.runtime.execute(StepCall("r1", "split", 2)) == StepResult("split", 3)


def test_a_checkpointed_step_saves_resumes_and_records_where_it_resumed(env: Env) -> None:
    saved: list[float] = []
    beats: list[None] = []
    call = StepCall("r1", "train", 2, heartbeat=lambda: beats.append(None), checkpoint=saved.append)
    env.runtime.execute(call)
    assert saved == [100, 200]
    assert len(beats) == 7  # at 40, 80, ..., 280 ms of work
    resumed = StepCall("r1", "train", 3, checkpoint=saved.append, resume_from_ms=200)
    env.runtime.execute(resumed)
    attempts = [e for e in env.events() if e["type"] == "attempt"]
    assert [(e["resumedFromMs"], e["workMs"]) for e in attempts] == [(0, 300), (200, 300)]
    assert saved == [100, 200]  # from 200 on, the next multiple is the end: nothing to save


def test_one_work_amount_for_every_attempt_of_a_checkpointed_step(env: Env) -> None:
    for attempt in (1, 2, 3):
        env.runtime.execute(StepCall("r9", "sample", attempt))
    work = {e["workMs"] for e in env.events() if e["type"] == "attempt"}
    assert len(work) == 1
    # ...while a step without checkpoints draws its work per attempt.
    unchecked = dataclasses.replace(SCENARIO.steps[1], checkpoint=None)
    assert len({attempt_draws(unchecked, "r9", "sample", a).work_ms for a in (1, 2, 3)}) == 3


def test_a_resume_point_is_ignored_for_a_step_without_checkpoints(env: Env) -> None:
    env.runtime.execute(StepCall("r1", "plain", 1, resume_from_ms=3))
    attempt = env.events()[0]
    assert "resumedFromMs" not in attempt
    assert attempt["workMs"] == 5


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, 0),
        ("200", 0),
        (True, 0),
        (float("nan"), 0),
        (float("inf"), 0),
        (-5, 0),
        (0, 0),
        (120, 120),
        (900, 300),
    ],
)
def test_resume_point_takes_only_a_sane_checkpoint(given: object, expected: float) -> None:
    assert resume_point(given, 300) == expected


def test_failures_strike_after_the_work_and_are_recorded(env: Env) -> None:
    with pytest.raises(PermanentStepError, match="doomed failed for good"):
        env.runtime.execute(StepCall("r1", "doomed", 1))
    with pytest.raises(TransientStepError, match="flaky failed transiently"):
        env.runtime.execute(StepCall("r1", "flaky", 1))
    outcomes = [(e["stepId"], e["outcome"]) for e in env.events() if e["type"] == "step-done"]
    assert outcomes == [("doomed", "permanent-error"), ("flaky", "transient-error")]
    assert env.points == []  # no after-step for a failed step


def test_any_other_error_becomes_a_transient_step_error_with_its_cause(env: Env) -> None:
    def broken() -> None:
        raise ConnectionResetError("orchestrator gone")

    with pytest.raises(TransientStepError, match="train: orchestrator gone") as raised:
        env.runtime.execute(StepCall("r1", "train", 1, heartbeat=broken))
    assert isinstance(raised.value.__cause__, ConnectionResetError)
    assert env.events()[-1]["outcome"] == "transient-error"


def test_an_unknown_step_fails_for_good_without_a_trace_in_the_history(env: Env) -> None:
    with pytest.raises(PermanentStepError, match="scenario local has no step nope"):
        env.runtime.execute(StepCall("r1", "nope", 1))
    assert env.path.read_text(encoding="utf-8") == ""


def test_approval_second_half_records_the_decision(env: Env) -> None:
    env.runtime.complete_approval(StepCall("r1", "plain", 1), approved=True)
    env.runtime.complete_approval(StepCall("r2", "plain", 1), approved=False)
    assert [e["outcome"] for e in env.events()] == ["ok", "permanent-error"]


def test_compensating_a_step_without_compensation_does_nothing(env: Env) -> None:
    env.runtime.compensate("r1", "plain")
    assert env.events() == []


def test_wait_idle_waits_for_the_running_steps(tmp_path: Path) -> None:
    env = Env(tmp_path, sleep=True)
    assert env.runtime.in_flight == 0
    worker = threading.Thread(target=env.runtime.execute, args=(StepCall("r1", "sample", 1),))
    worker.start()
    deadline = time.monotonic() + 5
    while env.runtime.in_flight == 0 and worker.is_alive() and time.monotonic() < deadline:
        time.sleep(0.001)
    assert env.runtime.wait_idle(timeout_s=5)
    assert env.runtime.in_flight == 0
    assert env.events()[-1]["type"] == "step-done"
    worker.join()
