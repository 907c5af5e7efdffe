"""The Celery settings and Redis broker transport options a user may pass through, as the
installed celery and kombu define them.

The harness validates knob names before anything starts, from `adapters/celery/names.json`,
which `python -m faultline_celery.names --write` generates from the libraries themselves (a
test keeps it current); the worker checks again at start-up against the live libraries, so
a version bump can never make a misspelt name pass silently.

    python -m faultline_celery.names           # prints the JSON
    python -m faultline_celery.names --write   # writes adapters/celery/names.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import celery
import kombu
from celery.app.defaults import DEFAULTS
from kombu.transport.redis import Channel

NAMES_FILE = Path(__file__).resolve().parents[2] / "names.json"

# The adapter's own wiring: a run of Faultline needs these as they are (its broker, its
# result backend, one queue and one key prefix per cell). Setting them would break the
# harness, not configure Celery, so they are refused with this reason.
WIRED_SETTINGS: dict[str, str] = {
    "broker_url": "the adapter connects each worker to its broker link",
    "broker_read_url": "the adapter connects each worker to its broker link",
    "broker_write_url": "the adapter connects each worker to its broker link",
    "result_backend": "the adapter uses the same Redis as result backend",
    "broker_transport_options": "give its entries in the knob broker_transport_options",
    "result_backend_transport_options": "the adapter sets a key prefix per cell",
    "task_default_queue": "the adapter gives each cell its own queue",
    "task_queues": "the adapter gives each cell its own queue",
    "task_routes": "the adapter gives each cell its own queue",
    "task_always_eager": "tasks would run in the submitter, not in the workers",
    "imports": "the adapter registers its tasks itself",
    "include": "the adapter registers its tasks itself",
}

# Settings that have a knob of their own (its name on the right): one place per value.
KNOB_SETTINGS: dict[str, str] = {
    "worker_concurrency": "concurrency",
    "worker_pool": "pool",
    "task_acks_late": "acks_late",
    "task_reject_on_worker_lost": "task_reject_on_worker_lost",
    "worker_prefetch_multiplier": "worker_prefetch_multiplier",
}

# Transport options read outside the Redis channel's `from_transport_options`: by the
# Redis transport's event loop (kombu/transport/redis.py register_with_event_loop), the
# virtual transport (polling_interval) and kombu.Connection's failover settings
# (_extract_failover_opts; its errback and callback take functions, which JSON cannot give).
EXTRA_TRANSPORT_OPTIONS: tuple[str, ...] = (
    "polling_interval",
    "reauth_check_interval",
    "max_retries",
    "interval_start",
    "interval_step",
    "interval_max",
    "connect_retries_timeout",
)

WIRED_TRANSPORT_OPTIONS: dict[str, str] = {
    "global_keyprefix": "the adapter gives each cell its own key prefix",
    "visibility_timeout": "it is the knob visibility_timeout",
}


def setting_names() -> list[str]:
    """Celery settings a user may pass through (`settings` knob)."""
    return sorted(name for name in DEFAULTS if name not in WIRED_SETTINGS and name not in KNOB_SETTINGS)


def transport_option_names() -> list[str]:
    """Redis broker transport options a user may pass through (`broker_transport_options` knob)."""
    known = {*Channel.from_transport_options, *EXTRA_TRANSPORT_OPTIONS}
    return sorted(name for name in known if name not in WIRED_TRANSPORT_OPTIONS)


def names_document() -> dict[str, object]:
    return {
        "generatedBy": "python -m faultline_celery.names --write",
        "celery": celery.__version__,
        "kombu": kombu.__version__,
        "settings": setting_names(),
        "wiredSettings": WIRED_SETTINGS,
        "knobSettings": KNOB_SETTINGS,
        "brokerTransportOptions": transport_option_names(),
        "wiredTransportOptions": WIRED_TRANSPORT_OPTIONS,
    }


def names_json() -> str:
    return json.dumps(names_document(), indent=2) + "\n"


def main(argv: Sequence[str]) -> int:
    if list(argv) == ["--write"]:
        NAMES_FILE.write_text(names_json(), encoding="utf-8")
        return 0
    if argv:
        print("usage: python -m faultline_celery.names [--write]", file=sys.stderr)
        return 2
    sys.stdout.write(names_json())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
