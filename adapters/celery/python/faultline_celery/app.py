"""The Celery application of one cell, configured from the knobs: what a team writes in its
`celeryconfig`. The workers reach Redis through their Toxiproxy link (`broker`), so network
faults hit them; the submitter reaches it directly, as the harness does.
"""

from __future__ import annotations

from celery import Celery

from faultline_celery.keys import key_prefix, queue_name
from faultline_celery.knobs import CeleryKnobs


def redis_url(host: str, port: int) -> str:
    return f"redis://{host}:{port}/0"


def celery_config(cell: str, knobs: CeleryKnobs) -> dict[str, object]:
    """Every setting the adapter makes, knobs included (pure, for tests and the README)."""
    prefix = key_prefix(cell)
    return {
        # The cell's own queue and key prefix: cells of a matrix share one Redis.
        "task_default_queue": queue_name(cell),
        "broker_transport_options": {
            **knobs.broker_transport_options,
            "visibility_timeout": knobs.visibility_timeout,
            "global_keyprefix": prefix,
        },
        "result_backend_transport_options": {"global_keyprefix": prefix},
        "task_acks_late": knobs.acks_late,
        "task_reject_on_worker_lost": knobs.task_reject_on_worker_lost,
        "worker_prefetch_multiplier": knobs.worker_prefetch_multiplier,
        "worker_concurrency": knobs.concurrency,
        "worker_pool": knobs.pool,
        # A worker restarted while Redis is down keeps trying, as in production.
        "broker_connection_retry_on_startup": True,
        # Faultline's history is the log; Celery's own goes to the worker's log file.
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        **knobs.settings,
    }


def make_app(cell: str, host: str, port: int, knobs: CeleryKnobs) -> Celery:
    url = redis_url(host, port)
    app = Celery(f"faultline-{cell}", broker=url, backend=url, set_as_current=False)
    app.conf.update(celery_config(cell, knobs))
    return app
