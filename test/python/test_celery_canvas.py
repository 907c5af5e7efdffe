"""A run's plan as a Celery canvas: series-parallel shape, cut at approvals."""

from __future__ import annotations

import itertools

import pytest

from celery_support import plan_of, scenario_plan
from faultline_celery.canvas import Chain, Group, Node, Task, compile_plan, final_task
from faultline_runtime.plan import RunPlan

SCENARIOS = [
    "rag-ingest",
    "preprocess-fanout",
    "training-orchestration",
    "approval-decision",
    "agent-coordination",
]


def tasks_in(node: Node) -> list[str]:
    if isinstance(node, Task):
        return [] if node.role == "join" else [node.step_id]
    children = node.parts if isinstance(node, Chain) else node.branches
    return [step for child in children for step in tasks_in(child)]


def ordered_pairs(node: Node) -> set[tuple[str, str]]:
    """(a, b): the canvas runs b only after a finished."""
    if isinstance(node, Task):
        return set()
    if isinstance(node, Group):
        return set().union(*(ordered_pairs(branch) for branch in node.branches))
    pairs: set[tuple[str, str]] = set().union(*(ordered_pairs(part) for part in node.parts))
    for earlier, later in itertools.combinations(node.parts, 2):
        pairs |= {(a, b) for a in tasks_in(earlier) for b in tasks_in(later)}
    return pairs


def assert_faithful(plan: RunPlan, root: Node) -> None:
    # Every step instance once, and every dependency of the plan kept by the canvas.
    assert sorted(tasks_in(root)) == sorted(i.id for i in plan.instances)
    pairs = ordered_pairs(root)
    for instance in plan.instances:
        for dep in instance.depends_on:
            assert (dep, instance.id) in pairs, f"{dep} -> {instance.id}"


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_compiles_to_a_canvas_that_keeps_its_dependencies(name: str) -> None:
    plan = scenario_plan(name)
    assert_faithful(plan, compile_plan(plan))


def test_rag_ingest_is_a_chain_with_a_chord_over_the_chunks() -> None:
    plan = scenario_plan("rag-ingest")
    chunks = next(i.spec.fan_out for i in plan.instances if i.id == "chunk")
    assert compile_plan(plan) == Chain(
        (
            Task("ingest"),
            Task("chunk"),
            Group(tuple(Task(f"embed#{i}") for i in range(chunks or 0))),
            Task("llm-extract"),
            Task("persist"),
            Task("notify"),
        )
    )


def test_per_item_chains_run_as_the_branches_of_one_group() -> None:
    plan = scenario_plan("preprocess-fanout")
    root = compile_plan(plan)
    assert isinstance(root, Chain)
    [group] = [part for part in root.parts if isinstance(part, Group)]
    shards = len([i for i in plan.instances if i.id.startswith("normalize#")])
    assert group.branches == tuple(
        Chain((Task(f"normalize#{i}"), Task(f"tokenize#{i}"))) for i in range(shards)
    )


def test_a_dag_that_is_not_series_parallel_waits_for_whole_levels() -> None:
    # a and b both feed c and d: no step splits the rest into before and after.
    plan = plan_of(
        [
            {"id": "a", "kind": "compute"},
            {"id": "b", "kind": "compute"},
            {"id": "c", "kind": "compute", "dependsOn": ["a", "b"]},
            {"id": "d", "kind": "compute", "dependsOn": ["a", "b"]},
        ]
    )
    root = compile_plan(plan)
    assert root == Chain(
        (Group((Task("a"), Task("b"))), Group((Task("c"), Task("d"))), Task("_join", "join"))
    )
    assert_faithful(plan, root)


def test_an_approval_is_a_task_of_the_canvas_wherever_it_sits() -> None:
    # approval-decision: in the chain; the kitchen sink: in a chord's branch, beside train.
    decision = compile_plan(scenario_plan("approval-decision"))
    assert isinstance(decision, Chain)
    assert Task("approve", "approval") in decision.parts
    sink = plan_of(
        [
            {"id": "split", "kind": "fan-out", "fanOut": 2},
            {"id": "embed", "kind": "llm", "dependsOn": ["split"], "forEach": "split"},
            {"id": "review", "kind": "approval", "dependsOn": ["embed"]},
            {"id": "train", "kind": "compute", "dependsOn": ["split"]},
            {"id": "persist", "kind": "persist", "dependsOn": ["review", "train"]},
        ]
    )
    root = compile_plan(sink)
    assert root == Chain(
        (
            Task("split"),
            Group(
                (
                    Chain((Group((Task("embed#0"), Task("embed#1"))), Task("review", "approval"))),
                    Task("train"),
                )
            ),
            Task("persist"),
        )
    )
    assert_faithful(sink, root)
    assert final_task(sink) == Task("persist")


def test_a_run_ending_in_parallel_branches_ends_with_a_join() -> None:
    plan = plan_of(
        [
            {"id": "split", "kind": "fan-out", "fanOut": 2},
            {"id": "work", "kind": "compute", "dependsOn": ["split"], "forEach": "split"},
        ]
    )
    root = compile_plan(plan)
    assert root == Chain((Task("split"), Group((Task("work#0"), Task("work#1"))), Task("_join", "join")))
    assert final_task(plan) == Task("_join", "join")


def test_a_timer_is_a_task_with_its_delay_in_the_chain_after_the_steps_it_waits_for() -> None:
    plan = scenario_plan("scheduled-followup")
    root = compile_plan(plan)
    assert_faithful(plan, root)
    assert isinstance(root, Chain)
    delay = plan.by_id["wait-follow-up"].spec.delay_ms
    assert root.parts == (
        Task("triage"),
        Task("notify-requester"),
        Task("wait-follow-up", "timer", delay_ms=delay),
        Task("check-status"),
        Task("remind-approver"),
    )


def test_signatures_send_a_timer_with_its_countdown_and_carry_versions_in_the_payload() -> None:
    from celery import Celery

    from faultline_celery.keys import STEP_TASK, TIMER_TASK
    from faultline_celery.signatures import RunCanvas

    app = Celery("canvas-test", set_as_current=False)
    plan = plan_of(
        [
            {"id": "a", "kind": "tool", "inputVersion": 2},
            {"id": "wait", "kind": "timer", "dependsOn": ["a"], "delayMs": 1500},
        ]
    )
    chain = RunCanvas(app, "r1", version=3).signature(compile_plan(plan))
    first, timer = chain.tasks
    assert first.task == STEP_TASK
    assert first.kwargs == {"input_version": 2, "version": 3}
    assert "countdown" not in first.options
    assert timer.task == TIMER_TASK
    assert timer.options["countdown"] == 1.5
    assert timer.kwargs == {"version": 3}
    # Without versioning the payload names no version.
    plain = RunCanvas(app, "r1").signature(compile_plan(plan))
    assert plain.tasks[1].kwargs == {}
