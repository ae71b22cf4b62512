"""The in-process transport: app failures surface as a real socket would show them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tinyapp import PAYLOAD, tiny_app

from asyncdam.emulator.config import FaultConfig
from asyncdam.emulator.transport import emulator_transport

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def raw_app(*messages: dict[str, Any], then: BaseException | None = None) -> Any:
    """An ASGI app that sends `messages` and then raises `then` (if given)."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        for message in messages:
            await send(message)
        if then is not None:
            raise then

    return app


def start(status: int = 200, length: int | None = None) -> dict[str, Any]:
    headers = [] if length is None else [(b"content-length", str(length).encode())]
    return {"type": "http.response.start", "status": status, "headers": headers}


def body(data: bytes, more: bool = False) -> dict[str, Any]:
    return {"type": "http.response.body", "body": data, "more_body": more}


async def get(app: Any, method: str = "GET") -> httpx.Response:
    transport = emulator_transport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t.localhost") as client:
        return await client.request(method, "/x")


async def test_normal_responses_pass_unchanged() -> None:
    app, hits = tiny_app(FaultConfig())
    transport = emulator_transport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t.localhost") as client:
        response = await client.get("/hello")
        assert response.status_code == 200 and response.json() == PAYLOAD
        assert (await client.get("/empty")).status_code == 204
        head = await client.head("/hello")
        assert head.status_code == 200 and head.content == b""
        async with client.stream("GET", "/hello") as streamed:
            assert b"".join([c async for c in streamed.aiter_bytes()]) == response.content
    assert hits.count == 4


async def test_exception_before_start_is_a_plain_500() -> None:
    broken = await get(raw_app(then=RuntimeError("bug")))
    assert broken.status_code == 500 and broken.text == "Internal Server Error"


async def test_exception_after_start_breaks_the_connection() -> None:
    app = raw_app(start(200, 10), body(b"12345", more=True), then=RuntimeError("bug"))
    with pytest.raises(httpx.RemoteProtocolError):
        await get(app)


async def test_short_body_without_exception_is_a_protocol_error() -> None:
    with pytest.raises(httpx.RemoteProtocolError, match="received 3 bytes, expected 10"):
        await get(raw_app(start(200, 10), body(b"abc")))


async def test_unfinished_response_is_a_protocol_error() -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        await get(raw_app(start(200), body(b"abc", more=True)))


async def test_app_that_never_responds_gets_a_500() -> None:
    assert (await get(raw_app())).status_code == 500


async def test_declared_length_is_not_checked_where_no_body_is_due() -> None:
    assert (await get(raw_app(start(200, 10), body(b"")), method="HEAD")).status_code == 200
    assert (await get(raw_app(start(304, 10), body(b"")))).status_code == 304


async def test_injected_reset_is_a_read_error() -> None:
    app, _hits = tiny_app(FaultConfig(reset_rate=1.0))
    with pytest.raises(httpx.ReadError):
        await get(app)
