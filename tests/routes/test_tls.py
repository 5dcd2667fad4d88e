"""The client's TLS context: httpx's own choice of certificates, made without httpx so
that a build can make it in a worker thread (`RouteSet.start_tls`)."""

from __future__ import annotations

import asyncio
import ssl
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from assetgen.errors import EXIT_USAGE, ConfigError
from assetgen.routes.base import RouteContext, RouteSet
from assetgen.routes.tls import client_verify, tls_context


@pytest.mark.parametrize("environment", [
    {"SSL_CERT_FILE": "/etc/bundle.pem", "SSL_CERT_DIR": "/etc/certs"},
    {"SSL_CERT_DIR": "/etc/certs"},
    {},
], ids=["file", "folder", "certifi"])
def test_certificates_are_looked_for_where_httpx_looks(
        monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> None:
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    asked: list[dict[str, Any]] = []

    def recording(**kwargs: Any) -> ssl.SSLContext:
        asked.append(kwargs)
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)

    monkeypatch.setattr(ssl, "create_default_context", recording)
    tls_context()
    httpx.create_ssl_context()
    assert len(asked) == 2 and asked[0] == asked[1], asked


def test_tls_context_is_the_one_httpx_makes_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import certifi

    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    ours, theirs = tls_context(), httpx.create_ssl_context()
    assert ours.verify_mode == theirs.verify_mode == ssl.CERT_REQUIRED and ours.check_hostname
    assert ours.cert_store_stats() == theirs.cert_store_stats()
    assert ours.cert_store_stats()["x509_ca"] > 0


@pytest.mark.parametrize("content", [None, b"not a certificate\n"])
def test_certificates_that_cannot_load_are_a_config_error_naming_the_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes | None) -> None:
    bundle = tmp_path / "bundle.pem"
    if content is not None:
        bundle.write_bytes(content)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    with pytest.raises(ConfigError) as info:
        tls_context()
    assert info.value.exit_code == EXIT_USAGE
    assert f"SSL_CERT_FILE={bundle}" in str(info.value) and "unset it" in str(info.value)
    assert isinstance(info.value.__cause__, OSError)


def test_route_set_makes_the_context_in_a_worker_thread_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from assetgen.routes import tls

    made_in: list[str] = []
    context = ssl.create_default_context()

    def fake_tls_context() -> ssl.SSLContext:
        made_in.append(threading.current_thread().name)
        return context

    monkeypatch.setattr(tls, "tls_context", fake_tls_context)
    routes = RouteSet(RouteContext(manifest=None, client=None, environ={}))  # type: ignore[arg-type]
    routes.start_tls()
    routes.start_tls()  # a second start reuses the first
    assert asyncio.run(routes.client_verify()) is context
    assert asyncio.run(routes.client_verify()) is context
    assert len(made_in) == 1 and made_in[0].startswith("assetgen-tls")
    unstarted = RouteSet(RouteContext(manifest=None, client=None, environ={}))  # type: ignore[arg-type]
    assert asyncio.run(unstarted.client_verify()) is context  # made on the spot
    assert made_in[1] == threading.current_thread().name


def test_route_set_hands_on_the_worker_threads_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from assetgen.routes import tls

    def failing() -> ssl.SSLContext:
        raise ConfigError("cannot load the TLS certificates of SSL_CERT_FILE=/x: gone")

    monkeypatch.setattr(tls, "tls_context", failing)
    routes = RouteSet(RouteContext(manifest=None, client=None, environ={}))  # type: ignore[arg-type]
    routes.start_tls()
    with pytest.raises(ConfigError, match="SSL_CERT_FILE=/x"):
        asyncio.run(routes.client_verify())


def test_an_injected_transport_makes_no_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """It makes the connections itself: no thread, no certificates loaded, and a bad
    SSL_CERT_FILE does not matter (tests' MockTransport)."""
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/bundle.pem")
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    routes = RouteSet(RouteContext(manifest=None, client=None, environ={}))  # type: ignore[arg-type]
    routes.start_tls(transport)
    assert asyncio.run(routes.client_verify(transport)) is True
    assert client_verify(transport) is True
    with pytest.raises(ConfigError, match="SSL_CERT_FILE=/nonexistent"):
        client_verify(None)
