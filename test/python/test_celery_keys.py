"""Task ids derived from run and step, and back."""

from __future__ import annotations

from faultline_celery.canvas import Task
from faultline_celery.keys import failure_id, step_of, task_id


def test_task_ids_name_run_and_step_and_give_the_step_back() -> None:
    for task in [Task("embed#2"), Task("approve", "approval"), Task("_join", "join")]:
        assert step_of("run-7", task_id("run-7", task)) == task.step_id
    assert failure_id("run-7") not in {task_id("run-7", Task(s)) for s in ["a", "b"]}
