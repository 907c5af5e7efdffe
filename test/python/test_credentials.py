"""Credentials from the environment for Python workers, as the TypeScript clients read them."""

from __future__ import annotations

import ssl
from pathlib import Path

from faultline_runtime.config import Endpoint
from faultline_runtime.credentials import redis_ssl_options, redis_url, temporal_connect_options

SECRET = "p@ss word/with:odd chars"


def test_redis_without_credentials_is_a_plain_url() -> None:
    endpoint = Endpoint("127.0.0.1", 4000)
    assert redis_url(endpoint, {"FAULTLINE_REDIS_PASSWORD": SECRET}) == "redis://127.0.0.1:4000/0"
    assert redis_ssl_options(endpoint) is None


def test_redis_with_auth_and_tls_quotes_the_password_and_verifies_the_servers_own_name() -> None:
    endpoint = Endpoint(
        "127.0.0.1", 4000, {"credentials": "env", "tls": "on", "tlsServerName": "redis.staging"}
    )
    env = {"FAULTLINE_REDIS_PASSWORD": SECRET, "FAULTLINE_REDIS_TLS_CA_FILE": "/ca.pem"}
    assert redis_url(endpoint, env) == "rediss://:p%40ss%20word%2Fwith%3Aodd%20chars@127.0.0.1:4000/0"
    assert redis_ssl_options(endpoint, env) == {
        "ssl_cert_reqs": ssl.CERT_REQUIRED,
        "ssl_ca_certs": "/ca.pem",
        "ssl_check_hostname": True,
        "ssl_server_hostname": "redis.staging",
    }


def test_temporal_api_key_with_tls_off_and_mtls_from_key_files(tmp_path: Path) -> None:
    env = {"FAULTLINE_TEMPORAL_API_KEY": "key-1"}
    dev = Endpoint("127.0.0.1", 7233, {"credentials": "env", "tls": "off"})
    assert temporal_connect_options(dev, env) == {
        "target_host": "127.0.0.1:7233",
        "api_key": "key-1",
        "tls": False,
    }
    (tmp_path / "c.pem").write_bytes(b"CERT")
    (tmp_path / "k.pem").write_bytes(b"KEY")
    cloud = Endpoint(
        "127.0.0.1", 7233, {"credentials": "env", "tls": "on", "tlsServerName": "ns.tmprl.cloud"}
    )
    mtls_env = {
        "FAULTLINE_TEMPORAL_TLS_CERT_FILE": str(tmp_path / "c.pem"),
        "FAULTLINE_TEMPORAL_TLS_KEY_FILE": str(tmp_path / "k.pem"),
    }
    assert temporal_connect_options(cloud, mtls_env) == {
        "target_host": "127.0.0.1:7233",
        "tls": {"domain": "ns.tmprl.cloud", "client_cert": b"CERT", "client_private_key": b"KEY"},
    }
    # Without `credentials: env` (the local provider), a variable left in the shell is not used.
    assert temporal_connect_options(Endpoint("127.0.0.1", 7233), env) == {"target_host": "127.0.0.1:7233"}
