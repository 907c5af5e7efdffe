"""Local work: checkpoints at multiples of the work, resume, heartbeats (a fake clock)."""

from __future__ import annotations

import pytest

from faultline_runtime.localwork import LocalWork, local_work


class Clock:
    """Records sleeps (in ms of work) instead of sleeping."""

    def __init__(self) -> None:
        self.ms = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds * 1000)
        self.ms += seconds * 1000


def run(
    total: float, start: float = 0, beat_every: float | None = None, save_every: float | None = None
) -> tuple[Clock, list[float], list[float]]:
    clock = Clock()
    saved: list[float] = []
    beats: list[float] = []
    local_work(
        LocalWork(
            total_ms=total,
            from_ms=start,
            heartbeat_every_ms=beat_every,
            heartbeat=lambda: beats.append(start + clock.ms),
            checkpoint_every_ms=save_every,
            checkpoint=saved.append,
        ),
        clock.sleep,
    )
    return clock, saved, beats


def test_saves_at_every_multiple_of_the_interval_but_not_at_the_end() -> None:
    clock, saved, _ = run(3000, save_every=500)
    assert saved == [500, 1000, 1500, 2000, 2500]
    assert clock.ms == pytest.approx(3000)


def test_resumes_from_the_point_given_and_saves_at_the_next_multiple() -> None:
    clock, saved, beats = run(3000, start=2300, beat_every=200, save_every=500)
    assert saved == [2500]
    assert clock.ms == pytest.approx(700)
    # Heartbeats count this attempt's work: every 200 ms from where it resumed.
    assert beats == pytest.approx([2500, 2700, 2900])


def test_heartbeats_every_interval_of_this_attempt() -> None:
    _, _, beats = run(1000, beat_every=250)
    assert beats == pytest.approx([250, 500, 750, 1000])


def test_nothing_left_to_do_does_not_sleep() -> None:
    clock, saved, beats = run(300, start=300, beat_every=10, save_every=10)
    assert (clock.sleeps, saved, beats) == ([], [], [])


def test_without_intervals_it_sleeps_once() -> None:
    clock, saved, beats = run(42)
    assert clock.sleeps == pytest.approx([42])
    assert (saved, beats) == ([], [])


def test_a_failing_checkpoint_costs_redone_work_not_the_attempt() -> None:
    def broken(progress_ms: float) -> None:
        raise ConnectionError("orchestrator unreachable")

    clock = Clock()
    local_work(LocalWork(total_ms=100, from_ms=0, checkpoint_every_ms=30, checkpoint=broken), clock.sleep)
    assert clock.ms == pytest.approx(100)


def test_a_failing_heartbeat_fails_the_attempt() -> None:
    def broken() -> None:
        raise RuntimeError("cancelled")

    with pytest.raises(RuntimeError, match="cancelled"):
        local_work(LocalWork(total_ms=100, from_ms=0, heartbeat_every_ms=30, heartbeat=broken), Clock().sleep)
