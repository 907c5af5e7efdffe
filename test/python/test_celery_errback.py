"""The run's errback reads the failure it was called for, even when a chord has not stored it yet."""

from __future__ import annotations

from typing import Any

import pytest

from faultline_celery import tasks


class SlowBackend:
    """A result backend that stores a task's failure only after `pending_reads` reads,
    as a chord does with its body: errbacks first, the stored failure after."""

    def __init__(self, pending_reads: int) -> None:
        self.pending_reads = pending_reads
        self.reads = 0

    def get_task_meta(self, task_id: str) -> dict[str, Any]:
        self.reads += 1
        if self.reads <= self.pending_reads:
            return {"task_id": task_id, "status": "PENDING", "result": None}
        return {"task_id": task_id, "status": "FAILURE", "result": ValueError("boom")}


def test_reads_again_until_the_failure_is_stored() -> None:
    backend = SlowBackend(pending_reads=3)
    meta = tasks.stored_outcome(backend, "run-1:llm-extract")
    assert meta["status"] == "FAILURE"
    assert backend.reads == 4


def test_a_stored_failure_is_read_once() -> None:
    backend = SlowBackend(pending_reads=0)
    assert tasks.stored_outcome(backend, "run-1:persist")["status"] == "FAILURE"
    assert backend.reads == 1


def test_gives_up_after_its_wait_and_returns_what_it_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "OUTCOME_WAIT_S", 0.1)
    backend = SlowBackend(pending_reads=10**9)
    meta = tasks.stored_outcome(backend, "run-1:llm-extract")
    assert meta["status"] == "PENDING"
    # Polled every OUTCOME_POLL_S for the wait, no longer: a bounded number of reads.
    assert 2 <= backend.reads <= 0.1 / tasks.OUTCOME_POLL_S + 2
