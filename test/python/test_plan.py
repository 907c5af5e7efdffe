"""Scenario parsing, run plans, compensation order and per-attempt draws against the
reference's outputs for every scenario of scenarios/ (and the test fixtures)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from faultline_runtime.model import ScenarioShapeError, parse_scenario, scenario_to_json
from faultline_runtime.plan import RunPlan, compensation_order, plan_run
from faultline_runtime.rng import derive_seed, seeded_rng
from faultline_runtime.runtime import attempt_draws, undrawn_work_ms
from support import REPO_ROOT, close


def _raw(case: dict[str, Any]) -> object:
    """The scenario as written: its file, or the inline scenario of the vectors."""
    if "raw" in case:
        return case["raw"]
    with (REPO_ROOT / case["file"]).open(encoding="utf-8") as file:
        return json.load(file)


def _load(case: dict[str, Any]) -> RunPlan:
    return plan_run(parse_scenario(_raw(case)))


def _plan_json(plan: RunPlan) -> dict[str, object]:
    return {
        "scenario": plan.scenario,
        "instances": [
            {
                "id": i.id,
                "step": i.spec.id,
                **({} if i.item is None else {"item": i.item}),
                "dependsOn": list(i.depends_on),
            }
            for i in plan.instances
        ],
        "dependents": {key: list(value) for key, value in plan.dependents.items()},
        "roots": list(plan.roots),
        "effectSteps": list(plan.effect_steps),
        "canFail": plan.can_fail,
        "compensableSteps": list(plan.compensable_steps),
        "rollsBackOnFailure": plan.rolls_back_on_failure,
        "checkpointedSteps": list(plan.checkpointed_steps),
    }


def test_every_scenario_file_is_covered(vectors: dict[str, Any]) -> None:
    files = {case.get("file") for case in vectors["scenarios"]}
    on_disk = {f"scenarios/{p.name}" for p in (REPO_ROOT / "scenarios").glob("*.json")}
    assert on_disk <= files


def test_scenarios_parse_to_what_the_harness_schema_outputs(vectors: dict[str, Any]) -> None:
    for case in vectors["scenarios"]:
        assert scenario_to_json(parse_scenario(_raw(case))) == case["normalized"], case.get("file")
        # The harness hands workers its parsed copy: parsing that again changes nothing.
        assert scenario_to_json(parse_scenario(case["normalized"])) == case["normalized"]


def test_plan_run_matches_the_reference(vectors: dict[str, Any]) -> None:
    for case in vectors["scenarios"]:
        assert _plan_json(_load(case)) == case["plan"], case["plan"]["scenario"]


def test_compensation_order_matches_the_reference(vectors: dict[str, Any]) -> None:
    for case in vectors["scenarios"]:
        plan = _load(case)
        for order in case["compensationOrders"]:
            assert compensation_order(plan, order["completed"]) == order["order"]


def test_attempt_draws_match_the_reference(vectors: dict[str, Any]) -> None:
    outcomes: set[str] = set()
    for case in vectors["scenarios"]:
        plan = _load(case)
        for expected in case["outcomes"]:
            spec = plan.by_id[expected["stepId"]].spec
            draws = attempt_draws(spec, expected["runId"], expected["stepId"], expected["attempt"])
            assert draws.failure_draw == expected["failureDraw"], expected
            assert close(draws.work_ms, expected["workMs"]), expected
            assert (draws.failure or "ok") == expected["outcome"], expected
            outcomes.add(expected["outcome"])
    # The vectors exercise every outcome, or this test would prove less than it says.
    assert outcomes == {"ok", "transient-error", "permanent-error"}


def test_a_step_that_draws_nothing_skips_the_draws_and_gets_their_numbers(vectors: dict[str, Any]) -> None:
    skipped = drawn = 0
    for case in vectors["scenarios"]:
        plan = _load(case)
        for expected in case["outcomes"]:
            spec = plan.by_id[expected["stepId"]].spec
            fixed = undrawn_work_ms(spec)
            if fixed is None:
                drawn += 1
                continue
            # What the full draws give for this attempt is what the shortcut assumes.
            draws = attempt_draws(spec, expected["runId"], expected["stepId"], expected["attempt"])
            assert (fixed, draws.failure) == (draws.work_ms, None), expected
            assert expected["outcome"] == "ok", expected
            skipped += 1
    # Both kinds occur in the vectors, or this would prove less than it says.
    assert skipped > 0
    assert drawn > 0


def test_failpoint_draws_match_the_reference(vectors: dict[str, Any]) -> None:
    for case in vectors["scenarios"]:
        for expected in case["failpointDraws"]:
            parts = (
                "failpoint",
                expected["point"],
                expected["runId"],
                expected["stepId"],
                expected["attempt"],
            )
            assert seeded_rng(derive_seed(*parts))() == expected["draw"]


def test_forEach_steps_pair_up_item_by_item_over_the_same_fan_out() -> None:
    plan = plan_run(
        parse_scenario(
            {
                "name": "pairs",
                "description": "",
                "steps": [
                    {"id": "split", "kind": "fan-out", "fanOut": 2},
                    {"id": "a", "kind": "compute", "dependsOn": ["split"], "forEach": "split"},
                    {"id": "b", "kind": "compute", "dependsOn": ["split", "a"], "forEach": "split"},
                    {"id": "merge", "kind": "compute", "dependsOn": ["b"]},
                ],
            }
        )
    )
    assert plan.by_id["b#1"].depends_on == ("split", "a#1")
    assert plan.by_id["merge"].depends_on == ("b#0", "b#1")
    assert plan.dependents["split"] == ("a#0", "a#1", "b#0", "b#1")
    assert plan.roots == ("split",)


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"id": "a", "kind": "compute", "retries": 3}, "unknown key 'retries'"),
        ({"kind": "compute"}, "missing 'id'"),
        ({"id": "a", "kind": "sleep"}, "steps[0].kind"),
        ({"id": "a", "kind": "compute", "work": {"dist": "normal", "ms": 1}}, "steps[0].work.dist"),
        (
            {"id": "a", "kind": "compute", "work": {"dist": "constant", "ms": True}},
            "work.ms: expected a number",
        ),
        ({"id": "a", "kind": "compute", "work": {"dist": "constant", "ms": 1, "x": 2}}, "unknown key 'x'"),
        ({"id": "a", "kind": "fan-out", "fanOut": 2.5}, "fanOut: expected an integer"),
        ({"id": "a", "kind": "compute", "dependsOn": "b"}, "dependsOn: expected an array"),
        ({"id": "a", "kind": "compute", "failure": {"transient": "often"}}, "failure.transient"),
    ],
)
def test_a_malformed_scenario_fails_loudly_naming_the_field(step: dict[str, object], message: str) -> None:
    with pytest.raises(ScenarioShapeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_scenario({"name": "bad", "description": "", "steps": [step]}, "bad.json")


def test_a_scenario_without_steps_fails_loudly() -> None:
    with pytest.raises(ScenarioShapeError, match="steps"):
        parse_scenario({"name": "bad", "description": "", "steps": []})
    with pytest.raises(ScenarioShapeError, match="expected an object"):
        parse_scenario(["not", "an", "object"])
