"""An in-process httpx transport to an emulator app that fails the way a real socket would.

`httpx.ASGITransport` hands back whatever the app managed to send. Over uvicorn, a connection the
app breaks (an `InjectedFault`, any exception after the response start, a body shorter than its
`Content-Length`) reaches the client as a transport error instead; this module reproduces that, so
in-process tests see the same failures as loopback ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from typing import Any

import attrs
import httpx

from asyncdam.emulator.faults import (
    ASGIApp,
    InjectedConnectionReset,
    InjectedFault,
    Message,
    Receive,
    Scope,
)

logger = logging.getLogger("asyncdam.emulator")

# What uvicorn answers when an app fails before starting its response.
_SERVER_ERROR_BODY = b"Internal Server Error"


@attrs.define
class _Exchange:
    """What happened to one request inside the app, seen from the server's side."""

    started: bool = False
    complete: bool = False
    failure: BaseException | None = None


class _Incomplete(Exception):
    """The app returned without finishing the response it had started."""


class EmulatorTransport(httpx.AsyncBaseTransport):
    """Send httpx requests straight into an ASGI app, with socket-like failure behaviour.

    An `InjectedConnectionReset` becomes `httpx.ReadError` (connection reset by peer); a truncated
    or unfinished body becomes `httpx.RemoteProtocolError`; any other exception before the response
    start becomes a plain 500, as uvicorn would send.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        root_path: str = "",
        client: tuple[str, int] = ("127.0.0.1", 50000),
    ) -> None:
        self.app = app
        self.root_path = root_path
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Run the app for `request` and return its response, or raise a transport error."""
        exchange = _Exchange()
        inner = httpx.ASGITransport(
            app=self._guarded(exchange),
            raise_app_exceptions=False,
            root_path=self.root_path,
            client=self.client,
        )
        response = await inner.handle_async_request(request)
        failure = exchange.failure
        if isinstance(failure, InjectedConnectionReset):
            raise httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
        if failure is not None:  # InjectedTruncation, or the app broke mid-response
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body", request=request
            )
        assert isinstance(response.stream, httpx.AsyncByteStream)
        content = b"".join([part async for part in response.stream])
        expected = _expected_length(request, response)
        if expected is not None and len(content) < expected:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body: "
                f"received {len(content)} bytes, expected {expected}",
                request=request,
            )
        return httpx.Response(
            response.status_code, headers=response.headers, stream=httpx.ByteStream(content)
        )

    def _guarded(self, exchange: _Exchange) -> ASGIApp:
        """The app, wrapped to record how its response went instead of leaking exceptions."""
        app = self.app

        async def guarded(scope: Scope, receive: Receive, send: Callable[[Message], Any]) -> None:
            async def watch(message: MutableMapping[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    exchange.started = True
                elif message["type"] == "http.response.body" and not message.get(
                    "more_body", False
                ):
                    exchange.complete = True
                await send(message)

            try:
                await app(scope, receive, watch)
                if not exchange.started:
                    raise RuntimeError("ASGI app returned without starting a response")
                if not exchange.complete:
                    raise _Incomplete("ASGI app returned without completing its response")
            except Exception as exc:
                if not isinstance(exc, InjectedFault):
                    logger.error("Exception in emulator app", exc_info=exc)
                if exchange.started:
                    exchange.failure = exc
                    raise  # ASGITransport (raise_app_exceptions=False) then ends the response
                else:
                    await _send_server_error(send)

        return guarded


def _expected_length(request: httpx.Request, response: httpx.Response) -> int | None:
    """The body length the response headers promise, if they promise one."""
    if request.method == "HEAD" or response.status_code in (204, 304):
        return None
    value = response.headers.get("content-length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


async def _send_server_error(send: Callable[[Message], Any]) -> None:
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(_SERVER_ERROR_BODY)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": _SERVER_ERROR_BODY})


def emulator_transport(app: ASGIApp, *, root_path: str = "") -> httpx.AsyncBaseTransport:
    """An httpx transport that serves requests from `app` in-process (see `EmulatorTransport`)."""
    return EmulatorTransport(app, root_path=root_path)
