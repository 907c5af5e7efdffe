"""The bare-script protocol's Python side reads what the bench writes (scenarios/bare-protocol.ts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faultline_runtime.bare_protocol import (
    BARE_CONFIG_ENV,
    BARE_PROTOCOL_VERSION,
    read_bare_config,
    report_result,
)


def write_config(tmp_path: Path, protocol: int) -> dict[str, str]:
    config = {
        "protocol": protocol,
        "role": "producer",
        "runs": 7,
        "concurrency": 3,
        "knobs": {"pool": "prefork"},
        "services": {"redis": {"host": "127.0.0.1", "port": 6390}},
        "name": "bench-celery-1",
        "signalPath": str(tmp_path / "producer.result.json"),
    }
    path = tmp_path / "producer.json"
    path.write_text(json.dumps(config))
    return {BARE_CONFIG_ENV: str(path)}


def test_reads_the_config_and_writes_the_result_the_bench_parses(tmp_path: Path) -> None:
    config = read_bare_config(write_config(tmp_path, BARE_PROTOCOL_VERSION))
    assert (config.runs, config.concurrency, config.name) == (7, 3, "bench-celery-1")
    assert (config.services["redis"].host, config.services["redis"].port) == ("127.0.0.1", 6390)
    report_result(config, 7, 1.5)
    assert json.loads((tmp_path / "producer.result.json").read_text()) == {"completed": 7, "seconds": 1.5}


def test_refuses_another_protocol_version_and_a_missing_variable(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="protocol 2"):
        read_bare_config(write_config(tmp_path, 2))
    with pytest.raises(ValueError, match=BARE_CONFIG_ENV):
        read_bare_config({})
