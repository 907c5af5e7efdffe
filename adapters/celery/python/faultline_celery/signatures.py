"""A run's canvas (canvas.py) as Celery signatures, ready for `apply_async`: what the
submitter sends. Every task has a task id derived from its run and step (keys.py) and
carries the run's errback (`link_error`), so whatever fails for good reaches the saga.
Signatures are immutable (`si`): a step needs its run and step, not its parent's result.
A timer's task carries its countdown in its options: Celery turns it into an eta when the
chain or chord sends it, that is once the steps before it are done. The payload carries the
step's input version when its plan gives one, and with knob versioning `versioned-tasks`
the version of the code that built the canvas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from celery import Celery, chain, chord, group
from celery.canvas import Signature

from faultline_celery.canvas import Chain, Group, Node, Task
from faultline_celery.keys import APPROVAL_TASK, JOIN_TASK, RUN_FAILED_TASK, STEP_TASK, TIMER_TASK, task_id

_TASK_NAMES = {"step": STEP_TASK, "approval": APPROVAL_TASK, "timer": TIMER_TASK, "join": JOIN_TASK}

PUBLISHED_TASKS = (*_TASK_NAMES.values(), RUN_FAILED_TASK)
"""Every task a run's canvas names (its errback included): from the roles, so a new one is never left out."""


def _published_only(self: Any, *args: object, **kwargs: object) -> None:
    raise RuntimeError(f"{self.name} runs on a worker; the submitter only publishes it")


def declare_tasks(app: Celery) -> None:
    """The tasks the submitter publishes, declared by name in an app made current, as a
    producer that imports its tasks module has them (their bodies run on the workers only).
    Celery's OpenTelemetry instrumentation looks a published task up by name in the current
    app's registry (`celery.registry.tasks`) to hold its publish span from
    `before_task_publish` to `after_task_publish`; for a task it cannot find it holds
    nothing, and the span ends as soon as the first signal's handler returns, before the
    message is sent. A worker registers the real tasks, and Celery makes its app current
    itself (`setup_worker_optimizations`). Declared traced or not, so what is published does
    not depend on tracing."""
    app.set_current()
    for name in PUBLISHED_TASKS:
        # Not shared: a shared task would be added to every app finalized afterwards.
        app.task(name=name, bind=True, shared=False)(_published_only)


class RunCanvas:
    """Builds one run's signatures by task name (the submitter registers no task code)."""

    def __init__(self, app: Celery, run_id: str, version: int | None = None) -> None:
        self.app = app
        self.run_id = run_id
        self.version = version
        """Knob versioning `versioned-tasks`: the version of the code building the canvas."""
        # Mutable: Celery calls it with the failed task's id first, then the run id.
        self.errback = app.signature(RUN_FAILED_TASK, args=(run_id,))

    def signature(self, root: Node) -> Signature:
        return self._node(root)

    def _task(self, task: Task) -> Signature:
        args: tuple[object, ...] = () if task.role == "join" else (self.run_id, task.step_id)
        kwargs: dict[str, object] = {}
        if task.role != "join":
            if task.input_version is not None:
                kwargs["input_version"] = task.input_version
            if self.version is not None:
                kwargs["version"] = self.version
        sig = self.app.signature(_TASK_NAMES[task.role], args=args, kwargs=kwargs, immutable=True)
        sig.set(task_id=task_id(self.run_id, task))
        if task.delay_ms:
            sig.set(countdown=task.delay_ms / 1000)
        sig.link_error(self.errback)
        return sig

    def _node(self, node: Node) -> Signature:
        if isinstance(node, Task):
            return self._task(node)
        if isinstance(node, Chain):
            return self._sequence(node.parts)
        return group([self._node(branch) for branch in node.branches], app=self.app)

    def _sequence(self, parts: Sequence[Node]) -> Signature:
        sigs: list[Signature] = []
        for at, part in enumerate(parts):
            if isinstance(part, Group) and at < len(parts) - 1:
                # Fan-in: Celery's chord (its counter lives in the Redis result backend),
                # whose body is the rest of the chain.
                header = [self._node(branch) for branch in part.branches]
                sigs.append(chord(header, self._sequence(parts[at + 1 :]), app=self.app))
                break
            sigs.append(self._node(part))
        return sigs[0] if len(sigs) == 1 else chain(*sigs, app=self.app)
