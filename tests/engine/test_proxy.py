"""`Engine(proxy=...)` and `trust_env=True` through a real proxy on loopback (forward and CONNECT),
NO_PROXY bypass, SSL_CERT_FILE, and a proxy password that never shows."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
import trustme
from loopback_proxy import LoopbackProxy

from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.errors import InvalidArgumentError, TransportError
from asyncdam.engine.request import Request
from asyncdam.engine.session import Engine
from tests.reliability.hostile_server import Exchange, HostileServer

ENV = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR")


def ok(ex: Exchange) -> None:
    ex.json(200, {"ok": True, "path": ex.path})


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="module")
def proxy() -> Iterator[LoopbackProxy]:
    with LoopbackProxy() as running:
        yield running


@pytest.fixture(scope="module")
def plain() -> Iterator[HostileServer]:
    with HostileServer({"/ok": ok}) as server:
        yield server


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def secure(ca: trustme.CA) -> Iterator[HostileServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with HostileServer({"/ok": ok}, tls=context) as server:
        yield server


async def fetch(engine: Engine, origin: str) -> dict[str, object]:
    dialect = BaseDialect(name="t", base_url=check_base_url(origin))
    async with engine:
        with anyio.fail_after(10):
            response = await engine.bind(dialect).send(Request(method="GET", path="/ok"))
    body = response.json()
    assert isinstance(body, dict)
    return body


async def test_an_explicit_proxy_carries_plain_requests(
    proxy: LoopbackProxy, plain: HostileServer
) -> None:
    before = len(proxy.seen)
    engine = Engine(proxy=proxy.url("user:pr0xy-pass"), cache=False)
    assert "pr0xy-pass" not in repr(engine)
    body = await fetch(engine, plain.origin)
    assert body["path"] == "/ok"
    method, target, auth = proxy.seen[before]
    assert (method, target) == ("GET", f"{plain.origin}/ok")
    assert auth.startswith("Basic ")


async def test_trust_env_uses_https_proxy_and_ssl_cert_file(
    proxy: LoopbackProxy,
    secure: HostileServer,
    ca: trustme.CA,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("HTTPS_PROXY", proxy.url())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    before = len(proxy.seen)
    body = await fetch(Engine(trust_env=True, cache=False), secure.origin)
    assert body["ok"] is True
    assert proxy.seen[before][:2] == ("CONNECT", f"127.0.0.1:{secure.port}")


async def test_no_proxy_bypasses_the_proxy(
    proxy: LoopbackProxy, plain: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url())
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    before = len(proxy.seen)
    await fetch(Engine(trust_env=True, cache=False), plain.origin)
    assert len(proxy.seen) == before


async def test_the_environment_is_ignored_by_default(
    proxy: LoopbackProxy,
    plain: HostileServer,
    secure: HostileServer,
    ca: trustme.CA,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("HTTP_PROXY", proxy.url())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    before = len(proxy.seen)
    await fetch(Engine(cache=False), plain.origin)
    assert len(proxy.seen) == before
    # The private CA is not trusted either: the certificate check fails as a typed error.
    with pytest.raises(TransportError):
        await fetch(Engine(cache=False), secure.origin)


@pytest.mark.parametrize(
    "value", ["ftp://user:hunter2@proxy.example", "http://", 12, "http://us:hunter2@[::1"]
)
def test_a_bad_proxy_is_refused_naming_the_field_without_the_password(value: object) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        Engine(proxy=value)  # type: ignore[arg-type]
    assert caught.value.field == "proxy"
    assert "hunter2" not in str(caught.value)
