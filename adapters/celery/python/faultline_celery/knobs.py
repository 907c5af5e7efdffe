"""The Celery adapter's knobs as the worker and the submitter receive them.

The harness parses the knobs (adapters/celery/knobs.ts: names, types, Celery's own
defaults) and hands every one of them over, defaults filled in; this module turns that JSON
into a typed value and checks again, against the installed celery and kombu, that every
setting and transport option passed through exists. A name that does not is a KnobError:
one line naming it and the valid names, exit code 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

from faultline_celery.names import (
    KNOB_SETTINGS,
    WIRED_SETTINGS,
    WIRED_TRANSPORT_OPTIONS,
    setting_names,
    transport_option_names,
)

Pool = Literal["prefork", "threads"]
POOLS: tuple[Pool, ...] = ("prefork", "threads")

AUTORETRY_ERRORS = ("TransientStepError", "PermanentStepError", "Exception")
"""What `autoretry_for` may name: the runtime's two step errors, or any Exception."""


class KnobError(ValueError):
    """A knob the worker cannot use (exit code 2)."""


@dataclass(frozen=True)
class CeleryKnobs:
    concurrency: int
    pool: Pool
    acks_late: bool
    task_reject_on_worker_lost: bool
    worker_prefetch_multiplier: int
    autoretry_for: tuple[str, ...]
    max_retries: int | None
    """None: retry for ever (Celery's meaning)."""
    retry_backoff: bool | int
    """False: a retry waits default_retry_delay; True or N: exponential backoff with factor 1 or N s."""
    retry_backoff_max: int
    retry_jitter: bool
    default_retry_delay: float
    visibility_timeout: float
    """Seconds, as kombu takes it."""
    without_mingle: bool
    without_gossip: bool
    without_heartbeat: bool
    idempotency_keys: bool
    resume_from_checkpoint: bool
    approval_recheck_ms: float
    """How often a waiting approval task re-checks for the decision (a countdown retry)."""
    versioning: str
    """`versioned-tasks`: every task carries the version of the code that built its canvas."""
    settings: Mapping[str, object]
    broker_transport_options: Mapping[str, object]


_FIELDS = {
    "concurrency": "concurrency",
    "pool": "pool",
    "acks_late": "acks_late",
    "task_reject_on_worker_lost": "task_reject_on_worker_lost",
    "worker_prefetch_multiplier": "worker_prefetch_multiplier",
    "autoretry_for": "autoretry_for",
    "max_retries": "max_retries",
    "retry_backoff": "retry_backoff",
    "retry_backoff_max": "retry_backoff_max",
    "retry_jitter": "retry_jitter",
    "default_retry_delay": "default_retry_delay",
    "visibility_timeout": "visibility_timeout",
    "without_mingle": "without_mingle",
    "without_gossip": "without_gossip",
    "without_heartbeat": "without_heartbeat",
    "idempotencyKeys": "idempotency_keys",
    "resumeFromCheckpoint": "resume_from_checkpoint",
    "approvalRecheckMs": "approval_recheck_ms",
    "versioning": "versioning",
    "settings": "settings",
    "broker_transport_options": "broker_transport_options",
}
"""Knob name (as in the experiment) -> field name."""

KNOB_NAMES = tuple(_FIELDS)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: object, name: str, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise KnobError(f"knobs.{name}: expected a number >= {minimum}, got {value!r}")
    return float(value)


def _integer(value: object, name: str, minimum: int) -> int:
    if not _is_int(value) or cast(int, value) < minimum:
        raise KnobError(f"knobs.{name}: expected an integer >= {minimum}, got {value!r}")
    return cast(int, value)


