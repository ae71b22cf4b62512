"""EmulatorServer: loopback serving from a background thread, and the registry it builds from."""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tinyapp import PAYLOAD, tiny_app

from asyncdam.emulator import registry
from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.emulator.runner import EmulatorServer, is_loopback


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_sync_context_manager_serves_then_stops() -> None:
    app, hits = tiny_app(FaultConfig())
    with EmulatorServer("tiny", app=app) as server:
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        assert server.port > 0
        assert httpx.get(server.base_url + "/hello").json() == PAYLOAD
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.base_url + "/hello")
    server.stop()  # a second stop is harmless
    assert hits.count == 1


@pytest.mark.anyio
async def test_async_context_manager(anyio_backend: str) -> None:
    app, hits = tiny_app(FaultConfig())
    async with EmulatorServer("tiny", app=app) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            responses = [await client.get("/hello") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert not server.running and hits.count == 3


def test_explicit_port_and_localhost() -> None:
    port = free_port()
    app, _hits = tiny_app(FaultConfig())
    with EmulatorServer("tiny", host="localhost", port=port, app=app) as server:
        assert server.port == port
        assert server.base_url == f"http://localhost:{port}"
        assert httpx.get(server.base_url + "/hello").status_code == 200


def test_busy_port_is_reported() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        app, _hits = tiny_app(FaultConfig())
        server = EmulatorServer("tiny", port=taken.getsockname()[1], app=app)
        with pytest.raises(OSError):
            server.start()
        assert not server.running


# These hosts are only checked for refusal, never bound.
@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "example.com"])  # noqa: S104
def test_non_loopback_hosts_are_refused(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(ValueError, match="allow_public"):
        EmulatorServer("tiny", host=host, app=tiny_app(FaultConfig())[0])


def test_loopback_detection() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.5.0.1", "::1", "localhost"))


def test_failed_startup_raises_and_leaves_no_thread() -> None:
    async def bad_lifespan(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "lifespan"
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})

    server = EmulatorServer("tiny", app=bad_lifespan)
    with pytest.raises(RuntimeError, match="failed to start"):
        server.start()
    assert not server.running


def test_injected_faults_are_not_logged_but_real_errors_are(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _hits = tiny_app(FaultConfig(reset_rate=1.0))
    caplog.set_level(logging.ERROR)
    with EmulatorServer("tiny", app=app) as server:
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(server.base_url + "/hello")
    assert not [r for r in caplog.records if r.name.startswith("uvicorn")]

    plain, _hits = tiny_app(FaultConfig())
    with EmulatorServer("tiny", app=plain) as server:
        assert httpx.get(server.base_url + "/boom").status_code == 500
    assert any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records)


def test_registry_rejects_unknown_services() -> None:
    assert registry.SERVICES == ("phrase", "phraseanet", "openasset")
    with pytest.raises(ValueError, match="unknown service"):
        registry.create_app("dropbox", EmulatorConfig())
    with pytest.raises(ValueError, match="unknown service"):
        EmulatorServer("dropbox")


# --- the real service emulators, once their packages exist -------------------------------------

UNAUTHENTICATED = {
    "phrase": ("/projects", {401}),
    "phraseanet": ("/api/v1/databoxes/list/", {400, 401}),
    "openasset": ("/REST/1/NoSuchNoun", {404}),
}


@contextlib.asynccontextmanager
async def served(service: str) -> AsyncIterator[EmulatorServer]:
    if not registry.is_available(service):
        pytest.skip(f"the {service} emulator package is not ready")
    async with EmulatorServer(service, EmulatorConfig(token="runner-test-token")) as server:
        yield server


@pytest.mark.parametrize("service", registry.SERVICES)
async def test_service_emulator_over_loopback(service: str) -> None:
    async with served(service) as server:
        prefix = "/v2" if service == "phrase" else ""
        assert server.base_url == f"http://127.0.0.1:{server.port}{prefix}"
        path, statuses = UNAUTHENTICATED[service]
        async with httpx.AsyncClient(headers={"User-Agent": "asyncdam-tests"}) as client:
            response = await client.get(server.base_url + path)
    assert response.status_code in statuses
    if service == "phrase":
        assert "message" in response.json()
    elif service == "phraseanet":
        assert "invalid_request" in response.headers.get("www-authenticate", "")
    else:
        assert "error_message" in response.json()
