"""Scenario data (scenarios/model.ts) as typed, immutable Python values.

The harness validates scenarios (zod, with messages that name the bad field) before a
worker ever sees one; this module only turns the JSON into types. It still fails loudly
on a shape it does not know, unknown keys included: a field added on the TypeScript side
that this port silently ignored would make the two runtimes disagree without a word.
Defaults are the schema's, so a raw scenario file and the harness's parsed copy give the
same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias, cast

StepKind = Literal["llm", "tool", "compute", "approval", "persist", "fan-out", "timer"]
STEP_KINDS: tuple[StepKind, ...] = ("llm", "tool", "compute", "approval", "persist", "fan-out", "timer")


class ScenarioShapeError(ValueError):
    """The scenario JSON does not have the shape scenarios/model.ts describes."""


@dataclass(frozen=True)
class Constant:
    ms: float


@dataclass(frozen=True)
class Uniform:
    min_ms: float
    max_ms: float


@dataclass(frozen=True)
class Exponential:
    mean_ms: float


@dataclass(frozen=True)
class Lognormal:
    """Long-tailed, like model APIs: half the calls under median_ms, 1% over p99_ms."""

    median_ms: float
    p99_ms: float


Duration: TypeAlias = Constant | Uniform | Exponential | Lognormal


@dataclass(frozen=True)
class Failure:
    """Per-attempt probabilities: transient failures are retried, permanent ones are not."""

    transient: float = 0
    permanent: float = 0


@dataclass(frozen=True)
class Named:
    """An effect or a compensation: its name in the world's ledger."""

    name: str


@dataclass(frozen=True)
class Every:
    """A heartbeat or checkpoint interval, in ms of work."""

    every_ms: float


@dataclass(frozen=True)
class StepSpec:
    id: str
    kind: StepKind
    depends_on: tuple[str, ...] = ()
    work: Duration = Constant(0)
    description: str | None = None
    fan_out: int | None = None
    for_each: str | None = None
    failure: Failure | None = None
    effect: Named | None = None
    compensation: Named | None = None
    heartbeat: Every | None = None
    checkpoint: Every | None = None
    delay_ms: int | None = None
    """Timer steps: the wait from the moment the dependencies are done until the timer fires."""
    input_version: int | None = None
    """The input version the step's code reads (None: 1); an older payload fails the call."""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    steps: tuple[StepSpec, ...]


# ---- parsing -------------------------------------------------------------------------


def _object(data: object, path: str, required: set[str], optional: set[str]) -> Mapping[str, object]:
    if not isinstance(data, Mapping):
        raise ScenarioShapeError(f"{path}: expected an object, got {_kind(data)}")
    for key in data:
        if key not in required and key not in optional:
            known = ", ".join(sorted(required | optional))
            raise ScenarioShapeError(f"{path}: unknown key {key!r} (known: {known})")
    for key in required:
        if key not in data:
            raise ScenarioShapeError(f"{path}: missing {key!r}")
    return cast(Mapping[str, object], data)


def _kind(data: object) -> str:
    return "null" if data is None else type(data).__name__


def _string(data: object, path: str) -> str:
    if not isinstance(data, str):
        raise ScenarioShapeError(f"{path}: expected a string, got {_kind(data)}")
    return data


def _number(data: object, path: str) -> float:
    # JSON numbers arrive as int or float; bool is an int in Python but not a number in JSON.
    if isinstance(data, bool) or not isinstance(data, int | float):
        raise ScenarioShapeError(f"{path}: expected a number, got {_kind(data)}")
    return data


def _integer(data: object, path: str) -> int:
    number = _number(data, path)
    if isinstance(number, float):
        if not number.is_integer():
            raise ScenarioShapeError(f"{path}: expected an integer, got {number}")
        return int(number)
    return number


def _duration(data: object, path: str) -> Duration:
    if not isinstance(data, Mapping) or "dist" not in data:
        raise ScenarioShapeError(f"{path}: expected a duration object with 'dist'")
    dist = data["dist"]
    if dist == "constant":
        d = _object(data, path, {"dist", "ms"}, set())
        return Constant(_number(d["ms"], f"{path}.ms"))
    if dist == "uniform":
        d = _object(data, path, {"dist", "minMs", "maxMs"}, set())
        return Uniform(_number(d["minMs"], f"{path}.minMs"), _number(d["maxMs"], f"{path}.maxMs"))
    if dist == "exponential":
        d = _object(data, path, {"dist", "meanMs"}, set())
        return Exponential(_number(d["meanMs"], f"{path}.meanMs"))
    if dist == "lognormal":
        d = _object(data, path, {"dist", "medianMs", "p99Ms"}, set())
        return Lognormal(_number(d["medianMs"], f"{path}.medianMs"), _number(d["p99Ms"], f"{path}.p99Ms"))
    raise ScenarioShapeError(
        f"{path}.dist: expected constant, uniform, exponential or lognormal, got {dist!r}"
    )


def _named(data: object, path: str) -> Named:
    d = _object(data, path, {"name"}, set())
    return Named(_string(d["name"], f"{path}.name"))


def _every(data: object, path: str) -> Every:
    d = _object(data, path, {"everyMs"}, set())
    return Every(_number(d["everyMs"], f"{path}.everyMs"))


