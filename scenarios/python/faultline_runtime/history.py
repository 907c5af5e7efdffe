"""The worker's history file: one JSON line per event (core/history/writer.ts).

Each line goes out in a single write(2) on a descriptor opened with O_APPEND: once the
call returns the line is in the kernel's page cache and survives a SIGKILL of this
process a moment later (failpoints rely on that), and lines written by several threads,
or by processes forked after opening (Celery's prefork pool), never interleave. No
fsync per event: the design's budget.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

from faultline_runtime.js import stringify

CLOCK_ANCHOR_ENV = "FAULTLINE_CLOCK_ANCHOR"


def _clock_anchor() -> float:
    """The run's anchor (core/clock.ts): epoch ms minus CLOCK_MONOTONIC ms, read once by the harness.

    Reading this process's own wall clock put its events ~3 ms off the harness's; the
    anchor plus CLOCK_MONOTONIC is one clock for every process of the machine.
    """
    inherited = os.environ.get(CLOCK_ANCHOR_ENV)
    if inherited is not None:
        try:
            anchor = float(inherited)
        except ValueError:
            anchor = 0.0
        if anchor > 0 and anchor != float("inf"):
            return anchor
    anchor = time.time_ns() / 1_000_000 - time.monotonic_ns() / 1_000_000
    os.environ[CLOCK_ANCHOR_ENV] = repr(anchor)
    return anchor


_ANCHOR = _clock_anchor()


def now_ms() -> float:
    """Epoch milliseconds on the run's shared clock, like the reference's `t`."""
    # Integer true division rounds once; monotonic_ns() / 1e6 is exact to well under a µs.
    return _ANCHOR + time.monotonic_ns() / 1_000_000


class HistoryWriter:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        # A process SIGKILLed mid-write (a restarted worker's predecessor) may have left a
        # partial last line: cut it off, or this writer's first line would be glued to it.
        cut_torn_tail(self.path)
        self._fd: int | None = os.open(
            self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644
        )

    def append(self, event: Mapping[str, object]) -> dict[str, object]:
        """Stamps `t` (last, as the reference does) and writes the event."""
        stamped = {**event, "t": now_ms()}
        self.write(stamped)
        return stamped

    def write(self, event: Mapping[str, object]) -> None:
        """Writes an event whose `t` the caller chose."""
        data = (stringify(event) + "\n").encode("utf-8")
        fd = self._fd
        if fd is None:
            raise ValueError(f"history writer for {self.path} is closed")
        written = os.write(fd, data)
        # A regular file takes the whole line in one call; only a full disk or a signal
        # mid-write returns short, and then the rest must still follow.
        while written < len(data):
            written += os.write(fd, data[written:])

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        self._fd = None


def cut_torn_tail(path: str) -> None:
    """Truncates a partial last line (no newline at the end), as core/history/writer.ts does."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        size = os.fstat(fd).st_size
        keep = 0
        end = size
        while end > 0:
            start = max(0, end - 4096)
            newline = os.pread(fd, end - start, start).rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            end = start
        if keep < size:
            os.ftruncate(fd, keep)
    finally:
        os.close(fd)
