"""A scenario expanded into the step instances of one run (scenarios/plan.ts).

A step with `forEach` becomes one instance per item of its fan-out (`embed#0`,
`embed#1`, ...); the instance id is the `stepId` of every history event. Lists keep the
reference's order, so the same scenario gives the same plan in both languages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from faultline_runtime.model import Scenario, ScenarioShapeError, StepSpec


@dataclass(frozen=True)
class StepInstance:
    id: str
    spec: StepSpec
    item: int | None
    """Item index for per-item steps."""
    depends_on: tuple[str, ...]
    """Instance ids that must complete before this one starts."""


@dataclass(frozen=True)
class RunPlan:
    scenario: str
    instances: tuple[StepInstance, ...]
    by_id: Mapping[str, StepInstance]
    dependents: Mapping[str, tuple[str, ...]]
    """Instance id -> instances that depend on it."""
    roots: tuple[str, ...]
    """Instances with no dependencies: where every run starts."""
    effect_steps: tuple[str, ...]
    """Instances that apply an effect: a completed run must have each applied once."""
    can_fail: bool
    """A run may legitimately end failed (a step can fail, or a human can reject)."""
    compensable_steps: tuple[str, ...]
    """Instances that declare a compensation: the effects a saga undoes."""
    rolls_back_on_failure: bool
    """The saga rule: a failed run undoes its compensable effects (see plan.ts)."""
    checkpointed_steps: tuple[str, ...]
    """Instances that checkpoint their work: where redone work is measured."""


def instance_id(step_id: str, item: int | None = None) -> str:
    return step_id if item is None else f"{step_id}#{item}"


def plan_run(scenario: Scenario) -> RunPlan:
    specs = {spec.id: spec for spec in scenario.steps}

    def spec_of(step_id: str) -> StepSpec:
        try:
            return specs[step_id]
        except KeyError:
            raise ScenarioShapeError(f"scenario {scenario.name}: unknown step {step_id!r}") from None

    def items_of(spec: StepSpec) -> int | None:
        if spec.for_each is None:
            return None
        source = specs.get(spec.for_each)
        return 1 if source is None or source.fan_out is None else source.fan_out

    def instances_of(spec: StepSpec) -> list[str]:
        items = items_of(spec)
        if items is None:
            return [spec.id]
        return [instance_id(spec.id, i) for i in range(items)]

    instances: list[StepInstance] = []
    for spec in scenario.steps:
        items = items_of(spec)
        for i in range(1 if items is None else items):
            item = None if items is None else i
            depends_on: list[str] = []
            for dep_id in spec.depends_on:
                dep = spec_of(dep_id)
                # Per-item steps over the same fan-out pair up item by item (embed#2 after chunk-clean#2).
                if item is not None and dep.for_each is not None and dep.for_each == spec.for_each:
                    depends_on.append(instance_id(dep_id, item))
                else:
                    depends_on.extend(instances_of(dep))
            instances.append(StepInstance(instance_id(spec.id, item), spec, item, tuple(depends_on)))

    dependents: dict[str, list[str]] = {inst.id: [] for inst in instances}
    for inst in instances:
        for dep_instance in inst.depends_on:
            dependents[dep_instance].append(inst.id)
    can_fail = any(
        s.kind == "approval"
        or (s.failure is not None and (s.failure.permanent > 0 or s.failure.transient > 0))
        for s in scenario.steps
    )
    compensable = tuple(i.id for i in instances if i.spec.compensation is not None)
    return RunPlan(
        scenario=scenario.name,
        instances=tuple(instances),
        by_id={inst.id: inst for inst in instances},
        dependents={key: tuple(value) for key, value in dependents.items()},
        roots=tuple(i.id for i in instances if not i.depends_on),
        effect_steps=tuple(i.id for i in instances if i.spec.effect is not None),
        can_fail=can_fail,
        compensable_steps=compensable,
        rolls_back_on_failure=can_fail and len(compensable) > 0,
        checkpointed_steps=tuple(i.id for i in instances if i.spec.checkpoint is not None),
    )


def compensation_order(plan: RunPlan, completed: Sequence[str]) -> list[str]:
    """The order a saga undoes a failed run's effects: the compensable steps among those
    that completed, last completed first, each once (the first completion counts)."""
    compensable = set(plan.compensable_steps)
    seen: set[str] = set()
    order: list[str] = []
    for step_id in completed:
        if step_id not in compensable or step_id in seen:
            continue
        seen.add(step_id)
        order.append(step_id)
    order.reverse()
    return order
