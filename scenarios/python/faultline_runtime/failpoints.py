"""Failpoints, the worker side (scenarios/failpoints.ts armFailpoints and
chaos/failpoint.ts armChaosFailpoints): the worker SIGKILLs itself at a named point of
the step runtime ("died right after charging the card").

Only the worker knows the exact moment, so it appends the fault-start to its own history
right before dying (one write(2), which survives the SIGKILL). Plain files coordinate
with the harness: a marker per (failpoint, worker slot) makes `once` hold across
restarts, a disarm file heals every failpoint of the cell before the drain, and an armed
file starts the count at the fault's planned time.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast, get_args

from faultline_runtime.history import HistoryWriter
from faultline_runtime.rng import derive_seed, seeded_rng
from faultline_runtime.runtime import FailpointHook, FailpointName, StepCall

DISARMED = "disarmed"
"""The file in the marker folder that heals every failpoint of the cell."""

_POINTS: tuple[str, ...] = get_args(FailpointName)


@dataclass(frozen=True)
class FailpointSpec:
    point: FailpointName
    step_id: str | None = None
    """Only for this step (instance id, or step id: the part before `#`); any when absent."""
    nth: int | None = None
    """Crash the Nth time the point is reached in this process (1-based), counted from
    when the spec is armed."""
    probability: float | None = None
    """Or crash with this probability each time, drawn per (point, run, step, attempt)."""
    fault_id: str | None = None
    """The planned fault (f1...); each firing gets its own faultId derived from it."""
    once: bool = False
    """Fire at most once per worker slot, restarts included (needs marker_dir)."""
    marker_dir: str | None = None
    """The cell's chaos folder: fired markers and the disarm file."""
    armed_file: str | None = None
    """Armed (counting) only once this file exists: the nemesis writes it at the fault's `at`."""


_SPEC_KEYS = ("point", "stepId", "nth", "probability", "faultId", "once", "markerDir", "armedFile")


def parse_failpoint_spec(data: object, where: str = "failpoint") -> FailpointSpec:
    """A spec as the harness writes it (camelCase JSON); null means absent."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: expected an object")
    unknown = [key for key in data if key not in _SPEC_KEYS]
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(_SPEC_KEYS)})")
    point = data.get("point")
    if point not in _POINTS:
        raise ValueError(f"{where}.point: expected one of {', '.join(_POINTS)}, got {point!r}")

    def field(key: str, kinds: tuple[type, ...]) -> object:
        value = data.get(key)
        # bool is an int in Python, but true is no count in JSON.
        if value is not None and (isinstance(value, bool) != (bool in kinds) or not isinstance(value, kinds)):
            raise ValueError(f"{where}.{key}: unexpected {type(value).__name__} {value!r}")
        return value

    def text(key: str) -> str | None:
        return cast(str | None, field(key, (str,)))

    return FailpointSpec(
        point=cast(FailpointName, point),
        step_id=text("stepId"),
        nth=cast(int | None, field("nth", (int,))),
        probability=cast(float | None, field("probability", (int, float))),
        fault_id=text("faultId"),
        once=field("once", (bool,)) is True,
        marker_dir=text("markerDir"),
        armed_file=text("armedFile"),
    )


def failpoint_draw(point: FailpointName, call: StepCall) -> float:
    """Seeded per (point, run, step, attempt): the same seed crashes at the same places."""
    return seeded_rng(derive_seed("failpoint", point, call.run_id, call.step_id, call.attempt))()


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _planned_id(spec: FailpointSpec, index: int) -> str:
    return spec.fault_id if spec.fault_id is not None else f"fp{index + 1}"


def fired_marker(marker_dir: str, fault_id: str, worker_id: str) -> str:
    return os.path.join(marker_dir, f"{fault_id}.{worker_id}.fired")


class _Armed:
    """One spec's state in this process: armed yet, and how often its point was reached."""

    def __init__(self, spec: FailpointSpec, index: int) -> None:
        self.spec = spec
        self.index = index
        self.armed = spec.armed_file is None
        self.hits = 0

    def matches(self, point: FailpointName, call: StepCall) -> bool:
        """Reached (and counted) here? Also arms the spec when its armed file appeared."""
        spec = self.spec
        if not self.armed:
            # Not counting before it is armed: nth counts from the fault's `at`.
            if point != spec.point or spec.armed_file is None or not os.path.exists(spec.armed_file):
                return False
            self.armed = True
        if spec.point != point:
            return False
        # An empty step id means any step, as in the reference.
        return not spec.step_id or spec.step_id in (call.step_id, call.step_id.split("#")[0])

    def fires(self, point: FailpointName, call: StepCall) -> bool:
        self.hits += 1
        if self.spec.nth == self.hits:
            return True
        probability = self.spec.probability
        return probability is not None and failpoint_draw(point, call) < probability


