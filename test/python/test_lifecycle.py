"""Worker lifecycle in real processes: ready, stdin EOF, SIGTERM drains in-flight steps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from faultline_runtime.config import CONFIG_ENV, parse_worker_config
from faultline_runtime.lifecycle import announce_ready, build_worker
from support import REPO_ROOT

ENV = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "scenarios" / "python")}

TRAIN = {
    "name": "slow",
    "description": "one local step long enough to be caught in flight",
    "steps": [{"id": "train", "kind": "compute", "work": {"dist": "constant", "ms": 600}}],
}


def write_config(tmp_path: Path) -> Path:
    config = {
        "protocol": 1,
        "workerId": "py-w1",
        "role": "worker",
        "cell": "c",
        "adapter": "test",
        "scenario": TRAIN,
        "endpoints": {"world": {"host": "127.0.0.1", "port": 9}},  # never reached: compute only
        "historyPath": str(tmp_path / "w.jsonl"),
        "idempotentEffects": False,
        "runDir": str(tmp_path),
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def events(tmp_path: Path) -> list[dict[str, Any]]:
    lines = (tmp_path / "w.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_build_worker_and_announce_ready(tmp_path: Path) -> None:
    config = parse_worker_config(json.loads(write_config(tmp_path).read_text(encoding="utf-8")))
    worker = build_worker(config)
    assert worker.plan.roots == ("train",)
    announce_ready(worker)
    [start] = events(tmp_path)
    assert {k: v for k, v in start.items() if k != "t"} == {
        "type": "worker-start",
        "cell": "c",
        "worker": "py-w1",
        "pid": os.getpid(),
    }


def test_exits_when_stdin_reaches_eof(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import time
        from faultline_runtime.lifecycle import exit_when_stdin_closes
        exit_when_stdin_closes()
        print("ready", flush=True)
        time.sleep(30)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        env=ENV,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    assert proc.stdout.readline() == "ready\n"
    proc.stdin.write("anything the harness might send is ignored\n")
    proc.stdin.flush()
    time.sleep(0.1)
    assert proc.poll() is None
    began = time.monotonic()
    proc.stdin.close()
    assert proc.wait(timeout=10) == 0
    assert proc.stderr is not None
    err = proc.stderr.read()
    assert time.monotonic() - began < 5
    assert "the harness is gone" in err


SIGTERM_WORKER = """
import sys, threading, time
from faultline_runtime.lifecycle import build_worker, load_config_or_exit, on_sigterm
from faultline_runtime.runtime import StepCall

worker = build_worker(load_config_or_exit())
def shutdown():
    print("adapter stops taking steps", flush=True)
    if sys.argv[1] == "broken":
        raise RuntimeError("could not stop")
on_sigterm(worker, shutdown)
threading.Thread(target=worker.runtime.execute, args=(StepCall("r1", "train", 1),)).start()
while worker.runtime.in_flight == 0:
    time.sleep(0.001)
print("in flight", flush=True)
while True:
    time.sleep(1)
"""


def run_sigterm(tmp_path: Path, mode: str) -> tuple[int, str]:
    env = {**ENV, CONFIG_ENV: str(write_config(tmp_path))}
    proc = subprocess.Popen(
        [sys.executable, "-c", SIGTERM_WORKER, mode], env=env, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "in flight\n"
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    return proc.returncode, out


def test_sigterm_finishes_the_step_in_flight_then_exits_0(tmp_path: Path) -> None:
    code, out = run_sigterm(tmp_path, "ok")
    assert code == 0
    assert out == "adapter stops taking steps\n"
    assert [(e["type"], e.get("outcome")) for e in events(tmp_path)] == [
        ("attempt", None),
        ("step-done", "ok"),
    ]


def test_sigterm_exits_1_when_the_adapters_shutdown_fails_still_after_draining(tmp_path: Path) -> None:
    code, _ = run_sigterm(tmp_path, "broken")
    assert code == 1
    assert events(tmp_path)[-1]["type"] == "step-done"
