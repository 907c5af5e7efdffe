"""Simulated local work (scenarios/runtime.ts localWork): compute, persist and fan-out
steps run in the worker itself, heartbeating and saving checkpoints as they go.

Heartbeats and checkpoints are placed by work done, not by the clock, so the same step
heartbeats and checkpoints at the same points in both languages.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

Sleep = Callable[[float], None]
"""Blocks for the given seconds (time.sleep; tests pass a fake)."""


@dataclass(frozen=True)
class LocalWork:
    total_ms: float
    """The step's whole work."""
    from_ms: float
    """Work already done by an earlier attempt (a checkpoint): this attempt does the rest."""
    heartbeat_every_ms: float | None = None
    heartbeat: Callable[[], None] | None = None
    checkpoint_every_ms: float | None = None
    """Progress is saved each time it crosses a multiple of this (500, 1000, ... ms)."""
    checkpoint: Callable[[float], None] | None = None


def local_work(work: LocalWork, sleep: Sleep = time.sleep) -> None:
    """Works from `from_ms` to `total_ms`: heartbeats every `heartbeat_every_ms` of this
    attempt, so the orchestrator can tell dead from slow, and saves a checkpoint at every
    multiple of `checkpoint_every_ms` of the work (not at its end: the step is done)."""
    total, heartbeat, checkpoint = work.total_ms, work.heartbeat, work.checkpoint
    progress = max(0, work.from_ms)
    if progress >= total:
        return
    beat_every = work.heartbeat_every_ms if heartbeat is not None and work.heartbeat_every_ms else math.inf
    save_every = work.checkpoint_every_ms if checkpoint is not None and work.checkpoint_every_ms else math.inf
    next_beat = progress + beat_every
    next_save = (math.floor(progress / save_every) + 1) * save_every
    while progress < total:
        until = min(total, next_beat, next_save)
        sleep((until - progress) / 1000)
        progress = until
        if progress >= next_save:
            next_save += save_every
            if progress < total and checkpoint is not None:
                _save_checkpoint(checkpoint, progress)
        if progress >= next_beat:
            next_beat += beat_every
            if heartbeat is not None:
                heartbeat()


def _save_checkpoint(checkpoint: Callable[[float], None], progress_ms: float) -> None:
    # Not saved (the orchestrator unreachable): a later attempt redoes more work, that is all.
    with contextlib.suppress(Exception):
        checkpoint(progress_ms)