class ChaosFailpoints:
    """The runtime's failpoint hook, recording each firing as a fault-start."""

    def __init__(
        self,
        specs: Sequence[FailpointSpec],
        *,
        history: HistoryWriter,
        cell: str,
        worker_id: str,
        crash: Callable[[], None] | None = None,
        worker_pid: Callable[[], int] = os.getpid,
    ) -> None:
        """`crash` is how to die: SIGKILL of this very process unless a test replaces it, or a
        worker whose kill takes its whole process group. `worker_pid` is the pid the
        fault-start names: this process's, or the worker's main process's when a step runs
        in a pool child (the pid the supervisor sees exit)."""
        self._history = history
        self._cell = cell
        self._worker_id = worker_id
        self._crash = crash or _kill_self
        self._worker_pid = worker_pid
        self._lock = threading.Lock()
        # A spec this worker slot already fired (before a restart) stays quiet.
        self._live = [
            _Armed(spec, index)
            for index, spec in enumerate(specs)
            if not (
                spec.once
                and spec.marker_dir is not None
                and os.path.exists(fired_marker(spec.marker_dir, _planned_id(spec, index), worker_id))
            )
        ]

    def __call__(self, point: FailpointName, call: StepCall) -> None:
        for armed in self._live:
            # Counting under a lock: with a thread pool, `nth` must still mean the Nth.
            with self._lock:
                fire = armed.matches(point, call) and armed.fires(point, call)
            if fire:
                self._fire(armed, point, call)

    def _fire(self, armed: _Armed, point: FailpointName, call: StepCall) -> None:
        spec = armed.spec
        marker_dir = spec.marker_dir
        if marker_dir is not None and os.path.exists(os.path.join(marker_dir, DISARMED)):
            return
        planned = _planned_id(spec, armed.index)
        if marker_dir is not None and spec.once:
            with open(fired_marker(marker_dir, planned, self._worker_id), "w"):
                pass
        params: dict[str, object] = {
            "point": point,
            "step": call.step_id,
            "runId": call.run_id,
            "attempt": call.attempt,
        }
        if spec.nth is not None:
            params["nth"] = spec.nth
        if spec.probability is not None:
            params["probability"] = spec.probability
        self._history.append(
            {
                "type": "fault-start",
                "cell": self._cell,
                "faultId": f"{planned}:{self._worker_id}:{self._worker_pid()}",
                "fault": "failpoint",
                "target": self._worker_id,
                "params": params,
                # The steps this worker has in flight die with it: recovery is the orchestrator's.
                "killed": [self._worker_id],
            }
        )
        self._crash()


def arm_chaos_failpoints(
    specs: Sequence[FailpointSpec],
    *,
    history: HistoryWriter,
    cell: str,
    worker_id: str,
    crash: Callable[[], None] | None = None,
    worker_pid: Callable[[], int] = os.getpid,
) -> FailpointHook:
    return ChaosFailpoints(
        specs, history=history, cell=cell, worker_id=worker_id, crash=crash, worker_pid=worker_pid
    )
