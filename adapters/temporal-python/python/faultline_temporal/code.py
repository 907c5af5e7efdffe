"""What this worker process and its workflows tell each other outside the workflow input:
the Python side of the TypeScript worker's bundle global (WORKFLOW_CODE_GLOBAL) and of its
`faultline.run` sink. The workflow module imports this one passed through the sandbox, so
both see the same module state.

- The worker's workflow code (`deploy`): the plan of the scenario version it was started
  with. A deploy starts workers with another, so runs in flight replay their history with
  changed code, which is where non-determinism errors come from.
- Which Temporal run is which of our runs (`note_run`, also during replays): core's
  non-determinism errors name the Temporal run only.
"""

from __future__ import annotations

from faultline_temporal.protocol import WorkflowCode

_code: WorkflowCode | None = None
_runs: dict[str, str] = {}


def deploy(code: WorkflowCode | None) -> None:
    """Sets the workflow code of this process (once, before the worker polls)."""
    global _code
    _code = code


def current() -> WorkflowCode | None:
    return _code


def note_run(temporal_run_id: str, run_id: str) -> None:
    _runs[temporal_run_id] = run_id


def run_of(temporal_run_id: str) -> str | None:
    return _runs.get(temporal_run_id)
