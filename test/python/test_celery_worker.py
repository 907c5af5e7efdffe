"""The Celery worker process checks its knobs before it connects to anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from celery_support import knobs
from support import REPO_ROOT

ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(
        [str(REPO_ROOT / "adapters" / "celery" / "python"), str(REPO_ROOT / "scenarios" / "python")]
    ),
}


def test_an_unknown_setting_is_exit_2_naming_it_and_the_valid_names(tmp_path: Path) -> None:
    config = {
        "protocol": 1,
        "workerId": "celery-w1",
        "role": "worker",
        "cell": "c",
        "adapter": "celery",
        "scenario": {"name": "one", "description": "one step", "steps": [{"id": "a", "kind": "compute"}]},
        # Port 9 (discard): nothing may be connected to before the knobs are checked.
        "endpoints": {"world": {"host": "127.0.0.1", "port": 9}, "broker": {"host": "127.0.0.1", "port": 9}},
        "historyPath": str(tmp_path / "w.jsonl"),
        "idempotentEffects": False,
        "runDir": str(tmp_path),
        "knobs": knobs(broker_transport_options={"visiblity_timeout": 10}),
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "faultline_celery.worker"],
        env={**ENV, "FAULTLINE_WORKER_CONFIG_FILE": str(path)},
        stdin=subprocess.PIPE,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "knobs.broker_transport_options.visiblity_timeout: unknown name; valid names:" in result.stderr
    assert "unacked_restore_interval" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "w.jsonl").exists()  # not started: no worker-start
