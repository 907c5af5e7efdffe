"""The workflow input as the TypeScript driver sends it (adapters/temporal/protocol.ts),
parsed by the Python workflow; the task queue names both languages derive from a cell."""

from __future__ import annotations

from typing import Any

import pytest

from faultline_temporal.protocol import (
    InputShapeError,
    activity_task_queue_name,
    parse_pipeline_input,
    task_queue_name,
)


def driver_input(**activity: Any) -> dict[str, Any]:
    """What pipelineTemplate(plan, knobs) plus the run id gives for a two-step plan."""
    return {
        "steps": [
            {"id": "fetch", "kind": "tool", "dependsOn": [], "heartbeat": False, "compensable": False},
            {
                "id": "persist",
                "kind": "persist",
                "dependsOn": ["fetch"],
                "heartbeat": True,
                "compensable": True,
            },
        ],
        "rollsBackOnFailure": True,
        "activity": {
            "startToCloseTimeout": 30000,
            "heartbeatTimeout": 5000,
            "retry": {
                "initialInterval": 1000,
                "backoffCoefficient": 2,
                "maximumInterval": 100000,
                "nonRetryableErrorTypes": ["PermanentStepError"],
            },
            **activity,
        },
        "runId": "run-01",
    }


def test_parses_what_the_driver_sends_with_temporals_defaults_for_what_it_leaves_out() -> None:
    parsed = parse_pipeline_input(driver_input())
    assert parsed.run_id == "run-01"
    assert [(s.id, s.depends_on, s.heartbeat, s.compensable) for s in parsed.steps] == [
        ("fetch", (), False, False),
        ("persist", ("fetch",), True, True),
    ]
    assert parsed.rolls_back_on_failure is True
    activity = parsed.activity
    # No taskQueue: the workflow's own; no scheduleToClose: no limit; no maximumAttempts: unlimited (0).
    assert activity.task_queue is None
    assert activity.schedule_to_close_timeout_ms is None
    assert activity.retry.maximum_attempts == 0
    assert activity.retry.non_retryable_error_types == ("PermanentStepError",)


def test_reads_the_optional_fields_when_given() -> None:
    data = driver_input(taskQueue="faultline.cell.activities", scheduleToCloseTimeout=60000)
    data["activity"]["retry"]["maximumAttempts"] = 3
    activity = parse_pipeline_input(data).activity
    assert (activity.task_queue, activity.schedule_to_close_timeout_ms, activity.retry.maximum_attempts) == (
        "faultline.cell.activities",
        60000,
        3,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("runId"), r"input\.runId: missing"),
        (
            lambda d: d["steps"][1].update(dependsOn="fetch"),
            r"input\.steps\[1\]\.dependsOn: expected an array",
        ),
        (lambda d: d["steps"][1].update(dependsOn=["nope"]), r"persist depends on nope, which is not a step"),
        (
            lambda d: d["activity"].update(heartbeatTimeout="5s"),
            r"input\.activity\.heartbeatTimeout: expected a number",
        ),
        (
            lambda d: d["activity"]["retry"].update(maximumAttempts=-1),
            r"maximumAttempts: expected a whole number",
        ),
    ],
)
def test_names_the_field_of_an_input_it_cannot_read(change: Any, message: str) -> None:
    data = driver_input()
    change(data)
    with pytest.raises(InputShapeError, match=message):
        parse_pipeline_input(data)


def test_derives_the_cells_task_queues_as_the_typescript_side_does() -> None:
    # taskQueueName: characters outside [A-Za-z0-9._:-] become `_`, then `:` does too.
    assert task_queue_name("faultline", "rag-ingest/temporal-python/kill-after-effect") == (
        "faultline.rag-ingest_temporal-python_kill-after-effect"
    )
    assert task_queue_name("q", "a:b c/d") == "q.a_b_c_d"
    assert activity_task_queue_name("q", "a:b c/d") == "q.a_b_c_d.activities"


def test_reads_a_timer_steps_delay_and_a_steps_input_version_when_the_driver_sends_them() -> None:
    data = driver_input()
    steps: list[dict[str, Any]] = data["steps"]
    steps.append(
        {
            "id": "wait",
            "kind": "timer",
            "dependsOn": ["persist"],
            "heartbeat": False,
            "compensable": False,
            "delayMs": 3000,
        }
    )
    steps[0]["inputVersion"] = 2
    parsed = parse_pipeline_input(data)
    assert parsed.steps[2].delay_ms == 3000
    assert parsed.steps[0].input_version == 2
    assert parsed.steps[1].delay_ms is None
    assert parsed.steps[1].input_version is None
    steps[0]["inputVersion"] = 0
    with pytest.raises(
        InputShapeError, match=r"input\.steps\[0\]\.inputVersion: expected a whole number >= 1"
    ):
        parse_pipeline_input(data)
