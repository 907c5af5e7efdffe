"""Task ids derived from run and step, and back."""

from __future__ import annotations

from faultline_celery.canvas import Task
from faultline_celery.keys import failure_id, step_of, task_id


def test_task_ids_name_run_and_step_and_give_the_step_back() -> None:
    for task in [Task("embed#2"), Task("approve", "approval"), Task("_join", "join")]:
        assert step_of("run-7", task_id("run-7", task)) == task.step_id
    assert failure_id("run-7") not in {task_id("run-7", Task(s)) for s in ["a", "b"]}


def test_a_timers_intended_time_is_the_eta_celery_computed_when_it_sent_the_task() -> None:
    from datetime import UTC, datetime

    from faultline_celery.tasks import intended_at

    eta = datetime(2026, 1, 2, 3, 4, 5, 250000, tzinfo=UTC)
    assert intended_at(eta.isoformat(), 0) == eta.timestamp() * 1000
    assert intended_at(eta, 0) == eta.timestamp() * 1000
    # A task sent without a countdown has no eta: due when it runs.
    assert intended_at(None, 1234.5) == 1234.5
    assert intended_at("not a date", 99.0) == 99.0
