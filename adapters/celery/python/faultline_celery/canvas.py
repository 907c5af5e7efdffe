"""A run's plan as a Celery canvas, the way a Celery user composes a pipeline: a chain of
step tasks, and a group where branches run in parallel (in a chain, followed by the next
part, Celery makes it a chord: its header, then its body once Celery's own chord counter on
Redis says every header task is done).

Pure functions of the plan: `compile_plan` finds the series-parallel shape of the DAG
(rag-ingest: ingest, chunk, a group of embed#i, llm-extract, persist, notify); the
submitter turns it into signatures (signatures.py). An approval step is a task like any
other (it waits by re-checking, tasks.py), so it may sit anywhere, a chord's branch included.
A timer step is a task sent with a countdown, as Celery users schedule a follow-up: its
chain (or chord) sends it once the steps before it are done, and the worker that reserved
it runs it when the countdown is over (tasks.py records the firing).

A DAG that is not series-parallel (a join that waits on some branches of a fan-out but
not all) is made series-parallel by waiting for a whole level: correct, with waits a
hand-written canvas would have too. No shipped scenario needs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

from faultline_runtime.plan import RunPlan, StepInstance

TaskRole = Literal["step", "approval", "timer", "join"]


@dataclass(frozen=True)
class Task:
    step_id: str
    role: TaskRole = "step"
    delay_ms: float | None = None
    """Timer steps: the countdown the task is sent with, counted from when its chain gets to it."""
    input_version: int | None = None
    """The step's input version in this plan (None: 1), sent in the task's payload."""


@dataclass(frozen=True)
class Chain:
    parts: tuple[Node, ...]
    """Two or more, in order."""


@dataclass(frozen=True)
class Group:
    branches: tuple[Node, ...]
    """Two or more, run in parallel."""


Node: TypeAlias = Task | Chain | Group


def compile_plan(plan: RunPlan) -> Node:
    """The run as one canvas; a run ending in parallel branches ends with a join task, so
    one task's result says the run completed."""
    order = [instance.id for instance in plan.instances]
    deps = {instance.id: set(instance.depends_on) for instance in plan.instances}
    tasks = {instance.id: _task_of(instance) for instance in plan.instances}
    root = _decompose(order, deps, tasks, frozenset(order))
    last = root.parts[-1] if isinstance(root, Chain) else root
    return _chain([root, Task("_join", "join")]) if isinstance(last, Group) else root


def _task_of(instance: StepInstance) -> Task:
    spec = instance.spec
    role: TaskRole = "approval" if spec.kind == "approval" else "timer" if spec.kind == "timer" else "step"
    return Task(
        instance.id,
        role,
        delay_ms=float(spec.delay_ms) if spec.kind == "timer" and spec.delay_ms else None,
        input_version=spec.input_version,
    )


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
    order: list[str], deps: Mapping[str, set[str]], tasks: Mapping[str, Task], ids: frozenset[str]
) -> Node:
    members = [i for i in order if i in ids]
    if len(members) == 1:
        return tasks[members[0]]
    dependents: dict[str, set[str]] = {i: set() for i in members}
    for i in members:
        for d in deps[i]:
            if d in ids:
                dependents[d].add(i)
    components = _components(members, deps, dependents, ids)
    if len(components) > 1:
        return Group(tuple(_decompose(order, deps, tasks, c) for c in components))
    for pivot in members:
        before = _closure(pivot, deps, ids)
        after = _closure(pivot, dependents, ids)
        if len(before) + len(after) + 1 == len(members):
            parts: list[Node] = []
            if before:
                parts.append(_decompose(order, deps, tasks, frozenset(before)))
            parts.append(tasks[pivot])
            if after:
                parts.append(_decompose(order, deps, tasks, frozenset(after)))
            return _chain(parts)
    # Not series-parallel: run the first level as a whole, then the rest.
    first = frozenset(i for i in members if not deps[i] & ids)
    head = _decompose(order, deps, tasks, first)
    return _chain([head, _decompose(order, deps, tasks, ids - first)])


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


def final_task(plan: RunPlan) -> Task:
    """The task whose success means the run completed."""
    root = compile_plan(plan)
    last = root.parts[-1] if isinstance(root, Chain) else root
    assert isinstance(last, Task)
    return last