def _failure(data: object, path: str) -> Failure:
    d = _object(data, path, set(), {"transient", "permanent"})
    return Failure(
        transient=_number(d.get("transient", 0), f"{path}.transient"),
        permanent=_number(d.get("permanent", 0), f"{path}.permanent"),
    )


_STEP_KEYS = {
    "description",
    "dependsOn",
    "work",
    "fanOut",
    "forEach",
    "failure",
    "effect",
    "compensation",
    "heartbeat",
    "checkpoint",
    "delayMs",
    "inputVersion",
}


def _step(data: object, path: str) -> StepSpec:
    d = _object(data, path, {"id", "kind"}, _STEP_KEYS)
    kind = d["kind"]
    if kind not in STEP_KINDS:
        raise ScenarioShapeError(f"{path}.kind: expected one of {', '.join(STEP_KINDS)}, got {kind!r}")
    depends_on = d.get("dependsOn", [])
    if not isinstance(depends_on, list):
        raise ScenarioShapeError(f"{path}.dependsOn: expected an array, got {_kind(depends_on)}")

    def opt(key: str) -> object | None:
        return d.get(key)

    description, fan_out, for_each = opt("description"), opt("fanOut"), opt("forEach")
    failure, effect, compensation = opt("failure"), opt("effect"), opt("compensation")
    heartbeat, checkpoint = opt("heartbeat"), opt("checkpoint")
    delay_ms, input_version = opt("delayMs"), opt("inputVersion")
    return StepSpec(
        id=_string(d["id"], f"{path}.id"),
        kind=kind,
        depends_on=tuple(_string(dep, f"{path}.dependsOn[{i}]") for i, dep in enumerate(depends_on)),
        work=_duration(d["work"], f"{path}.work") if "work" in d else Constant(0),
        description=None if description is None else _string(description, f"{path}.description"),
        fan_out=None if fan_out is None else _integer(fan_out, f"{path}.fanOut"),
        for_each=None if for_each is None else _string(for_each, f"{path}.forEach"),
        failure=None if failure is None else _failure(failure, f"{path}.failure"),
        effect=None if effect is None else _named(effect, f"{path}.effect"),
        compensation=None if compensation is None else _named(compensation, f"{path}.compensation"),
        heartbeat=None if heartbeat is None else _every(heartbeat, f"{path}.heartbeat"),
        checkpoint=None if checkpoint is None else _every(checkpoint, f"{path}.checkpoint"),
        delay_ms=None if delay_ms is None else _integer(delay_ms, f"{path}.delayMs"),
        input_version=None if input_version is None else _integer(input_version, f"{path}.inputVersion"),
    )


def parse_scenario(data: object, source: str = "scenario") -> Scenario:
    """Scenario JSON (a raw file or the harness's parsed copy) as typed values."""
    # `slo` is the reports' business (a latency objective); workers only carry it along.
    d = _object(data, source, {"name", "description", "steps"}, {"slo"})
    steps = d["steps"]
    if not isinstance(steps, list) or not steps:
        raise ScenarioShapeError(f"{source}.steps: expected a non-empty array")
    return Scenario(
        name=_string(d["name"], f"{source}.name"),
        description=_string(d["description"], f"{source}.description"),
        steps=tuple(_step(step, f"{source}.steps[{i}]") for i, step in enumerate(steps)),
    )


# ---- back to JSON --------------------------------------------------------------------


def duration_to_json(duration: Duration) -> dict[str, object]:
    if isinstance(duration, Constant):
        return {"dist": "constant", "ms": duration.ms}
    if isinstance(duration, Uniform):
        return {"dist": "uniform", "minMs": duration.min_ms, "maxMs": duration.max_ms}
    if isinstance(duration, Exponential):
        return {"dist": "exponential", "meanMs": duration.mean_ms}
    return {"dist": "lognormal", "medianMs": duration.median_ms, "p99Ms": duration.p99_ms}


def step_to_json(step: StepSpec) -> dict[str, object]:
    """A step as the harness's schema outputs it: defaults filled in, absent options left out."""
    out: dict[str, object] = {"id": step.id, "kind": step.kind}
    if step.description is not None:
        out["description"] = step.description
    out["dependsOn"] = list(step.depends_on)
    out["work"] = duration_to_json(step.work)
    if step.fan_out is not None:
        out["fanOut"] = step.fan_out
    if step.for_each is not None:
        out["forEach"] = step.for_each
    if step.failure is not None:
        out["failure"] = {"transient": step.failure.transient, "permanent": step.failure.permanent}
    for key, named in (("effect", step.effect), ("compensation", step.compensation)):
        if named is not None:
            out[key] = {"name": named.name}
    for key, every in (("heartbeat", step.heartbeat), ("checkpoint", step.checkpoint)):
        if every is not None:
            out[key] = {"everyMs": every.every_ms}
    if step.delay_ms is not None:
        out["delayMs"] = step.delay_ms
    if step.input_version is not None:
        out["inputVersion"] = step.input_version
    return out


def scenario_to_json(scenario: Scenario) -> dict[str, object]:
    return {
        "name": scenario.name,
        "description": scenario.description,
        "steps": [step_to_json(step) for step in scenario.steps],
    }