def _boolean(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise KnobError(f"knobs.{name}: expected true or false, got {value!r}")
    return value


def _names_in(value: object, name: str, valid: list[str], wired: Mapping[str, str]) -> dict[str, object]:
    if not isinstance(value, Mapping):
        raise KnobError(f"knobs.{name}: expected an object of names and values")
    for key in value:
        if key in wired:
            raise KnobError(f"knobs.{name}.{key}: not settable here: {wired[key]}")
        if key not in valid:
            raise KnobError(f"knobs.{name}.{key}: unknown name; valid names: {', '.join(valid)}")
    return dict(value)


VERSIONING = ("none", "versioned-tasks")


def _versioning(value: object) -> str:
    if value not in VERSIONING:
        raise KnobError(f"knobs.versioning: expected one of {', '.join(VERSIONING)}, got {value!r}")
    return str(value)


def parse_knobs(data: Mapping[str, object]) -> CeleryKnobs:
    unknown = [key for key in data if key not in _FIELDS]
    if unknown:
        raise KnobError(f"knobs.{unknown[0]}: unknown knob; known: {', '.join(KNOB_NAMES)}")
    missing = [key for key in KNOB_NAMES if key not in data]
    if missing:
        raise KnobError(
            f"knobs.{missing[0]}: missing (the harness hands over every knob, defaults filled in)"
        )
    pool = data["pool"]
    if pool not in POOLS:
        raise KnobError(f"knobs.pool: expected one of {', '.join(POOLS)}, got {pool!r}")
    autoretry = data["autoretry_for"]
    if not isinstance(autoretry, list) or any(name not in AUTORETRY_ERRORS for name in autoretry):
        raise KnobError(
            f"knobs.autoretry_for: expected a list of {', '.join(AUTORETRY_ERRORS)}, got {autoretry!r}"
        )
    max_retries = data["max_retries"]
    backoff = data["retry_backoff"]
    if not isinstance(backoff, bool) and not (_is_int(backoff) and cast(int, backoff) > 0):
        raise KnobError(f"knobs.retry_backoff: expected true, false or a positive integer, got {backoff!r}")
    settings_wired = {**WIRED_SETTINGS, **{k: f"it is the knob {v}" for k, v in KNOB_SETTINGS.items()}}
    return CeleryKnobs(
        concurrency=_integer(data["concurrency"], "concurrency", 1),
        pool=pool,
        acks_late=_boolean(data["acks_late"], "acks_late"),
        task_reject_on_worker_lost=_boolean(data["task_reject_on_worker_lost"], "task_reject_on_worker_lost"),
        worker_prefetch_multiplier=_integer(
            data["worker_prefetch_multiplier"], "worker_prefetch_multiplier", 0
        ),
        autoretry_for=tuple(cast(list[str], autoretry)),
        max_retries=None if max_retries is None else _integer(max_retries, "max_retries", 0),
        retry_backoff=cast(bool | int, backoff),
        retry_backoff_max=_integer(data["retry_backoff_max"], "retry_backoff_max", 1),
        retry_jitter=_boolean(data["retry_jitter"], "retry_jitter"),
        default_retry_delay=_number(data["default_retry_delay"], "default_retry_delay", 0),
        visibility_timeout=_number(data["visibility_timeout"], "visibility_timeout", 0),
        without_mingle=_boolean(data["without_mingle"], "without_mingle"),
        without_gossip=_boolean(data["without_gossip"], "without_gossip"),
        without_heartbeat=_boolean(data["without_heartbeat"], "without_heartbeat"),
        idempotency_keys=_boolean(data["idempotencyKeys"], "idempotencyKeys"),
        resume_from_checkpoint=_boolean(data["resumeFromCheckpoint"], "resumeFromCheckpoint"),
        approval_recheck_ms=_number(data["approvalRecheckMs"], "approvalRecheckMs", 1),
        versioning=_versioning(data["versioning"]),
        settings=_names_in(data["settings"], "settings", setting_names(), settings_wired),
        broker_transport_options=_names_in(
            data["broker_transport_options"],
            "broker_transport_options",
            transport_option_names(),
            WIRED_TRANSPORT_OPTIONS,
        ),
    )
