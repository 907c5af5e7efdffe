"""Helpers the Celery adapter's Python tests share: a full knob set at Celery's defaults
(the harness always hands over every knob, defaults filled in) and plans of the shipped
scenarios."""

from __future__ import annotations

import json
from typing import Any

from faultline_runtime.model import parse_scenario
from faultline_runtime.plan import RunPlan, plan_run
from support import REPO_ROOT

CELERY_DEFAULTS: dict[str, Any] = {
    "concurrency": 2,
    "pool": "prefork",
    "acks_late": False,
    "task_reject_on_worker_lost": False,
    "worker_prefetch_multiplier": 4,
    "autoretry_for": ["TransientStepError"],
    "max_retries": 3,
    "retry_backoff": False,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "default_retry_delay": 180,
    "visibility_timeout": 3600,
    "without_mingle": False,
    "without_gossip": False,
    "without_heartbeat": False,
    "idempotencyKeys": False,
    "resumeFromCheckpoint": True,
    "approvalRecheckMs": 200,
    "versioning": "none",
    "settings": {},
    "broker_transport_options": {},
}


def knobs(**overrides: Any) -> dict[str, Any]:
    return {**CELERY_DEFAULTS, **overrides}


def scenario_plan(name: str) -> RunPlan:
    path = REPO_ROOT / "scenarios" / f"{name}.json"
    return plan_run(parse_scenario(json.loads(path.read_text(encoding="utf-8"))))


def plan_of(steps: list[dict[str, Any]], name: str = "test") -> RunPlan:
    return plan_run(parse_scenario({"name": name, "description": "a test scenario", "steps": steps}))
