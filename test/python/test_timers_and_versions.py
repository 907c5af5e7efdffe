"""Timer steps and scenario versions in the Python runtime: what a worker of any language
writes when a timer fires, how a step whose input changed meets an old payload, and the
versions a worker of a cell with a deploy is given (adapters/README.md, worker protocol)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from faultline_runtime.config import ConfigError, parse_worker_config
from faultline_runtime.history import HistoryWriter
from faultline_runtime.lifecycle import build_worker
from faultline_runtime.model import ScenarioShapeError, parse_scenario, scenario_to_json
from faultline_runtime.plan import plan_run
from faultline_runtime.runtime import StepCall, StepRuntime, TransientStepError
from support import REPO_ROOT
from test_runtime import NoWorld

FOLLOW_UP = {
    "name": "follow-up",
    "description": "a step, a timer, a step whose input is at version 2",
    "steps": [
        {"id": "first", "kind": "compute", "work": {"dist": "constant", "ms": 1}},
        {"id": "wait", "kind": "timer", "dependsOn": ["first"], "delayMs": 1500},
        {"id": "then", "kind": "persist", "dependsOn": ["wait"], "inputVersion": 2},
    ],
}


def runtime(tmp_path: Path, version: int | None = None) -> tuple[StepRuntime, Path, list[str]]:
    path = tmp_path / "w.jsonl"
    points: list[str] = []
    rt = StepRuntime(
        cell="c",
        worker_id="w1",
        plan=plan_run(parse_scenario(FOLLOW_UP)),
        world=NoWorld(),
        history=HistoryWriter(path),
        idempotent_effects=False,
        failpoint=lambda point, call: points.append(f"{point} {call.step_id}"),
        sleep=lambda seconds: None,
        version=version,
    )
    return rt, path, points


def events(path: Path) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in json.loads(line).items() if k != "t"}
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def test_a_timer_step_parses_with_its_delay_and_round_trips() -> None:
    scenario = parse_scenario(FOLLOW_UP)
    wait = scenario.steps[1]
    assert (wait.kind, wait.delay_ms, wait.depends_on) == ("timer", 1500, ("first",))
    assert scenario.steps[2].input_version == 2
    assert scenario_to_json(scenario)["steps"][1] == {  # type: ignore[index]
        "id": "wait",
        "kind": "timer",
        "dependsOn": ["first"],
        "work": {"dist": "constant", "ms": 0},
        "delayMs": 1500,
    }


def test_a_delay_that_is_not_an_integer_is_refused_naming_the_field() -> None:
    bad = {**FOLLOW_UP, "steps": [{"id": "wait", "kind": "timer", "delayMs": 1.5}]}
    with pytest.raises(ScenarioShapeError, match=r"steps\[0\]\.delayMs: expected an integer"):
        parse_scenario(bad)


def test_fire_timer_writes_attempt_timer_fired_and_step_done_then_reaches_after_step(tmp_path: Path) -> None:
    rt, path, points = runtime(tmp_path)
    rt.fire_timer(StepCall("r1", "wait", 1), 1234.5)
    base = {"cell": "c", "worker": "w1", "runId": "r1", "stepId": "wait", "attempt": 1}
    assert events(path) == [
        {"type": "attempt", **base},
        {"type": "timer-fired", **base, "intendedAt": 1234.5},
        {"type": "step-done", **base, "outcome": "ok"},
    ]
    assert points == ["after-step wait"]


def test_with_a_version_every_attempt_carries_it(tmp_path: Path) -> None:
    rt, path, _ = runtime(tmp_path, version=2)
    rt.fire_timer(StepCall("r1", "wait", 1), 0)
    rt.execute(StepCall("r1", "first", 1))
    attempts = [e for e in events(path) if e["type"] == "attempt"]
    assert [(e["stepId"], e["version"]) for e in attempts] == [("wait", 2), ("first", 2)]


def test_an_old_payload_fails_a_step_whose_input_changed_after_its_attempt(tmp_path: Path) -> None:
    rt, path, _ = runtime(tmp_path)
    with pytest.raises(
        TransientStepError, match="reads input version 2; the payload was built for version 1"
    ):
        rt.execute(StepCall("r1", "then", 1))
    rt.execute(StepCall("r2", "then", 1, input_version=2))
    rt.execute(StepCall("r3", "then", 1, input_version=3))  # newer than the code reads: old code ignores it
    done = [(e["runId"], e["outcome"]) for e in events(path) if e["type"] == "step-done"]
    assert done == [("r1", "transient-error"), ("r2", "ok"), ("r3", "ok")]


def deploy_config(tmp_path: Path, **overrides: object) -> dict[str, Any]:
    v1 = json.loads((REPO_ROOT / "scenarios" / "scheduled-followup.json").read_text(encoding="utf-8"))
    v2 = {**v1, "steps": [*v1["steps"], {"id": "audit", "kind": "compute", "dependsOn": ["remind-approver"]}]}
    data: dict[str, Any] = {
        "protocol": 1,
        "workerId": "py-w1",
        "role": "worker",
        "cell": "c",
        "adapter": "test",
        "scenario": v2,
        "endpoints": {"world": {"host": "127.0.0.1", "port": 9}},
        "historyPath": str(tmp_path / "w.jsonl"),
        "idempotentEffects": False,
        "runDir": str(tmp_path),
        "scenarioVersion": 2,
        "scenarioVersions": [{"version": 1, "scenario": v1}, {"version": 2, "scenario": v2}],
    }
    data.update(overrides)
    return data


def test_a_deployed_worker_knows_every_version_up_to_its_own(tmp_path: Path) -> None:
    config = parse_worker_config(deploy_config(tmp_path))
    assert config.scenario_version == 2
    assert [number for number, _ in config.scenario_versions] == [1, 2]
    worker = build_worker(config)
    assert worker.runtime_for(None) is worker.runtime
    assert worker.runtime_for(2) is worker.runtime
    assert "audit" not in worker.runtime_for(1).plan.by_id
    assert "audit" in worker.runtime_for(2).plan.by_id
    assert worker.runtime_for(7) is worker.runtime  # a version it does not know: its own code


def test_a_worker_outside_a_deploy_has_no_versions(tmp_path: Path) -> None:
    data = deploy_config(tmp_path)
    del data["scenarioVersion"], data["scenarioVersions"]
    worker = build_worker(parse_worker_config(data))
    assert worker.versions == {}
    assert worker.config.scenario_version is None


def test_a_version_newer_than_the_workers_own_is_refused(tmp_path: Path) -> None:
    data = deploy_config(tmp_path, scenarioVersion=1)
    with pytest.raises(ConfigError, match=r"scenarioVersions\[1\]\.version: expected an integer from 1 to 1"):
        parse_worker_config(data)


def test_a_version_conflict_is_recorded_with_the_orchestrators_words(tmp_path: Path) -> None:
    rt, path, _ = runtime(tmp_path)
    rt.version_conflict("r1", "Nondeterminism error: activity id mismatch")
    assert events(path) == [
        {
            "type": "version-conflict",
            "cell": "c",
            "runId": "r1",
            "worker": "w1",
            "detail": "Nondeterminism error: activity id mismatch",
        }
    ]
