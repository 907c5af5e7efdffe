"""A run's canvas (canvas.py) as Celery signatures, ready for `apply_async`: what the
submitter sends. Every task has a task id derived from its run and step (keys.py) and
carries the run's errback (`link_error`), so whatever fails for good reaches the saga.
Signatures are immutable (`si`): a step needs its run and step, not its parent's result.
"""

from __future__ import annotations

from collections.abc import Sequence

from celery import Celery, chain, chord, group
from celery.canvas import Signature

from faultline_celery.canvas import Chain, Group, Node, Task
from faultline_celery.keys import APPROVAL_TASK, JOIN_TASK, RUN_FAILED_TASK, STEP_TASK, task_id

_TASK_NAMES = {"step": STEP_TASK, "approval": APPROVAL_TASK, "join": JOIN_TASK}


class RunCanvas:
    """Builds one run's signatures by task name (the submitter registers no task code)."""

    def __init__(self, app: Celery, run_id: str) -> None:
        self.app = app
        self.run_id = run_id
        # Mutable: Celery calls it with the failed task's id first, then the run id.
        self.errback = app.signature(RUN_FAILED_TASK, args=(run_id,))

    def signature(self, root: Node) -> Signature:
        return self._node(root)

    def _task(self, task: Task) -> Signature:
        args: tuple[object, ...] = () if task.role == "join" else (self.run_id, task.step_id)
        sig = self.app.signature(_TASK_NAMES[task.role], args=args, immutable=True)
        sig.set(task_id=task_id(self.run_id, task))
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
