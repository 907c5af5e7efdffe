"""Non-determinism errors, as core reports them: the Python side of the TypeScript worker's
ConflictWatchingLogger. Core logs a workflow task it fails ("Failing workflow task", with
the Temporal run id and the failure among the log's fields); forwarded to a Python logger,
every such failure that names a non-determinism reaches `on_conflict` with the Temporal run
id and core's own words. Warnings and errors still print as Temporal's default does.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Mapping

from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

_MESSAGE = re.compile(r'message: "([^"]*)"')


def conflict_of(fields: Mapping[str, object], message: str) -> tuple[str, str] | None:
    """(Temporal run id, detail) when a core log reports a non-determinism error, else None."""
    failure = str(fields.get("failure", "")) or message
    run_id = fields.get("run_id", fields.get("runId"))
    if not isinstance(run_id, str) or not re.search("nondeterminism", failure, re.IGNORECASE):
        return None
    found = _MESSAGE.search(failure)
    return run_id, found.group(1) if found else failure[:300]


class _ConflictHandler(logging.Handler):
    def __init__(self, on_conflict: Callable[[str, str], None]) -> None:
        super().__init__(logging.WARNING)
        self._on_conflict = on_conflict

    def emit(self, record: logging.LogRecord) -> None:
        entry = getattr(record, "temporal_log", None)
        fields = getattr(entry, "fields", None) if entry is not None else None
        found = conflict_of(fields if isinstance(fields, Mapping) else {}, record.getMessage())
        if found is not None:
            self._on_conflict(*found)


def conflict_watching_runtime(on_conflict: Callable[[str, str], None]) -> Runtime:
    """A runtime whose core logs (warnings up) print to stderr and report non-determinism errors."""
    logger = logging.getLogger("faultline_temporal.core")
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    logger.addHandler(logging.StreamHandler(sys.stderr))
    logger.addHandler(_ConflictHandler(on_conflict))
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(
                filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                forwarding=LogForwardingConfig(logger=logger),
            )
        )
    )
