"""The worker's own check of the knobs, against the installed celery and kombu."""

from __future__ import annotations

import json

import pytest

from celery_support import knobs
from faultline_celery.app import celery_config
from faultline_celery.keys import key_prefix, queue_name
from faultline_celery.knobs import KnobError, parse_knobs
from faultline_celery.names import NAMES_FILE, names_json, setting_names, transport_option_names


def test_the_defaults_parse() -> None:
    parsed = parse_knobs(knobs())
    assert parsed.pool == "prefork"
    assert parsed.acks_late is False
    assert parsed.max_retries == 3
    assert parsed.visibility_timeout == 3600


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"settings": {"task_acks_lat": True}},
            r"knobs\.settings\.task_acks_lat: unknown name; valid names: .*task_acks_on_failure",
        ),
        ({"settings": {"broker_url": "redis://x"}}, r"knobs\.settings\.broker_url: not settable here"),
        (
            {"settings": {"task_acks_late": True}},
            r"knobs\.settings\.task_acks_late: .*it is the knob acks_late",
        ),
        (
            {"broker_transport_options": {"visiblity_timeout": 1}},
            r"visiblity_timeout: unknown name; valid names: .*unacked_restore_interval",
        ),
        ({"broker_transport_options": {"global_keyprefix": "x"}}, r"global_keyprefix: not settable here"),
        ({"pool": "gevent"}, r"knobs\.pool: expected one of prefork, threads"),
        ({"autoretry_for": ["ValueError"]}, r"knobs\.autoretry_for"),
        ({"retry_backoff": 0}, r"knobs\.retry_backoff"),
        ({"concurrency": 0}, r"knobs\.concurrency"),
    ],
)
def test_a_bad_knob_is_named(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(KnobError, match=message):
        parse_knobs(knobs(**overrides))


def test_an_unknown_or_missing_knob_is_named() -> None:
    with pytest.raises(KnobError, match=r"knobs\.lockDuration: unknown knob; known: concurrency"):
        parse_knobs(knobs(lockDuration=1))
    missing = knobs()
    del missing["visibility_timeout"]
    with pytest.raises(KnobError, match=r"knobs\.visibility_timeout: missing"):
        parse_knobs(missing)


def test_the_names_file_the_harness_validates_with_is_current() -> None:
    # Regenerate: python -m faultline_celery.names --write
    assert NAMES_FILE.read_text(encoding="utf-8") == names_json()
    document = json.loads(names_json())
    assert "task_time_limit" in document["settings"]
    assert "unacked_restore_interval" in document["brokerTransportOptions"]
    assert "task_acks_late" not in setting_names()
    assert "visibility_timeout" not in transport_option_names()


def test_the_app_config_gives_each_cell_its_queue_and_key_prefix() -> None:
    parsed = parse_knobs(
        knobs(
            acks_late=True,
            visibility_timeout=5,
            broker_transport_options={"unacked_restore_interval": 1},
            settings={"task_time_limit": 30},
        )
    )
    config = celery_config("rag-ingest/celery/none", parsed)
    assert (
        config["task_default_queue"]
        == queue_name("rag-ingest/celery/none")
        == "faultline.rag-ingest_celery_none"
    )
    assert config["broker_transport_options"] == {
        "unacked_restore_interval": 1,
        "visibility_timeout": 5,
        "global_keyprefix": key_prefix("rag-ingest/celery/none"),
    }
    assert config["result_backend_transport_options"] == {
        "global_keyprefix": key_prefix("rag-ingest/celery/none")
    }
    assert config["task_acks_late"] is True
    assert config["task_time_limit"] == 30
