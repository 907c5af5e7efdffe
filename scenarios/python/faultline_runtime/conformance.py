"""The conformance driver: runs a list of step calls through the Python runtime, as a
worker would, so a test can compare its history with the TypeScript reference's.

    FAULTLINE_WORKER_CONFIG_FILE=config.json python -m faultline_runtime.conformance CALLS.json

CALLS.json is `{"lanes": [[call, ...], ...]}`. Lanes run concurrently, one thread each
(as a thread pool would run steps); the calls of a lane run in order. A call is
`{"op": "execute" | "requestApproval" | "completeApproval" | "compensate" | "fireTimer",
"runId", "stepId", "attempt"?, "resumeFromMs"?, "inputVersion"?, "approved"?,
"intendedAt"?}`. Prints `{"lanes": [[result, ...]]}` with, per call, `ok`, `error` (the
step error's class), `items`, and the checkpoints saved and heartbeats sent.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from faultline_runtime.js import stringify
from faultline_runtime.lifecycle import announce_ready, build_worker, load_config_or_exit
from faultline_runtime.runtime import PermanentStepError, StepCall, StepRuntime, TransientStepError


def _run_call(runtime: StepRuntime, call: Mapping[str, object]) -> dict[str, object]:
    op = call.get("op")
    run_id, step_id = str(call["runId"]), str(call["stepId"])
    attempt = call.get("attempt", 1)
    if not isinstance(attempt, int):
        raise ValueError(f"attempt must be an integer: {call}")
    checkpoints: list[float] = []
    heartbeats = 0

    def beat() -> None:
        nonlocal heartbeats
        heartbeats += 1

    input_version = call.get("inputVersion")
    if input_version is not None and not isinstance(input_version, int):
        raise ValueError(f"inputVersion must be an integer: {call}")
    step_call = StepCall(
        run_id=run_id,
        step_id=step_id,
        attempt=attempt,
        heartbeat=beat,
        checkpoint=checkpoints.append,
        resume_from_ms=call.get("resumeFromMs"),
        input_version=input_version,
    )
    result: dict[str, object] = {"ok": True}
    try:
        if op == "execute":
            done = runtime.execute(step_call)
            if done.items is not None:
                result["items"] = done.items
        elif op == "requestApproval":
            runtime.request_approval(step_call)
        elif op == "completeApproval":
            runtime.complete_approval(step_call, call.get("approved") is True)
        elif op == "compensate":
            runtime.compensate(run_id, step_id)
        elif op == "fireTimer":
            intended_at = call.get("intendedAt")
            if isinstance(intended_at, bool) or not isinstance(intended_at, int | float):
                raise ValueError(f"intendedAt must be a number: {call}")
            runtime.fire_timer(step_call, intended_at)
        else:
            raise ValueError(f"unknown op {op!r}")
    except (TransientStepError, PermanentStepError) as error:
        result = {"ok": False, "error": type(error).__name__}
    result["checkpoints"] = checkpoints
    result["heartbeats"] = heartbeats
    return result


def _run_lane(runtime: StepRuntime, lane: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    return [_run_call(runtime, call) for call in lane]


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m faultline_runtime.conformance CALLS.json", file=sys.stderr)
        return 2
    config = load_config_or_exit()
    with open(argv[0], encoding="utf-8") as file:
        lanes = json.load(file)["lanes"]
    worker = build_worker(config)
    announce_ready(worker)
    with ThreadPoolExecutor(max_workers=max(1, len(lanes))) as pool:
        results = list(pool.map(lambda lane: _run_lane(worker.runtime, lane), lanes))
    sys.stdout.write(stringify({"lanes": results}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
