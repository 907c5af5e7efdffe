"""What a worker process receives: the worker config the harness writes as JSON to a
file, whose path it passes in FAULTLINE_WORKER_CONFIG_FILE.

A file rather than an environment variable: a scenario with its knobs and failpoints can
outgrow what an environment comfortably holds, and a file can be read again by hand.
Unknown keys are an error: a field this worker does not know means the harness speaks a
newer protocol than the worker, and guessing would make the worker wrong in silence.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from faultline_runtime.failpoints import FailpointSpec, parse_failpoint_spec
from faultline_runtime.model import Scenario, parse_scenario

CONFIG_ENV = "FAULTLINE_WORKER_CONFIG_FILE"
PROTOCOL = 1
"""The worker protocol version this package speaks."""


class ConfigError(ValueError):
    """The worker config is missing, unreadable or of the wrong shape (exit code 2)."""


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    options: Mapping[str, object] = field(default_factory=dict)
    """Link-specific settings, e.g. a Temporal namespace."""


@dataclass(frozen=True)
class WorkerConfig:
    worker_id: str
    role: str
    cell: str
    adapter: str
    scenario: Scenario
    endpoints: Mapping[str, Endpoint]
    """By link name; `world` is always there. Reached through Toxiproxy, so faults hit them."""
    history_path: str
    """This worker's own history file."""
    idempotent_effects: bool
    """Effects carry the key `{run_id}:{step_id}`, so the world applies each at most once."""
    run_dir: str
    knobs: Mapping[str, object] = field(default_factory=dict)
    prepared: object = None
    """Whatever the adapter's prepare step produced for the whole experiment."""
    failpoints: tuple[FailpointSpec, ...] = ()
    traces_path: str | None = None
    """Where this worker writes the spans it ends (OpenTelemetry, core/traces.ts); None when
    the run is not traced."""
    protocol: int = PROTOCOL
    scenario_version: int | None = None
    """Cells with a deploy: the version of `scenario` this worker runs (1 before the deploy)."""
    scenario_versions: tuple[tuple[int, Scenario], ...] = ()
    """Cells with a deploy: every version of the scenario up to this worker's, oldest first,
    so a versioning remedy can keep running the steps of runs started on an older version."""

    @property
    def world(self) -> Endpoint:
        return self.endpoints["world"]


_REQUIRED = {
    "protocol",
    "workerId",
    "role",
    "cell",
    "adapter",
    "scenario",
    "endpoints",
    "historyPath",
    "idempotentEffects",
    "runDir",
}
_OPTIONAL = {"knobs", "prepared", "failpoints", "traces", "scenarioVersion", "scenarioVersions"}


def _text(data: Mapping[str, object], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}.{key}: expected a non-empty string, got {value!r}")
    return value


def _endpoint(data: object, where: str) -> Endpoint:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected an object with host and port")
    unknown = set(data) - {"host", "port", "options"}
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r} (known: host, port, options)")
    port = data.get("port")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"{where}.port: expected a port number, got {port!r}")
    options = data.get("options", {})
    if not isinstance(options, Mapping):
        raise ConfigError(f"{where}.options: expected an object")
    return Endpoint(host=_text(data, "host", where), port=port, options=dict(options))


def parse_worker_config(data: object, source: str = "worker config") -> WorkerConfig:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a JSON object")
    for key in data:
        if key not in _REQUIRED and key not in _OPTIONAL:
            raise ConfigError(f"{source}: unknown key {key!r}")
    for key in sorted(_REQUIRED):
        if key not in data:
            raise ConfigError(f"{source}: missing {key!r}")
    if data["protocol"] != PROTOCOL:
        raise ConfigError(
            f"{source}.protocol: this worker speaks protocol {PROTOCOL},"
            f" the harness sent {data['protocol']!r}"
        )
    endpoints_data = data["endpoints"]
    if not isinstance(endpoints_data, Mapping) or "world" not in endpoints_data:
        raise ConfigError(f"{source}.endpoints: expected an object with at least `world`")
    endpoints = {
        name: _endpoint(value, f"{source}.endpoints.{name}") for name, value in endpoints_data.items()
    }
    idempotent = data["idempotentEffects"]
    if not isinstance(idempotent, bool):
        raise ConfigError(f"{source}.idempotentEffects: expected true or false, got {idempotent!r}")
    knobs = data.get("knobs", {})
    if not isinstance(knobs, Mapping):
        raise ConfigError(f"{source}.knobs: expected an object")
    failpoints_data = data.get("failpoints") or []
    if not isinstance(failpoints_data, list):
        raise ConfigError(f"{source}.failpoints: expected an array")
    try:
        scenario = parse_scenario(data["scenario"], f"{source}.scenario")
        scenario_version, scenario_versions = _versions(data, source)
        failpoints = tuple(
            parse_failpoint_spec(spec, f"{source}.failpoints[{i}]") for i, spec in enumerate(failpoints_data)
        )
    except ValueError as error:  # ScenarioShapeError among them
        raise ConfigError(str(error)) from error
    traces = data.get("traces")
    if traces is not None and not (isinstance(traces, Mapping) and isinstance(traces.get("path"), str)):
        raise ConfigError(f"{source}.traces: expected null or an object with a path, got {traces!r}")
    return WorkerConfig(
        protocol=PROTOCOL,
        worker_id=_text(data, "workerId", source),
        role=_text(data, "role", source),
        cell=_text(data, "cell", source),
        adapter=_text(data, "adapter", source),
        scenario=scenario,
        endpoints=endpoints,
        history_path=_text(data, "historyPath", source),
        idempotent_effects=idempotent,
        run_dir=_text(data, "runDir", source),
        knobs=dict(knobs),
        prepared=data.get("prepared"),
        failpoints=failpoints,
        scenario_version=scenario_version,
        scenario_versions=scenario_versions,
        traces_path=None if traces is None else str(traces["path"]),
    )


def _versions(data: Mapping[str, object], source: str) -> tuple[int | None, tuple[tuple[int, Scenario], ...]]:
    """`scenarioVersion` and `scenarioVersions`, present together in cells with a deploy."""
    version = data.get("scenarioVersion")
    if version is None:
        return None, ()
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ConfigError(f"{source}.scenarioVersion: expected a positive integer, got {version!r}")
    entries = data.get("scenarioVersions", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{source}.scenarioVersions: expected an array")
    versions: list[tuple[int, Scenario]] = []
    for i, entry in enumerate(entries):
        where = f"{source}.scenarioVersions[{i}]"
        if not isinstance(entry, Mapping) or set(entry) != {"version", "scenario"}:
            raise ConfigError(f"{where}: expected an object with version and scenario")
        number = entry["version"]
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= version:
            raise ConfigError(f"{where}.version: expected an integer from 1 to {version}, got {number!r}")
        versions.append((number, parse_scenario(entry["scenario"], f"{where}.scenario")))
    return version, tuple(versions)


def load_worker_config(path: str | None = None) -> WorkerConfig:
    """Reads the config from `path`, or from the file FAULTLINE_WORKER_CONFIG_FILE names."""
    if path is None:
        path = os.environ.get(CONFIG_ENV)
        if not path:
            raise ConfigError(f"{CONFIG_ENV} is not set; workers are started by the harness's supervisor")
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the worker config ({error.strerror})") from error
    except ValueError as error:
        raise ConfigError(f"{path}: not valid JSON ({error})") from error
    return parse_worker_config(data, path)
