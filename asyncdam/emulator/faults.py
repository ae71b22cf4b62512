"""Deterministic fault injection for the emulators, as a pure ASGI3 middleware.

Every request gets an index from a counter taken when it arrives; each random choice for it is a
hash of (seed, index, purpose). The fault sequence is therefore a function of the seed and the
arrival order only, not of how the event loop interleaves the requests afterwards.

Faults, per request (rates are probabilities; the terminal ones are exclusive and drawn from one
uniform number split in this order: burst 429, reset, 5xx error, truncation, slow body):

- latency: ``latency_ms`` plus uniform ``[0, jitter_ms)``, slept before the app runs;
- burst 429: a 429 with ``X-Rate-Limit-*`` headers, and every request in the following short
  window gets one too (until the announced ``X-Rate-Limit-Reset``);
- reset: the connection breaks right after the response headers (the app may or may not have
  processed the request: both happen, as on a real network);
- error: 500 (JSON body), 502 or 503 (small HTML page, as proxies send), app not called;
- truncate: headers promise the full ``Content-Length``, only part of the body follows;
- slow body: the body is streamed in small chunks with pauses summing to ``slow_body_ms``;
- redirect: a 301/302/307/308 to the very same URL (GET/HEAD; 307/308 for other methods), as a
  proxy or a moved deployment sends; a client following it reaches the real answer;
- offsite redirect: the same, but to ``offsite_origin`` (another host): never to be followed with
  the credential;
- oversize: a 200 JSON body of ``oversize_bytes`` (half the time announced by Content-Length,
  half the time chunked without one), generated chunk by chunk, never held in memory;
- bomb: a 200 with ``Content-Encoding: gzip`` whose body inflates to ``bomb_bytes``, compressed on
  the fly chunk by chunk (a few KiB on the wire per MiB inflated);
- drip: the real body, one byte every ``drip_interval_ms`` (each read succeeds; the whole never
  arrives in useful time: only a deadline stops it).

Streamed bodies (oversize, bomb, drip) really stream over a loopback server; in-process,
httpx's ASGI transport collects a body before the client sees it, so keep `oversize_bytes` and
`bomb_bytes` modest there (the bomb's wire size is about 1 KiB per inflated MiB).

Breaking a connection is signalled by raising an `InjectedFault` after the response start:
uvicorn then closes the socket, and `asyncdam.emulator.transport` turns it into the httpx error a
real socket would give. HEAD requests and lifespan/websocket traffic are never broken.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import struct
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any, Literal, get_args

import anyio
import attrs

from asyncdam.emulator.config import FAULT_RATES, FaultConfig

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]
ASGIApp = Callable[[Scope, Receive, Send], Any]

FaultKind = Literal[
    "burst_429",
    "reset",
    "error",
    "truncate",
    "slow_body",
    "redirect",
    "offsite_redirect",
    "oversize",
    "bomb",
    "drip",
]

#: Order in which the terminal faults share the unit interval of one draw: the order of
#: `FaultKind` (new kinds go last, so a seed keeps drawing the same sequence for the older ones).
FAULT_ORDER: tuple[FaultKind, ...] = get_args(FaultKind)
ERROR_STATUSES = (500, 502, 503)
SLOW_BODY_CHUNKS = 8
REDIRECT_STATUSES = (301, 302, 307, 308)
KEEP_METHOD_REDIRECTS = (307, 308)
STREAM_CHUNK = 64 * 1024
#: Faults that replace or stream the body, so a HEAD request is spared them.
_BODY_FAULTS = frozenset({"reset", "truncate", "slow_body", "oversize", "bomb", "drip"})
NO_BODY_STATUSES = frozenset({204, 304})


class InjectedFault(Exception):
    """Base of the exceptions the middleware raises to break a connection on purpose."""


class InjectedConnectionReset(InjectedFault):
    """The connection is dropped after the response headers, before any body byte."""


class InjectedTruncation(InjectedFault):
    """The connection is dropped after part of a body whose full length was announced."""


@attrs.frozen
class FaultDecision:
    """What the middleware does to request number `index` (a pure function of seed and index)."""

    index: int
    delay_s: float
    kind: FaultKind | None
    error_status: int
    reset_after_app: bool
    truncate_fraction: float
    redirect_status: int = 302
    announce_length: bool = True


def _unit(seed: int, index: int, purpose: str) -> float:
    """A uniform number in [0, 1) for one purpose of one request."""
    key = f"{seed}\x00{index}\x00{purpose}".encode()
    digest = hashlib.blake2b(key, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def validate_faults(faults: FaultConfig) -> None:
    """Raise ValueError when a rate is outside [0, 1] or a duration is negative."""
    for name in FAULT_RATES:
        value = getattr(faults, name)
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be within [0, 1], got {value!r}")
    total = sum(getattr(faults, name) for name in FAULT_RATES)
    if total > 1.0 + 1e-9:
        raise ValueError(f"the terminal fault rates add up to {total:g}, more than 1")
    for name in ("latency_ms", "jitter_ms", "slow_body_ms", "drip_interval_ms"):
        value = getattr(faults, name)
        if not (value >= 0.0 and math.isfinite(value)):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    for name in ("oversize_bytes", "bomb_bytes"):
        if getattr(faults, name) < 1:
            raise ValueError(f"{name} must be at least 1, got {getattr(faults, name)!r}")
    if not faults.offsite_origin.startswith(("http://", "https://")):
        raise ValueError("offsite_origin must be an absolute http(s) origin")


def decide(faults: FaultConfig, index: int) -> FaultDecision:
    """Draw the latency and the (at most one) terminal fault for request number `index`."""
    seed = faults.seed
    delay_ms = faults.latency_ms + faults.jitter_ms * _unit(seed, index, "jitter")
    u = _unit(seed, index, "kind")
    kind: FaultKind | None = None
    edge = 0.0
    for candidate in FAULT_ORDER:
        edge += getattr(faults, f"{candidate}_rate")
        if u < edge:
            kind = candidate
            break
    status = ERROR_STATUSES[int(_unit(seed, index, "status") * len(ERROR_STATUSES))]
    return FaultDecision(
        index=index,
        delay_s=delay_ms / 1000.0,
        kind=kind,
        error_status=status,
        reset_after_app=_unit(seed, index, "reset-phase") < 0.5,
        truncate_fraction=0.9 * _unit(seed, index, "truncate"),
        redirect_status=REDIRECT_STATUSES[
            int(_unit(seed, index, "redirect") * len(REDIRECT_STATUSES))
        ],
        announce_length=_unit(seed, index, "length") < 0.5,
    )


def fault_sequence(faults: FaultConfig, count: int, start: int = 0) -> list[FaultDecision]:
    """The decisions for `count` consecutive requests (handy to predict what a test will see)."""
    return [decide(faults, i) for i in range(start, start + count)]


@attrs.define
class _Captured:
    """A response the inner app produced, held back so it can be mangled."""

    start: Message | None = None
    body: bytearray = attrs.field(factory=bytearray)


class FaultMiddleware:
    """Wrap an ASGI app so its HTTP requests suffer the faults configured in `faults`.

    `rate_limit` is the value of `X-Rate-Limit-Limit` on injected 429s; `burst_window_s` how long
    a burst lasts at least (its end is rounded up to a whole epoch second, as Reset headers are);
    `clock` (epoch seconds) and `sleep` exist so tests can drive bursts and delays without waiting.
    """

    def __init__(
        self,
        app: ASGIApp,
        faults: FaultConfig,
        *,
        rate_limit: int = 1000,
        burst_window_s: float = 1.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        validate_faults(faults)
        self.app = app
        self.faults = faults
        self.rate_limit = rate_limit
        self.burst_window_s = burst_window_s
        self._clock = clock
        self._sleep = sleep
        self._next_index = 0
        self._burst_until = 0.0

    @property
    def requests_seen(self) -> int:
        """How many HTTP requests went through so far (the next request's index)."""
        return self._next_index

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point: pass non-HTTP traffic through, apply faults to HTTP requests."""
        if scope["type"] != "http" or not self.faults.active:
            await self.app(scope, receive, send)
            return
        # Taken before any await, so the index reflects arrival order only.
        index = self._next_index
        self._next_index += 1
        decision = decide(self.faults, index)
        if decision.delay_s > 0:
            await self._sleep(decision.delay_s)

        now = self._clock()
        if now < self._burst_until:
            await self._send_429(send)
            return
        kind = decision.kind
        if kind in _BODY_FAULTS and scope.get("method") == "HEAD":
            kind = None
        if kind is None:
            await self.app(scope, receive, send)
        elif kind in ("redirect", "offsite_redirect"):
            await _send_redirect(send, scope, decision, self.faults, offsite=kind != "redirect")
        elif kind == "oversize":
            await _send_oversize(send, self.faults.oversize_bytes, decision.announce_length)
        elif kind == "bomb":
            await _send_bomb(send, self.faults.bomb_bytes)
        elif kind == "drip":
            await self._send_drip(send, await self._capture(scope, receive))
        elif kind == "burst_429":
            self._burst_until = float(math.ceil(now + self.burst_window_s))
            await self._send_429(send)
        elif kind == "error":
            await _send_error(send, decision.error_status)
        elif kind == "reset":
            captured = _Captured()
            if decision.reset_after_app:
                captured = await self._capture(scope, receive)
            await send(_promising_start(captured))
            raise InjectedConnectionReset(f"injected connection reset (request {index})")
        else:
            captured = await self._capture(scope, receive)
            if kind == "truncate":
                await self._send_truncated(send, captured, decision)
            else:
                await self._send_slowly(send, captured)

    async def _capture(self, scope: Scope, receive: Receive) -> _Captured:
        """Run the inner app to completion, keeping its response instead of sending it."""
        captured = _Captured()

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured.start = message
            elif message["type"] == "http.response.body":
                captured.body += message.get("body", b"")

        await self.app(scope, receive, keep)
        if captured.start is None:
            raise RuntimeError("the wrapped app returned without starting a response")
        return captured

    async def _send_429(self, send: Send) -> None:
        body = json.dumps({"message": "Rate limit exceeded"}).encode()
        headers = [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"x-rate-limit-limit", str(self.rate_limit).encode()),
            (b"x-rate-limit-remaining", b"0"),
            (b"x-rate-limit-reset", str(int(self._burst_until)).encode()),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _send_truncated(
        self, send: Send, captured: _Captured, decision: FaultDecision
    ) -> None:
        start = _promising_start(captured)
        promised = _content_length(start)
        sent = min(int(promised * decision.truncate_fraction), promised - 1)
        await send(start)
        await send(
            {"type": "http.response.body", "body": bytes(captured.body[:sent]), "more_body": True}
        )
        raise InjectedTruncation(
            f"injected truncation (request {decision.index}): {sent} of {promised} bytes"
        )

    async def _send_slowly(self, send: Send, captured: _Captured) -> None:
        assert captured.start is not None
        await send(captured.start)
        body = bytes(captured.body)
        chunks = max(1, min(SLOW_BODY_CHUNKS, len(body)))
        size = math.ceil(len(body) / chunks) if body else 0
        pause = self.faults.slow_body_ms / 1000.0 / chunks
        for i in range(chunks):
            await self._sleep(pause)
            piece = body[i * size : (i + 1) * size]
            await send({"type": "http.response.body", "body": piece, "more_body": i < chunks - 1})

    async def _send_drip(self, send: Send, captured: _Captured) -> None:
        """The real response, its body one byte per `drip_interval_ms`."""
        assert captured.start is not None
        await send(captured.start)
        body = bytes(captured.body)
        pause = self.faults.drip_interval_ms / 1000.0
        for i in range(len(body)):
            await self._sleep(pause)
            await send({"type": "http.response.body", "body": body[i : i + 1], "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def _request_target(scope: Scope) -> str:
    """The path and query of the request, as received."""
    raw = scope.get("raw_path") or scope.get("path", "/").encode()
    target = bytes(raw).decode("latin-1")
    query = scope.get("query_string", b"")
    return target + ("?" + bytes(query).decode("latin-1") if query else "")


def _own_origin(scope: Scope) -> str:
    host = ""
    for name, value in scope.get("headers", []):
        if bytes(name).lower() == b"host":
            host = bytes(value).decode("latin-1")
    if not host and scope.get("server"):
        server_host, port = scope["server"]
        host = f"{server_host}:{port}"
    return f"{scope.get('scheme', 'http')}://{host or '127.0.0.1'}"


async def _send_redirect(
    send: Send, scope: Scope, decision: FaultDecision, faults: FaultConfig, *, offsite: bool
) -> None:
    """A redirect to the same URL on this origin, or on `faults.offsite_origin`."""
    status = decision.redirect_status
    if scope.get("method") not in ("GET", "HEAD") and status not in KEEP_METHOD_REDIRECTS:
        status = KEEP_METHOD_REDIRECTS[status % 2]
    origin = faults.offsite_origin.rstrip("/") if offsite else _own_origin(scope)
    location = origin + _request_target(scope)
    body = b""
    headers = [
        (b"location", location.encode("latin-1")),
        (b"content-length", b"0"),
        (b"content-type", b"text/html; charset=utf-8"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_oversize(send: Send, size: int, announce: bool) -> None:
    """A valid JSON document of exactly `size` bytes (when `size` >= 14), streamed in chunks."""
    head, tail = b'{"padding":"', b'"}'
    headers = [(b"content-type", b"application/json")]
    if announce:
        headers.append((b"content-length", str(size).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    remaining = size
    first = head[:remaining]
    remaining -= len(first)
    pad = max(0, remaining - len(tail))
    await send({"type": "http.response.body", "body": first, "more_body": True})
    block = b"x" * STREAM_CHUNK
    while pad > 0:
        piece = block[: min(pad, STREAM_CHUNK)]
        pad -= len(piece)
        remaining -= len(piece)
        await send({"type": "http.response.body", "body": piece, "more_body": True})
    await send({"type": "http.response.body", "body": tail[:remaining]})


_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
_DEFLATE_END = b"\x03\x00"  # an empty final block with fixed codes
_ZERO_BLOCK = 1024 * 1024


def _deflated_zeros(count: int) -> bytes:
    """`count` zero bytes as raw deflate blocks ending on a byte boundary (a full flush)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(bytes(count)) + compressor.flush(zlib.Z_FULL_FLUSH)


@functools.cache
def _deflated_block() -> bytes:
    # After a full flush the compressor forgets its history, so every 1 MiB zero block deflates
    # to these same bytes: the bomb is sent by repeating them, not by compressing a GiB.
    return _deflated_zeros(_ZERO_BLOCK)


def bomb_chunks(size: int) -> Iterator[bytes]:
    """A valid gzip stream inflating to `size` zero bytes, produced a block at a time."""
    yield _GZIP_HEADER
    crc = 0
    block = bytes(_ZERO_BLOCK)
    full, rest = divmod(size, _ZERO_BLOCK)
    for _ in range(full):
        crc = zlib.crc32(block, crc)
        yield _deflated_block()
    if rest:
        crc = zlib.crc32(block[:rest], crc)
        yield _deflated_zeros(rest)
    yield _DEFLATE_END + struct.pack("<II", crc, size & 0xFFFFFFFF)


async def _send_bomb(send: Send, size: int) -> None:
    """A small gzip body that inflates to `size` bytes (no Content-Length: it is streamed)."""
    headers = [(b"content-type", b"application/json"), (b"content-encoding", b"gzip")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for chunk in bomb_chunks(size):
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def _content_length(start: Message) -> int:
    for name, value in start["headers"]:
        if name.lower() == b"content-length":
            return int(value)
    raise AssertionError("start message without content-length")


def _promising_start(captured: _Captured) -> Message:
    """A response start announcing a body (so that ending early is visibly broken).

    Without a captured response, or for statuses that cannot carry a body, a bare 200 promising
    one byte stands in: the client never gets to see it as a complete response anyway.
    """
    start = captured.start
    length = len(captured.body)
    if start is None or start["status"] in NO_BODY_STATUSES or start["status"] < 200 or length == 0:
        return {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/octet-stream"), (b"content-length", b"1")],
        }
    headers = [
        (bytes(name), bytes(value))
        for name, value in start.get("headers", [])
        if bytes(name).lower() not in (b"content-length", b"transfer-encoding")
    ]
    headers.append((b"content-length", str(length).encode()))
    return {"type": "http.response.start", "status": start["status"], "headers": headers}


async def _send_error(send: Send, status: int) -> None:
    """Answer an injected 5xx: JSON for 500 as apps send, a tiny HTML page for proxy errors."""
    if status == 500:
        body = json.dumps({"message": "Internal server error (injected fault)"}).encode()
        content_type = b"application/json; charset=utf-8"
    else:
        title = {502: "502 Bad Gateway", 503: "503 Service Unavailable"}[status]
        page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        body = page.encode()
        content_type = b"text/html; charset=utf-8"
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
