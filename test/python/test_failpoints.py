"""Failpoints, worker side: nth, probability, once markers, armed file, disarm file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from faultline_runtime.failpoints import (
    ChaosFailpoints,
    FailpointSpec,
    failpoint_draw,
    parse_failpoint_spec,
)
from faultline_runtime.history import HistoryWriter
from faultline_runtime.runtime import StepCall


class Worker:
    """A worker slot's failpoints with a crash that counts instead of SIGKILL."""

    def __init__(self, tmp_path: Path, specs: list[FailpointSpec], worker_id: str = "w1") -> None:
        self.path = tmp_path / f"{worker_id}.jsonl"
        self.history = HistoryWriter(self.path)
        self.specs = specs
        self.worker_id = worker_id
        self.crashes = 0

    def arm(self) -> ChaosFailpoints:
        """Arms the hook as a (re)started worker process does."""

        def crash() -> None:
            self.crashes += 1

        return ChaosFailpoints(
            self.specs, history=self.history, cell="c", worker_id=self.worker_id, crash=crash
        )

    def events(self) -> list[dict[str, object]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()]


def call(run_id: str, step_id: str = "persist", attempt: int = 1) -> StepCall:
    return StepCall(run_id, step_id, attempt)


def once_spec(markers: Path, nth: int = 1, **extra: object) -> FailpointSpec:
    spec = {"point": "after-effect", "stepId": "persist", "nth": nth, "faultId": "f1", "once": True}
    return parse_failpoint_spec({**spec, "markerDir": str(markers), **extra})


def test_crashes_at_the_nth_matching_point_after_writing_a_fault_start(tmp_path: Path) -> None:
    w = Worker(tmp_path, [once_spec(tmp_path, nth=2)])
    hook = w.arm()
    hook("after-effect", call("r1", "notify"))  # another step
    hook("before-effect", call("r1"))  # another point
    hook("after-effect", call("r1"))
    assert w.crashes == 0
    hook("after-effect", call("r2"))
    assert w.crashes == 1
    [start] = w.events()
    assert start["faultId"] == f"f1:w1:{os.getpid()}"
    assert {k: v for k, v in start.items() if k not in ("t", "faultId")} == {
        "type": "fault-start",
        "cell": "c",
        "fault": "failpoint",
        "target": "w1",
        "params": {"point": "after-effect", "step": "persist", "runId": "r2", "attempt": 1, "nth": 2},
        "killed": ["w1"],
    }
    hook("after-effect", call("r3"))  # the count went past nth
    assert w.crashes == 1


def test_matches_an_instance_by_its_step_id(tmp_path: Path) -> None:
    w = Worker(tmp_path, [parse_failpoint_spec({"point": "after-step", "stepId": "embed", "nth": 2})])
    hook = w.arm()
    hook("after-step", call("r1", "embed#0"))
    hook("after-step", call("r1", "embedding#1"))  # not a match: the id before `#` differs
    hook("after-step", call("r1", "embed#3"))
    assert w.crashes == 1
    assert w.events()[0]["params"] == {
        "point": "after-step",
        "step": "embed#3",
        "runId": "r1",
        "attempt": 1,
        "nth": 2,
    }


def test_without_a_step_id_any_step_counts(tmp_path: Path) -> None:
    w = Worker(tmp_path, [parse_failpoint_spec({"point": "before-effect", "nth": 3})])
    hook = w.arm()
    for step in ("a", "b#1", "c"):
        hook("before-effect", call("r1", step))
    assert w.crashes == 1
    # Without a fault id the firing is named after the spec's position.
    assert str(w.events()[0]["faultId"]).startswith("fp1:w1:")


def test_probability_fires_where_the_seeded_draw_falls_below_it(tmp_path: Path) -> None:
    w = Worker(tmp_path, [parse_failpoint_spec({"point": "after-step", "probability": 0.5})])
    hook = w.arm()
    calls = [call(f"r{i}", "persist", attempt) for i in range(20) for attempt in (1, 2)]
    for c in calls:
        hook("after-step", c)
    expected = [c for c in calls if failpoint_draw("after-step", c) < 0.5]
    assert 0 < len(expected) < len(calls)
    assert w.crashes == len(expected)
    fired = [(e["params"]["runId"], e["params"]["attempt"]) for e in w.events()]  # type: ignore[index]
    assert fired == [(c.run_id, c.attempt) for c in expected]
    assert all(e["params"]["probability"] == 0.5 for e in w.events())  # type: ignore[index]


def test_once_holds_across_restarts_of_the_worker_slot(tmp_path: Path) -> None:
    markers = tmp_path / "chaos"
    markers.mkdir()
    w = Worker(tmp_path, [once_spec(markers)])
    w.arm()("after-effect", call("r1"))
    assert w.crashes == 1
    assert (markers / "f1.w1.fired").exists()
    restarted = w.arm()
    restarted("after-effect", call("r2"))
    restarted("after-effect", call("r3"))
    assert w.crashes == 1
    # Another worker slot has its own marker.
    other = Worker(tmp_path, [once_spec(markers)], worker_id="w2")
    other.arm()("after-effect", call("r4"))
    assert other.crashes == 1


def test_with_an_armed_file_counts_only_once_the_nemesis_armed_it(tmp_path: Path) -> None:
    armed = tmp_path / "f1.armed"
    w = Worker(tmp_path, [once_spec(tmp_path, nth=2, armedFile=str(armed))])
    hook = w.arm()
    hook("after-effect", call("r1"))
    hook("after-effect", call("r2"))
    assert w.crashes == 0
    armed.write_text("")
    hook("after-effect", call("r3"))
    assert w.crashes == 0
    hook("after-effect", call("r4"))
    assert w.crashes == 1
    assert w.events()[0]["params"]["runId"] == "r4"  # type: ignore[index]


def test_the_disarm_file_heals_every_failpoint(tmp_path: Path) -> None:
    w = Worker(tmp_path, [once_spec(tmp_path)])
    hook = w.arm()
    (tmp_path / "disarmed").write_text("")
    hook("after-effect", call("r1"))
    assert w.crashes == 0
    assert w.events() == []
    assert not (tmp_path / "f1.w1.fired").exists()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"point": "mid-effect"}, "point"),
        ({"point": "after-step", "nth": "2"}, "nth"),
        ({"point": "after-step", "nth": True}, "nth"),
        ({"point": "after-step", "once": 1}, "once"),
        ({"point": "after-step", "crash": "now"}, "unknown key 'crash'"),
        ([], "expected an object"),
    ],
)
def test_a_malformed_spec_fails_loudly(spec: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_failpoint_spec(spec)


def test_null_fields_are_absent() -> None:
    spec = parse_failpoint_spec({"point": "after-step", "stepId": None, "nth": None, "probability": 0.25})
    assert spec == FailpointSpec(point="after-step", probability=0.25)
