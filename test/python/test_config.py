"""The worker config: what the harness writes, parsed strictly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from faultline_runtime.config import (
    CONFIG_ENV,
    ConfigError,
    Endpoint,
    load_worker_config,
    parse_worker_config,
)
from faultline_runtime.failpoints import FailpointSpec
from faultline_runtime.lifecycle import load_config_or_exit
from support import REPO_ROOT


def config_json(tmp_path: Path, **overrides: object) -> dict[str, Any]:
    scenario = json.loads((REPO_ROOT / "scenarios" / "rag-ingest.json").read_text(encoding="utf-8"))
    data: dict[str, Any] = {
        "protocol": 1,
        "workerId": "celery-w1",
        "role": "worker",
        "cell": "rag-ingest/celery/none",
        "adapter": "celery",
        "scenario": scenario,
        "knobs": {"concurrency": 4},
        "endpoints": {
            "redis": {"host": "127.0.0.1", "port": 6390, "options": {"db": 0}},
            "world": {"host": "127.0.0.1", "port": 4100},
        },
        "historyPath": str(tmp_path / "history.d" / "worker-celery-w1.jsonl"),
        "idempotentEffects": True,
        "prepared": None,
        "failpoints": [
            {"point": "after-effect", "stepId": "persist", "nth": 1, "faultId": "f1", "once": True}
        ],
        "runDir": str(tmp_path),
    }
    data.update(overrides)
    return data


def test_parses_what_the_harness_writes(tmp_path: Path) -> None:
    config = parse_worker_config(config_json(tmp_path))
    assert config.worker_id == "celery-w1"
    assert config.scenario.name == "rag-ingest"
    assert config.world == Endpoint("127.0.0.1", 4100)
    assert config.endpoints["redis"].options == {"db": 0}
    assert config.idempotent_effects is True
    assert config.knobs == {"concurrency": 4}
    assert config.failpoints == (
        FailpointSpec(point="after-effect", step_id="persist", nth=1, fault_id="f1", once=True),
    )


def test_loads_the_file_named_in_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config_json(tmp_path, failpoints=[])), encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV, str(path))
    assert load_worker_config().failpoints == ()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"protocol": 2}, "speaks protocol 1, the harness sent 2"),
        ({"workerModule": "x.ts"}, "unknown key 'workerModule'"),
        ({"endpoints": {"redis": {"host": "h", "port": 1}}}, "at least `world`"),
        ({"endpoints": {"world": {"host": "h", "port": "80"}}}, "endpoints.world.port"),
        ({"idempotentEffects": "yes"}, "idempotentEffects"),
        ({"cell": ""}, "cell"),
        ({"scenario": {"name": "x", "description": "", "steps": [{"id": "a"}]}}, r"scenario.steps\[0\]"),
        ({"failpoints": [{"point": "later"}]}, r"failpoints\[0\].point"),
    ],
)
def test_a_bad_config_fails_loudly_naming_the_field(
    tmp_path: Path, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_worker_config(config_json(tmp_path, **overrides), "config.json")


def test_a_missing_field_is_named(tmp_path: Path) -> None:
    data = config_json(tmp_path)
    del data["historyPath"]
    with pytest.raises(ConfigError, match="missing 'historyPath'"):
        parse_worker_config(data)


def test_a_worker_without_its_config_exits_with_code_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    with pytest.raises(SystemExit) as exited:
        load_config_or_exit()
    assert exited.value.code == 2
    assert f"{CONFIG_ENV} is not set" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(SystemExit):
        load_config_or_exit(str(tmp_path / "bad.json"))
    assert "not valid JSON" in capsys.readouterr().err
