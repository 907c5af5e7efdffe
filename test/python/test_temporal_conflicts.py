"""Which core logs are non-determinism errors (faultline_temporal.conflicts): the run they
name and core's own words, as the TypeScript worker's ConflictWatchingLogger reads them."""

from __future__ import annotations

from faultline_temporal.conflicts import conflict_of

NDE = (
    "[TMPRL1100] Nondeterminism error: Activity id of scheduled event 'notify-requester' "
    "does not match activity id of activity command 'notify-requester-v2'"
)


def test_a_failed_workflow_task_naming_a_nondeterminism_is_a_conflict_of_its_run() -> None:
    failure = f'Failure {{ failure: Some(Failure {{ message: "{NDE}" }}) }}'
    assert conflict_of({"run_id": "temporal-run-1", "failure": failure}, "Failing workflow task") == (
        "temporal-run-1",
        NDE,
    )


def test_other_failures_and_logs_without_a_run_are_not() -> None:
    assert (
        conflict_of({"run_id": "r", "failure": 'Failure { message: "timeout" }'}, "Failing workflow task")
        is None
    )
    assert conflict_of({"failure": f'message: "{NDE}"'}, "Failing workflow task") is None
