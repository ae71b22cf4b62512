"""The engine against a real loopback server that misbehaves: every failure is typed and bounded.

Each test asserts the typed error, a memory bound (tracemalloc peak during the call, which also
counts the server thread's own allocations) and a time bound that is only a hang guard
(`anyio.fail_after`), never a timing claim. Bombs and endless bodies are generated on the fly.
"""

from __future__ import annotations

import json
import ssl
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest
import trustme

from asyncdam.engine.clock import SystemClock
from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.errors import (
    DecodeError,
    QuotaWaitTooLong,
    RateLimited,
    ResponseTooLarge,
    ServerError,
    TimeoutError,
    TransportError,
    UnexpectedRedirect,
)
from asyncdam.engine.events import Event, Hooks
from asyncdam.engine.request import Request
from asyncdam.engine.retry import RetryPolicy
from asyncdam.engine.session import Engine, ServiceClient
from tests.reliability.hostile_server import (
    DEFLATE_SEGMENTS,
    Exchange,
    HostileServer,
    MiB,
    bomb,
    bomb_size,
    drip,
    endless,
)

HANG_GUARD = 15.0  # seconds; a hang, not a slow run, is what this catches
SLACK = 2 * MiB  # what the engine may hold beyond a limit: one network chunk, one piece, overhead


def ok(ex: Exchange) -> None:
    ex.json(200, {"ok": True, "path": ex.path, "auth": ex.headers.get("authorization", "")})


def redirect_to(location: str | None, status: int = 302) -> Callable[[Exchange], None]:
    def handler(ex: Exchange) -> None:
        headers = [("Location", location)] if location is not None else []
        ex.reply(status, b"", headers)

    return handler


