"""A run's plan as a Celery canvas, the way a Celery user composes a pipeline: a chain of
step tasks, a group where branches run in parallel (in a chain, followed by the next
part, Celery makes it a chord: its header, then its body once Celery's own chord counter
on Redis says every header task is done), and the chain cut at each approval step.

Pure functions of the plan: `compile_plan` finds the series-parallel shape of the DAG
(rag-ingest: ingest, chunk, a group of embed#i, llm-extract, persist, notify), and
`segments` cuts it where a run waits for a human. The submitter turns the result into
signatures (signatures.py).

A DAG that is not series-parallel (a join that waits on some branches of a fan-out but
not all) is made series-parallel by waiting for a whole level: correct, with waits a
hand-written canvas would have too. No shipped scenario needs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

from faultline_runtime.plan import RunPlan

TaskRole = Literal["step", "approval-request", "approval-decide", "join"]


@dataclass(frozen=True)
class Task:
    step_id: str
    role: TaskRole = "step"


@dataclass(frozen=True)
class Chain:
    parts: tuple[Node, ...]
    """Two or more, in order."""


@dataclass(frozen=True)
class Group:
    branches: tuple[Node, ...]
    """Two or more, run in parallel."""


Node: TypeAlias = Task | Chain | Group


class CanvasError(ValueError):
    """A scenario this adapter cannot express as a canvas."""


def compile_plan(plan: RunPlan) -> Node:
    order = [instance.id for instance in plan.instances]
    deps = {instance.id: set(instance.depends_on) for instance in plan.instances}
    approvals = {instance.id for instance in plan.instances if instance.spec.kind == "approval"}
    return _decompose(order, deps, approvals, frozenset(order))


def _closure(start: str, edges: Mapping[str, set[str]], within: frozenset[str]) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt in within and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _decompose(
    order: list[str], deps: Mapping[str, set[str]], approvals: set[str], ids: frozenset[str]
) -> Node:
    members = [i for i in order if i in ids]
    if len(members) == 1:
        return Task(members[0], "step")
    dependents: dict[str, set[str]] = {i: set() for i in members}
    for i in members:
        for d in deps[i]:
            if d in ids:
                dependents[d].add(i)
    components = _components(members, deps, dependents, ids)
    if len(components) > 1:
        return Group(tuple(_decompose(order, deps, approvals, c) for c in components))
    for pivot in members:
        before = _closure(pivot, deps, ids)
        after = _closure(pivot, dependents, ids)
        if len(before) + len(after) + 1 == len(members):
            parts: list[Node] = []
            if before:
                parts.append(_decompose(order, deps, approvals, frozenset(before)))
            parts.append(Task(pivot, "step"))
            if after:
                parts.append(_decompose(order, deps, approvals, frozenset(after)))
            return _chain(parts)
    # Not series-parallel: run the first level as a whole, then the rest.
    first = frozenset(i for i in members if not deps[i] & ids)
    head = _decompose(order, deps, approvals, first)
    return _chain([head, _decompose(order, deps, approvals, ids - first)])


def _components(
    members: list[str], deps: Mapping[str, set[str]], dependents: Mapping[str, set[str]], ids: frozenset[str]
) -> list[frozenset[str]]:
    """Weakly connected parts of the subgraph, in plan order."""
    seen: set[str] = set()
    found: list[frozenset[str]] = []
    for start in members:
        if start in seen:
            continue
        part = {start}
        stack = [start]
        while stack:
            node = stack.pop()
            for nxt in (deps[node] & ids) | dependents[node]:
                if nxt not in part:
                    part.add(nxt)
                    stack.append(nxt)
        seen |= part
        found.append(frozenset(part))
    return found


def _chain(parts: Iterable[Node]) -> Node:
    flat: list[Node] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, Chain) else (part,))
    return flat[0] if len(flat) == 1 else Chain(tuple(flat))


@dataclass(frozen=True)
class Segment:
    """A piece of a run published at once: the run's start, or what follows a decision."""

    after_approval: str | None
    """The approval step whose decision starts this segment (None: the run's first)."""
    parts: tuple[Node, ...]
    """In order; ends with an approval request or with the run's last part."""

    @property
    def waits_for(self) -> str | None:
        """The approval step this segment ends asking for, if it does."""
        last = self.parts[-1]
        return last.step_id if isinstance(last, Task) and last.role == "approval-request" else None


def segments(plan: RunPlan, root: Node | None = None) -> list[Segment]:
    """The run cut at each approval step: a segment ends by asking for the decision, and
    the next starts by recording it. A run waiting for a human holds no task and no worker
    slot; the decision's arrival (the driver's `signal`) publishes the next segment."""
    approvals = {i.id for i in plan.instances if i.spec.kind == "approval"}
    top = root if root is not None else compile_plan(plan)
    parts = top.parts if isinstance(top, Chain) else (top,)
    for part in parts:
        if not isinstance(part, Task):
            nested = _steps_in(part) & approvals
            if nested:
                raise CanvasError(
                    f"scenario {plan.scenario}: approval step {sorted(nested)[0]} runs in a parallel branch;"
                    " the celery adapter parks a run at an approval by ending its chain there, which a"
                    " chord's branch cannot do"
                )
    found: list[Segment] = []
    current: list[Node] = []
    after: str | None = None
    for part in parts:
        if isinstance(part, Task) and part.step_id in approvals:
            current.append(Task(part.step_id, "approval-request"))
            found.append(Segment(after, tuple(current)))
            current = [Task(part.step_id, "approval-decide")]
            after = part.step_id
        else:
            current.append(part)
    if isinstance(current[-1], Group):
        # A run's end must be one task, whose result says the run completed.
        current.append(Task("_join", "join"))
    found.append(Segment(after, tuple(current)))
    return found


def _steps_in(node: Node) -> set[str]:
    if isinstance(node, Task):
        return {node.step_id}
    children = node.parts if isinstance(node, Chain) else node.branches
    return set().union(*(_steps_in(child) for child in children))


def final_task(plan: RunPlan) -> Task:
    """The task whose success means the run completed."""
    last = segments(plan)[-1].parts[-1]
    assert isinstance(last, Task)
    return last
