"""The Temporal activities (faultline_temporal.activities) in the SDK's own activity test
environment (temporalio.testing.ActivityEnvironment: the activity context, its info and
heartbeats, without a server), over the real step runtime with a world that records."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from faultline_runtime.history import HistoryWriter
from faultline_runtime.model import parse_scenario
from faultline_runtime.plan import plan_run
from faultline_runtime.runtime import StepRuntime, TransientStepError
from faultline_runtime.world import ApprovalRequest, EffectRequest, WorkRequest
from faultline_temporal.activities import StepActivities, saved_progress

SCENARIO = parse_scenario(
    {
        "name": "activities",
        "description": "local steps, an effect with a compensation, an approval",
        "steps": [
            {
                "id": "train",
                "kind": "compute",
                "work": {"dist": "constant", "ms": 300},
                "heartbeat": {"everyMs": 50},
                "checkpoint": {"everyMs": 100},
            },
            {"id": "doomed", "kind": "compute", "failure": {"permanent": 1}},
            {"id": "flaky", "kind": "compute", "failure": {"transient": 1}},
            {
                "id": "persist",
                "kind": "persist",
                "effect": {"name": "store.upsert"},
                "compensation": {"name": "store.delete"},
            },
            {"id": "review", "kind": "approval"},
        ],
    }
)


class RecordingWorld:
    """The world's side of the calls: effects, compensations and approval requests, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def model(self, req: WorkRequest) -> object:
        raise AssertionError("no model call expected")

    def tool(self, req: WorkRequest) -> object:
        raise AssertionError("no tool call expected")

    def effect(self, req: EffectRequest) -> object:
        self.calls.append(("effect", req["stepId"]))
        return {}

    def compensate(self, req: EffectRequest) -> object:
        self.calls.append(("compensate", req["stepId"]))
        return {}

    def request_approval(self, req: ApprovalRequest) -> object:
        self.calls.append(("approval", req["stepId"]))
        return {}


class Harness:
    def __init__(
        self, tmp_path: Path, *, resume: bool = True, sleep: Callable[[float], None] | None = None
    ) -> None:
        self.path = tmp_path / "worker.jsonl"
        self.world = RecordingWorld()
        runtime = StepRuntime(
            cell="c",
            worker_id="temporal-python-w1",
            plan=plan_run(SCENARIO),
            world=self.world,
            history=HistoryWriter(self.path),
            idempotent_effects=False,
            # The work is simulated: no need to wait it out here.
            sleep=sleep or (lambda seconds: None),
        )
        self.activities = StepActivities(lambda _version: runtime, resume_from_checkpoint=resume)
        self.env = ActivityEnvironment()
        self.beats: list[tuple[Any, ...]] = []
        self.env.on_heartbeat = lambda *details: self.beats.append(details)

    def attempt(self, number: int, heartbeat_details: list[Any] | None = None) -> None:
        self.env.info = dataclasses.replace(
            ActivityEnvironment.default_info(), attempt=number, heartbeat_details=heartbeat_details or []
        )

    def events(self, kind: str) -> list[dict[str, Any]]:
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [e for e in map(json.loads, lines) if e["type"] == kind]


def test_the_attempt_is_temporals_and_checkpoints_are_heartbeat_details(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.attempt(2)
    h.env.run(h.activities.execute_step, {"runId": "r1", "stepId": "train"})
    [attempt] = h.events("attempt")
    assert (attempt["attempt"], attempt["resumedFromMs"], attempt["workMs"]) == (2, 0, 300)
    # 300 ms of work: a beat every 50 ms (at 50, 100, ..., 300) and checkpoints at 100 and
    # 200 (not at the end). A checkpoint is a heartbeat with the progress; every plain beat
    # repeats the last checkpoint, since details are replaced at each heartbeat; the beat
    # at 50 ms has none yet.
    assert h.beats == [(), (100,), (100,), (100,), (200,), (200,), (200,), (200,)]


def test_a_retried_attempt_resumes_from_the_details_of_the_last_heartbeat(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.attempt(3, heartbeat_details=[200])
    h.env.run(h.activities.execute_step, {"runId": "r1", "stepId": "train"})
    [attempt] = h.events("attempt")
    assert (attempt["attempt"], attempt["resumedFromMs"]) == (3, 200)
    # With the knob off, every attempt starts from scratch.
    (tmp_path / "off").mkdir()
    off = Harness(tmp_path / "off", resume=False)
    off.attempt(3, heartbeat_details=[200])
    off.env.run(off.activities.execute_step, {"runId": "r1", "stepId": "train"})
    assert off.events("attempt")[0]["resumedFromMs"] == 0


def test_a_permanent_error_is_not_retried_a_transient_one_is(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    with pytest.raises(ApplicationError) as permanent:
        h.env.run(h.activities.execute_step, {"runId": "r1", "stepId": "doomed"})
    assert (permanent.value.type, permanent.value.non_retryable) == ("PermanentStepError", True)
    # Raised as it is: the SDK reports it retryable, and the retry policy applies.
    with pytest.raises(TransientStepError):
        h.env.run(h.activities.execute_step, {"runId": "r1", "stepId": "flaky"})
    assert [e["outcome"] for e in h.events("step-done")] == ["permanent-error", "transient-error"]


def test_effects_compensations_and_the_two_halves_of_an_approval(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.env.run(h.activities.execute_step, {"runId": "r1", "stepId": "persist"})
    h.env.run(h.activities.compensate_step, {"runId": "r1", "stepId": "persist"})
    h.attempt(4)
    attempt = h.env.run(h.activities.request_approval, {"runId": "r1", "stepId": "review"})
    assert attempt == 4
    h.env.run(
        h.activities.complete_approval,
        {"runId": "r1", "stepId": "review", "attempt": attempt, "approved": False},
    )
    assert h.world.calls == [("effect", "persist"), ("compensate", "persist"), ("approval", "review")]
    review = [e for e in h.events("step-done") if e["stepId"] == "review"]
    assert [(e["attempt"], e["outcome"]) for e in review] == [(4, "permanent-error")]
    with pytest.raises(ApplicationError, match="runId: expected a string"):
        h.env.run(h.activities.compensate_step, {"stepId": "persist"})


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        ([250], 250.0),
        ([250.5, "x"], 250.5),
        ([], None),
        (["250"], None),
        ([True], None),
        ([float("nan")], None),
    ],
)
def test_reads_only_a_sane_checkpoint_from_heartbeat_details(
    details: list[Any], expected: float | None
) -> None:
    assert saved_progress(details) == expected


def test_a_cancelled_attempt_runs_to_its_end_as_in_typescript(tmp_path: Path) -> None:
    """The server gave up on the attempt (a heartbeat timeout, a shutdown's grace over): the
    SDK would raise CancelledError into the thread; the activity asks it not to, so the step
    ends as drawn, and the server discards its result, as with the TypeScript activities."""
    cancelled: list[bool] = []

    def cancel_midway(seconds: float) -> None:
        if not cancelled:
            h.env.cancel()
            cancelled.append(True)

    h = Harness(tmp_path, sleep=cancel_midway)
    h.env.run(h.activities.execute_step, {"runId": "r1", "stepId": "train"})
    assert cancelled == [True]
    assert [e["outcome"] for e in h.events("step-done")] == ["ok"]