def gzip_bomb(ex: Exchange) -> None:
    ex.chunked(
        200, bomb(1024), [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
    )


def deflate_bomb(ex: Exchange) -> None:
    ex.chunked(
        200,
        bomb(1024, DEFLATE_SEGMENTS),
        [("Content-Type", "application/json"), ("Content-Encoding", "deflate")],
    )


def endless_chunked(ex: Exchange) -> None:
    ex.chunked(200, endless(), [("Content-Type", "application/json")])


def huge_length(ex: Exchange) -> None:
    ex.head(200, [("Content-Type", "application/json"), ("Content-Length", str(200 * 1024 * MiB))])
    ex.send(b"[" + b"1," * 1000)


def huge_json_page(ex: Exchange) -> None:
    def items() -> Iterator[bytes]:
        yield b"["
        item = json.dumps({"id": "x" * 40, "name": "y" * 200}).encode() + b","
        while True:
            yield item * 256

    ex.chunked(200, items(), [("Content-Type", "application/json")])


def deep_json(ex: Exchange) -> None:
    ex.reply(200, b"[" * 100_000 + b"]" * 100_000, [("Content-Type", "application/json")])


def bad_utf8(ex: Exchange) -> None:
    ex.reply(200, b'{"name": "caf\xe9 cr\xe8me"}', [("Content-Type", "application/json")])


def truncated(ex: Exchange) -> None:
    ex.head(200, [("Content-Type", "application/json"), ("Content-Length", "1000")])
    ex.send(b'{"partial": ')


def corrupt_gzip(ex: Exchange) -> None:
    ex.reply(200, b"this is not gzip", [("Content-Encoding", "gzip")])


def unknown_encoding(ex: Exchange) -> None:
    ex.reply(200, b'{"a": 1}', [("Content-Encoding", "br"), ("Content-Type", "application/json")])


def header_flood(ex: Exchange) -> None:
    """Headers that never end (written a batch at a time, so the server holds little)."""
    ex.send(b"HTTP/1.1 200 OK\r\n")
    batch = b"".join(b"X-Flood-%d: %s\r\n" % (i, b"v" * 100) for i in range(100))
    for _ in range(100_000):
        ex.send(batch)


def far_reset(ex: Exchange) -> None:
    reset = int(time.time()) + 3000
    headers = [
        ("X-Rate-Limit-Limit", "10"),
        ("X-Rate-Limit-Remaining", "0"),
        ("X-Rate-Limit-Reset", str(reset)),
    ]
    ex.json(200, {"ok": True}, headers)


def busy(ex: Exchange) -> None:
    ex.json(503, {"message": "busy"}, [("Retry-After", "0.3")])


ROUTES: dict[str, Callable[[Exchange], None]] = {
    "/ok": ok,
    "/gzip-bomb": gzip_bomb,
    "/deflate-bomb": deflate_bomb,
    "/endless": endless_chunked,
    "/huge-length": huge_length,
    "/huge-page": huge_json_page,
    "/deep": deep_json,
    "/bad-utf8": bad_utf8,
    "/truncated": truncated,
    "/corrupt-gzip": corrupt_gzip,
    "/unknown-encoding": unknown_encoding,
    "/header-flood": header_flood,
    "/far-reset": far_reset,
    "/busy": busy,
    "/drip": lambda ex: drip(ex, every=0.05),
    "/slow-drip": lambda ex: drip(ex, every=0.5),
    "/loop": redirect_to("/loop"),
    "/no-location": redirect_to(None),
    "/not-modified": lambda ex: ex.reply(304, b"", [("ETag", '"v1"')]),
    "/post-302": redirect_to("/ok"),
    "/multiple-choices": redirect_to("/ok", 300),
}
for code in (301, 302, 303, 307, 308):
    ROUTES[f"/r{code}"] = redirect_to("/ok?from=" + str(code), code)


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    with HostileServer(ROUTES) as srv:
        # Another origin on the same machine: same port, another host name.
        srv.routes["/cross"] = redirect_to(f"http://localhost:{srv.port}/ok?token=s3cret")
        yield srv


def client_for(origin: str, **engine_options: Any) -> tuple[Engine, ServiceClient]:
    options: dict[str, Any] = {"cache": False, "retry": RetryPolicy(max_attempts=1)}
    options.update(engine_options)
    engine = Engine(**options)
    dialect = BaseDialect(
        name="hostile",
        base_url=check_base_url(origin),
        default_headers={"Authorization": "token t0psecret"},
    )
    return engine, engine.bind(dialect)


async def peak_of(call: Callable[[], Awaitable[Any]]) -> tuple[int, BaseException | None]:
    """Peak traced memory (bytes) while `call` runs, and what it raised."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    error: BaseException | None = None
    try:
        with anyio.fail_after(HANG_GUARD):
            await call()
    except Exception as exc:
        error = exc
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, error


E = TypeVar("E", bound=BaseException)


async def expect(
    kind: type[E],
    call: Callable[[], Awaitable[Any]],
    *,
    match: str = "",
    memory: int = SLACK,
) -> E:
    """Run `call` under the hang guard; it must raise `kind` (message containing `match`) with
    a traced memory peak under `memory` bytes."""
    peak, error = await peak_of(call)
    assert isinstance(error, kind), error
    assert match in str(error), str(error)
    assert peak < memory, peak
    return error


def get(path: str, **options: Any) -> Request:
    return Request(method="GET", path=path, **options)


# -- redirects ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
async def test_same_origin_get_redirects_are_followed(server: HostileServer, code: int) -> None:
    seen: list[Event] = []
    engine, client = client_for(server.origin, hooks=Hooks(redirect=[seen.append]))
    async with engine:
        with anyio.fail_after(HANG_GUARD):
            response = await client.send(get(f"/r{code}"))
    body = response.json()
    assert body["path"] == "/ok" and body["auth"] == "token t0psecret"
    assert engine.stats.redirects_followed == 1
    assert [e.status for e in seen] == [code]
    assert seen[0].detail["location"].endswith(f"/ok?from={code}")


async def test_redirect_to_another_origin_is_refused_with_a_redacted_location(
    server: HostileServer,
) -> None:
    engine, client = client_for(server.origin)
    before = len(server.seen)
    async with engine:
        error = await expect(UnexpectedRedirect, lambda: client.send(get("/cross")))
    assert "another origin" in str(error)
    assert error.location is not None and "s3cret" not in error.location
    assert "s3cret" not in str(error)
    assert len(server.seen) == before + 1  # the credential never went to the other origin
    assert engine.stats.redirects_followed == 0


async def test_a_redirect_loop_ends_after_max_redirects(server: HostileServer) -> None:
    engine, client = client_for(server.origin, max_redirects=3)
    before = len(server.seen)
    async with engine:
        await expect(UnexpectedRedirect, lambda: client.send(get("/loop")), match="max_redirects")
    assert len(server.seen) == before + 4  # the first request and three hops
    assert engine.stats.redirects_followed == 3


async def test_a_redirected_post_is_never_repeated(server: HostileServer) -> None:
    engine, client = client_for(server.origin)
    before = len(server.seen)
    async with engine:
        error = await expect(
            UnexpectedRedirect,
            lambda: client.send(Request(method="POST", path="/post-302", json={"a": 1})),
            match="POST",
        )
    assert error.status == 302
    assert len(server.seen) == before + 1


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/no-location", "without a Location"),
        ("/not-modified", "nothing is cached"),
        ("/multiple-choices", "status 300"),
    ],
)
async def test_other_3xx_answers_are_errors_never_successes(
    server: HostileServer, path: str, reason: str
) -> None:
    engine, client = client_for(server.origin)
    async with engine:
        await expect(UnexpectedRedirect, lambda: client.send(get(path)), match=reason)


async def test_a_stream_follows_same_origin_redirects_and_refuses_others(
    server: HostileServer,
) -> None:
    engine, client = client_for(server.origin)
    async with engine:
        async with client.stream(get("/r307")) as response:
            body = await response.read()
        assert json.loads(body)["path"] == "/ok"
        with pytest.raises(UnexpectedRedirect):
            async with client.stream(get("/cross")):
                pass
    assert engine.stats.redirects_followed == 1


@pytest.fixture(scope="module")
def tls() -> tuple[trustme.CA, ssl.SSLContext]:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    return ca, server_context


async def test_https_is_never_downgraded_to_http(
    server: HostileServer, tls: tuple[trustme.CA, ssl.SSLContext]
) -> None:
    ca, server_context = tls
    downgrade = {"/down": redirect_to(f"http://127.0.0.1:{server.port}/ok")}
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with HostileServer(downgrade, tls=server_context) as secure:
        engine, client = client_for(secure.origin, verify=client_context)
        before = len(server.seen)
        async with engine:
            await expect(UnexpectedRedirect, lambda: client.send(get("/down")), match="downgrade")
        assert len(server.seen) == before


# -- byte limits --------------------------------------------------------------------------------


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
@pytest.mark.parametrize("path", ["/gzip-bomb", "/deflate-bomb"])
async def test_a_decompression_bomb_stops_at_the_limit(server: HostileServer, path: str) -> None:
    """1 MiB of gzip that inflates to 1 GiB: stopped at 4 MiB, memory within 4 MiB + slack."""
    assert bomb_size(1024) < 1.1 * MiB
    limit = 4 * MiB
    engine, client = client_for(server.origin, max_response_bytes=limit)
    async with engine:
        peak, error = await peak_of(lambda: client.send(get(path)))
    assert isinstance(error, ResponseTooLarge), error
    assert error.limit == limit and error.setting == "max_response_bytes"
    assert peak < limit + SLACK, peak
    assert engine.stats.bytes_received == 0  # nothing was handed over


async def test_the_default_limit_stops_a_bomb_too(server: HostileServer) -> None:
    engine, client = client_for(server.origin)
    limit = engine.limits.max_response_bytes
    async with engine:
        peak, error = await peak_of(lambda: client.send(get("/gzip-bomb")))
    assert isinstance(error, ResponseTooLarge) and error.limit == 64 * MiB
    assert peak < limit + SLACK, peak


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_an_endless_chunked_body_stops_at_the_limit(server: HostileServer) -> None:
    limit = 4 * MiB
    engine, client = client_for(server.origin, max_response_bytes=limit)
    async with engine:
        peak, error = await peak_of(lambda: client.send(get("/endless")))
    assert isinstance(error, ResponseTooLarge), error
    assert peak < limit + SLACK, peak


async def test_an_oversized_content_length_is_refused_before_reading(server: HostileServer) -> None:
    engine, client = client_for(server.origin)
    async with engine:
        peak, error = await peak_of(lambda: client.send(get("/huge-length")))
    assert isinstance(error, ResponseTooLarge), error
    assert error.declared == 200 * 1024 * MiB
    assert peak < SLACK, peak


async def test_an_oversized_json_page_is_refused_per_request(server: HostileServer) -> None:
    """The per-request override: this call allows 8 MiB however large the engine's limit."""
    engine, client = client_for(server.origin)
    async with engine:
        peak, error = await peak_of(
            lambda: client.send(get("/huge-page", max_response_bytes=8 * MiB))
        )
    assert isinstance(error, ResponseTooLarge) and error.limit == 8 * MiB, error
    assert peak < 8 * MiB + SLACK, peak


async def test_a_streamed_download_writes_to_a_file_within_its_own_limit(
    server: HostileServer, tmp_path: Path
) -> None:
    """A bomb streamed to a file: memory stays at one piece, the file stops at the limit."""
    target = tmp_path / "download.bin"
    limit = 16 * MiB
    engine, client = client_for(server.origin, max_download_bytes=limit)

    async def download() -> None:
        with target.open("wb") as fh:
            async with client.stream(get("/gzip-bomb")) as response:
                async for chunk in response.aiter_bytes():
                    fh.write(chunk)

    async with engine:
        peak, error = await peak_of(download)
    assert isinstance(error, ResponseTooLarge) and error.setting == "max_download_bytes", error
    assert target.stat().st_size == limit
    assert peak < SLACK, peak


# -- deadlines ----------------------------------------------------------------------------------


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_a_dripping_body_ends_at_the_deadline(server: HostileServer) -> None:
    engine, client = client_for(server.origin, deadline=0.5)
    async with engine:
        error = await expect(TimeoutError, lambda: client.send(get("/drip")))
    assert error.limit == "deadline"
    assert "deadline of 0.5s" in str(error)


async def test_a_dripping_body_ends_at_the_attempt_timeout_and_is_retried(
    server: HostileServer,
) -> None:
    engine, client = client_for(
        server.origin, attempt_timeout=0.3, retry=RetryPolicy(max_attempts=2, backoff_cap=0.01)
    )
    async with engine:
        error = await expect(TimeoutError, lambda: client.send(get("/drip")))
    assert error.limit == "attempt_timeout" and error.attempts == 2
    assert engine.stats.retries == 1


async def test_request_timeout_bounds_each_read(server: HostileServer) -> None:
    engine, client = client_for(server.origin)
    async with engine:
        error = await expect(TimeoutError, lambda: client.send(get("/slow-drip", timeout=0.1)))
    assert error.limit == "timeout"


async def test_a_deadline_spans_retries_and_is_never_slept_past(server: HostileServer) -> None:
    """503 + Retry-After 0.3 with a 1 s deadline: a few attempts, then the last error at once,
    without sleeping a delay that would end past the deadline."""
    clock = RecordingClock()
    engine, client = client_for(
        server.origin, retry=RetryPolicy(max_attempts=50), deadline=1.0, clock=clock
    )
    async with engine:
        error = await expect(ServerError, lambda: client.send(get("/busy")))
    assert 2 <= error.attempts <= 4
    assert clock.sleeps == [0.3] * (error.attempts - 1)
    assert sum(clock.sleeps) < 1.0


class RecordingClock(SystemClock):
    """The real clock, remembering every sleep the engine asked for."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await super().sleep(seconds)


# -- malformed bodies ---------------------------------------------------------------------------


async def send_and_parse(client: ServiceClient, path: str) -> Any:
    """What an adapter does: send, then parse the JSON body."""
    return (await client.send(get(path))).json()


async def test_deep_json_is_a_decode_error_not_a_recursion_error(server: HostileServer) -> None:
    """100,000 levels of nesting in 200 KB: the parser's guard, then a DecodeError."""
    engine, client = client_for(server.origin)
    async with engine:
        await expect(DecodeError, lambda: send_and_parse(client, "/deep"), match="nested deeper")


async def test_invalid_utf8_is_a_decode_error_not_mojibake(server: HostileServer) -> None:
    engine, client = client_for(server.origin)
    async with engine:
        await expect(DecodeError, lambda: send_and_parse(client, "/bad-utf8"), match="UTF-8")
        response = await client.send(get("/bad-utf8"))
    assert "\ufffd" in response.text  # shown as replacement characters, never as other letters


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/truncated", TransportError),
        ("/corrupt-gzip", TransportError),
        ("/unknown-encoding", DecodeError),
        ("/header-flood", TransportError),
    ],
)
async def test_broken_transfers_are_typed_errors(
    server: HostileServer, path: str, error: type[Exception]
) -> None:
    engine, client = client_for(server.origin)
    async with engine:
        peak, raised = await peak_of(lambda: client.send(get(path)))
    assert isinstance(raised, error), raised
    assert peak < SLACK, peak


# -- throttle ceiling ---------------------------------------------------------------------------


async def test_a_far_rate_limit_reset_fails_fast(server: HostileServer) -> None:
    engine, client = client_for(server.origin, max_throttle_wait=60.0)
    async with engine:
        await client.send(get("/far-reset"))  # the server says: 0 left until in 3000 s
        error = await expect(QuotaWaitTooLong, lambda: client.send(get("/far-reset")))
    error = error
    assert isinstance(error, RateLimited) and error.status == 429
    assert error.reset_at is not None and error.reset_at > time.time() + 2900
    assert error.wait > 60
    assert engine.stats.requests == 1  # the refused call sent nothing


async def test_a_deadline_shorter_than_the_quota_wait_fails_at_once(server: HostileServer) -> None:
    engine, client = client_for(server.origin, max_throttle_wait=None, deadline=5.0)
    async with engine:
        await client.send(get("/far-reset"))
        error = await expect(TimeoutError, lambda: client.send(get("/far-reset")))
    assert error.limit == "deadline"
