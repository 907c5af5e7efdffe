"""Credentials for servers someone else runs, for Python workers (core/credentials.ts in
TypeScript): read from the worker's environment, never from its config, which says only
that they apply (`credentials: env`), whether TLS is on and the name to verify. The
variable names are the harness's (README, docker-compose.yml)."""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from urllib.parse import quote

from faultline_runtime.config import Endpoint

REDIS_USERNAME = "FAULTLINE_REDIS_USERNAME"
REDIS_PASSWORD = "FAULTLINE_REDIS_PASSWORD"
REDIS_TLS_CA_FILE = "FAULTLINE_REDIS_TLS_CA_FILE"
TEMPORAL_API_KEY = "FAULTLINE_TEMPORAL_API_KEY"
TEMPORAL_TLS_CERT_FILE = "FAULTLINE_TEMPORAL_TLS_CERT_FILE"
TEMPORAL_TLS_KEY_FILE = "FAULTLINE_TEMPORAL_TLS_KEY_FILE"
TEMPORAL_TLS_CA_FILE = "FAULTLINE_TEMPORAL_TLS_CA_FILE"


def _from_env(endpoint: Endpoint) -> bool:
    return endpoint.options.get("credentials") == "env"


def _tls(endpoint: Endpoint) -> object:
    return endpoint.options.get("tls")


def redis_url(endpoint: Endpoint, env: Mapping[str, str] = os.environ, db: int = 0) -> str:
    """A redis:// (or rediss://) URL for kombu/redis-py with the credentials from `env`.
    Keep it in memory: it holds the password."""
    auth = ""
    if _from_env(endpoint) and env.get(REDIS_PASSWORD):
        user = quote(env.get(REDIS_USERNAME, ""), safe="")
        auth = f"{user}:{quote(env[REDIS_PASSWORD], safe='')}@"
    scheme = "rediss" if _tls(endpoint) == "on" else "redis"
    return f"{scheme}://{auth}{endpoint.host}:{endpoint.port}/{db}"


def redis_ssl_options(endpoint: Endpoint, env: Mapping[str, str] = os.environ) -> dict[str, object] | None:
    """Celery's `broker_use_ssl` / redis-py's ssl settings for a TLS endpoint (None without TLS).
    Workers reach the server through a Toxiproxy link on 127.0.0.1, so the certificate is
    checked against the server's own name, which the endpoint carries."""
    if _tls(endpoint) != "on":
        return None
    options: dict[str, object] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    ca = env.get(REDIS_TLS_CA_FILE)
    if ca:
        options["ssl_ca_certs"] = ca
    server_name = endpoint.options.get("tlsServerName")
    if isinstance(server_name, str):
        options["ssl_check_hostname"] = True
        options["ssl_server_hostname"] = server_name
    return options


def temporal_connect_options(endpoint: Endpoint, env: Mapping[str, str] = os.environ) -> dict[str, object]:
    """Keyword arguments for temporalio's `Client.connect`: target, api_key and tls as
    `TLSConfig` fields (bytes), or tls=False. Mirrors temporalConnectionOptions."""
    options: dict[str, object] = {"target_host": f"{endpoint.host}:{endpoint.port}"}
    from_env = _from_env(endpoint)
    if from_env and env.get(TEMPORAL_API_KEY):
        options["api_key"] = env[TEMPORAL_API_KEY]
    if _tls(endpoint) == "off":
        if "api_key" in options:
            options["tls"] = False
        return options
    cert, key = env.get(TEMPORAL_TLS_CERT_FILE), env.get(TEMPORAL_TLS_KEY_FILE)
    client_cert = from_env and bool(cert) and bool(key)
    if _tls(endpoint) == "on" or client_cert or "api_key" in options:
        tls: dict[str, object] = {}
        server_name = endpoint.options.get("tlsServerName")
        if isinstance(server_name, str):
            tls["domain"] = server_name
        ca = env.get(TEMPORAL_TLS_CA_FILE)
        if from_env and ca:
            tls["server_root_ca_cert"] = _read(ca)
        if client_cert and cert and key:
            tls["client_cert"] = _read(cert)
            tls["client_private_key"] = _read(key)
        options["tls"] = tls
    return options


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()
