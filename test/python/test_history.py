"""The history file: one compact JSON line per event, one write(2) each."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from faultline_runtime.history import HistoryWriter, now_ms
from support import REPO_ROOT


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_appends_compact_lines_with_t_last_in_epoch_ms(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "history.d" / "w.jsonl"  # folders are created
    writer = HistoryWriter(path)
    before = time.time() * 1000
    stamped = writer.append({"type": "attempt", "cell": "c", "runId": "r-ß", "attempt": 1, "workMs": 3.0})
    after = time.time() * 1000
    writer.close()
    [line] = _lines(path)
    assert line.startswith('{"type":"attempt","cell":"c","runId":"r-ß","attempt":1,"workMs":3,"t":')
    event = json.loads(line)
    assert list(event)[-1] == "t"
    assert before - 1 <= event["t"] <= after + 1
    assert event["t"] == stamped["t"]


def test_now_ms_has_a_sub_millisecond_fraction() -> None:
    samples = {now_ms() % 1 for _ in range(50)}
    assert any(fraction != 0 for fraction in samples)


def test_write_keeps_the_callers_t_and_appends_to_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text('{"type":"submit"}\n', encoding="utf-8")
    writer = HistoryWriter(path)
    writer.write({"type": "run-done", "cell": "c", "t": 12.5})
    writer.close()
    assert _lines(path) == ['{"type":"submit"}', '{"type":"run-done","cell":"c","t":12.5}']
    with pytest.raises(ValueError, match="closed"):
        writer.append({"type": "x"})


def test_lines_of_many_threads_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    writer = HistoryWriter(path)
    padding = "x" * 3000  # long lines: an interleaving would show

    def write(n: int) -> None:
        for i in range(200):
            writer.append({"type": "attempt", "thread": n, "i": i, "pad": padding})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = [json.loads(line) for line in _lines(path)]
    assert len(events) == 8 * 200
    for n in range(8):
        assert [e["i"] for e in events if e["thread"] == n] == list(range(200))


def test_a_line_written_survives_a_sigkill_right_after(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    script = (
        "import os, signal, sys\n"
        "from faultline_runtime.history import HistoryWriter\n"
        "HistoryWriter(sys.argv[1]).append({'type': 'fault-start', 'cell': 'c'})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "scenarios" / "python")}
    done = subprocess.run([sys.executable, "-c", script, str(path)], env=env, check=False, timeout=30)
    assert done.returncode == -signal.SIGKILL
    [line] = _lines(path)
    assert json.loads(line)["type"] == "fault-start"


def test_a_new_writer_cuts_off_the_partial_line_a_killed_writer_left(tmp_path: Path) -> None:
    path = tmp_path / "w.jsonl"
    path.write_text('{"type":"worker-start","t":1}\n{"type":"attem', encoding="utf-8")
    writer = HistoryWriter(path)
    writer.write({"type": "worker-start", "t": 2})
    writer.close()
    assert _lines(path) == ['{"type":"worker-start","t":1}', '{"type":"worker-start","t":2}']


def test_a_new_writer_keeps_whole_lines_and_empty_files(tmp_path: Path) -> None:
    whole = tmp_path / "whole.jsonl"
    whole.write_text('{"t":1}\n', encoding="utf-8")
    HistoryWriter(whole).close()
    assert whole.read_text(encoding="utf-8") == '{"t":1}\n'
    torn_only = tmp_path / "torn.jsonl"
    torn_only.write_text('{"type":"att', encoding="utf-8")
    HistoryWriter(torn_only).close()
    assert torn_only.read_text(encoding="utf-8") == ""
