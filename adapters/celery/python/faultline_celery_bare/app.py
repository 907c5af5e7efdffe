"""The bare Celery app: the broker and result backend on the bench's Redis, and the
delivery settings the adapter's knobs give its cells (the same Celery names), so the bare
worker and the Faultline cell differ only in what Faultline adds."""

from __future__ import annotations

from typing import Any

from celery import Celery

from faultline_runtime.bare_protocol import BareConfig

NOOP_TASK = "bare.noop"


def bare_app(config: BareConfig) -> Celery:
    redis = config.services["redis"]
    url = f"redis://{redis.host}:{redis.port}/0"
    knobs = config.knobs
    app = Celery(config.name, broker=url, backend=url, set_as_current=False)
    settings: dict[str, Any] = {
        "task_default_queue": config.name,
        "broker_transport_options": {
            **knobs.get("broker_transport_options", {}),
            "visibility_timeout": knobs["visibility_timeout"],
        },
        "task_acks_late": knobs["acks_late"],
        "task_reject_on_worker_lost": knobs["task_reject_on_worker_lost"],
        "worker_prefetch_multiplier": knobs["worker_prefetch_multiplier"],
        "worker_concurrency": config.concurrency,
        "worker_pool": knobs["pool"],
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        **knobs.get("settings", {}),
    }
    app.conf.update(settings)
    return app
