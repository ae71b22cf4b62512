"""Wire-level behaviour of the Engine: exact headers, the 304 path, retries, errors, redaction."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.errors import (
    InsecureTransportError,
    InvalidRequestError,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    ValidationFailed,
)
from asyncdam.engine.events import Event, Hooks
from asyncdam.engine.request import Request
from asyncdam.engine.retry import RetryPolicy
from asyncdam.engine.session import Engine

BASE = "https://api.example.test/v1/"
pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class RecordingClock:
    """Wall time that only moves when the engine sleeps; sleeps are recorded, not slept."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(0.0, seconds)


def dialect(**kw: Any) -> BaseDialect:
    return BaseDialect(
        name="test",
        base_url=check_base_url(BASE),
        default_headers={"User-Agent": "asyncdam-tests", "Accept": "application/json"},
        credential_id="cred1",
        **kw,
    )


@pytest.fixture
def clock() -> RecordingClock:
    return RecordingClock()


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def engine(clock: RecordingClock, **kw: Any) -> Engine:
    kw.setdefault("retry", RetryPolicy(max_attempts=3, backoff_base=0.1, backoff_cap=1.0))
    return Engine(clock=clock, **kw)


async def test_default_headers_query_encoding_and_path_escaping(
    mock: respx.MockRouter, clock: RecordingClock
) -> None:
    route = mock.route(method="GET").respond(json={"ok": True})
    async with engine(clock) as eng:
        client = eng.bind(dialect())
        req = Request(
            method="get",
            path="/items/{item_id}",
            path_params={"item_id": "a/b"},
            query={"flag": True, "skip": None, "ids": [1, 2]},
        )
        response = await client.send(req)
    sent = route.calls.last.request
    assert response.json() == {"ok": True}
    assert sent.url.raw_path == b"/v1/items/a%2Fb?flag=true&ids=1&ids=2"
    assert sent.headers["user-agent"] == "asyncdam-tests"
    assert sent.headers["accept"] == "application/json"
    # The codings the engine's bounded decoder reads are asked for (httpx's own default is
    # added only by `client.build_request`, which the engine does not use).
    assert sent.headers["accept-encoding"] == "gzip, deflate"


async def test_a_gzip_answer_is_decoded(mock: respx.MockRouter, clock: RecordingClock) -> None:
    body = gzip.compress(json.dumps({"ok": "zipped"}).encode())
    mock.get("/z").respond(200, content=body, headers={"Content-Encoding": "gzip"})
    async with engine(clock) as eng:
        response = await eng.bind(dialect()).send(Request(method="GET", path="/z"))
    assert response.json() == {"ok": "zipped"}


@pytest.mark.parametrize("bad", ["..", ".", "", None, 1.5])
def test_path_values_that_could_change_the_route_are_refused(bad: Any) -> None:
    with pytest.raises(InvalidRequestError):
        Request(method="GET", path="/items/{item_id}", path_params={"item_id": bad}).rendered_path()


def test_query_and_fragment_characters_are_encoded_in_paths() -> None:
    path = Request(
        method="GET", path="/items/{i}", path_params={"i": "x?y#z\r\n\x00é"}
    ).rendered_path()
    assert path == "/items/x%3Fy%23z%0D%0A%00%C3%A9"


def test_header_injection_is_refused() -> None:
    with pytest.raises(InvalidRequestError):
        Request(method="GET", path="/x", headers={"X-Test": "a\r\nInjected: 1"})


def test_plain_http_only_to_loopback_unless_opted_in() -> None:
    with pytest.raises(InsecureTransportError):
        check_base_url("http://dam.example.org")
    assert str(check_base_url("http://127.0.0.1:8400/v2")) == "http://127.0.0.1:8400/v2/"
    assert (
        check_base_url("http://dam.example.org", allow_insecure_http=True).host == "dam.example.org"
    )
    with pytest.raises(InsecureTransportError):
        check_base_url("https://user:pw@dam.example.org")


async def test_not_modified_returns_the_stored_body_and_refunds(
    mock: respx.MockRouter, clock: RecordingClock
) -> None:
    calls: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"', "X-Rate-Limit-Remaining": "9"})
        return httpx.Response(200, json=[1, 2, 3], headers={"ETag": '"v1"'})

    mock.get("/keys").mock(side_effect=respond)
    async with engine(clock) as eng:
        client = eng.bind(dialect())
        first = await client.send(Request(method="GET", path="/keys"))
        second = await client.send(Request(method="GET", path="/keys"))
        assert not first.from_cache
        assert second.from_cache and second.status == 200 and second.json() == [1, 2, 3]
        assert "if-none-match" not in calls[0].headers
        assert calls[1].headers["if-none-match"] == '"v1"'
        assert eng.stats.not_modified == 1


async def test_cache_is_keyed_by_credential(mock: respx.MockRouter, clock: RecordingClock) -> None:
    route = mock.get("/keys").respond(200, json=[], headers={"ETag": '"e"'})
    async with engine(clock) as eng:
        await eng.bind(dialect()).send(Request(method="GET", path="/keys"))
        other = BaseDialect(name="test", base_url=check_base_url(BASE), credential_id="cred2")
        await eng.bind(other).send(Request(method="GET", path="/keys"))
    assert "if-none-match" not in route.calls.last.request.headers


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "2"}, 2.0),
        ({"Retry-After": "Tue, 14 Nov 2023 22:13:22 GMT"}, 2.0),  # start + 2 s as an HTTP date
    ],
)
async def test_retry_after_forms_are_obeyed(
    mock: respx.MockRouter, clock: RecordingClock, headers: dict[str, str], expected: float
) -> None:
    mock.get("/x").mock(side_effect=[httpx.Response(503, headers=headers), httpx.Response(200)])
    async with engine(clock) as eng:
        response = await eng.bind(dialect()).send(Request(method="GET", path="/x"))
        assert response.status == 200 and response.attempts == 2
        assert eng.stats.retries == 1
    assert clock.sleeps and abs(clock.sleeps[-1] - expected) < 1.0


async def test_garbled_rate_limit_headers_never_produce_absurd_waits(
    mock: respx.MockRouter, clock: RecordingClock
) -> None:
    garbled = {
        "X-Rate-Limit-Limit": "abc",
        "X-Rate-Limit-Remaining": "0",
        "X-Rate-Limit-Reset": "-5",
    }
    mock.get("/x").mock(
        side_effect=[httpx.Response(429, headers=garbled), httpx.Response(200, headers=garbled)]
    )
    async with engine(clock) as eng:
        response = await eng.bind(dialect()).send(Request(method="GET", path="/x"))
    assert response.status == 200
    assert all(0 <= s <= 60 for s in clock.sleeps)


async def test_sent_post_is_not_retried(mock: respx.MockRouter, clock: RecordingClock) -> None:
    route = mock.post("/uploads").respond(503)
    async with engine(clock) as eng:
        with pytest.raises(ServerError) as info:
            await eng.bind(dialect()).send(Request(method="POST", path="/uploads", json={}))
    assert route.call_count == 1
    assert info.value.status == 503 and info.value.attempts == 1


async def test_unsent_post_is_retried(mock: respx.MockRouter, clock: RecordingClock) -> None:
    route = mock.post("/uploads").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(201, json={"id": 1})]
    )
    async with engine(clock) as eng:
        response = await eng.bind(dialect()).send(Request(method="POST", path="/uploads", json={}))
    assert route.call_count == 2 and response.status == 201


async def test_transport_failure_carries_the_attempt_count(
    mock: respx.MockRouter, clock: RecordingClock
) -> None:
    mock.get("/x").mock(side_effect=httpx.ReadError("reset"))
    async with engine(clock) as eng:
        with pytest.raises(TransportError) as info:
            await eng.bind(dialect()).send(Request(method="GET", path="/x"))
    assert info.value.attempts == 3
    assert "after 3 attempts" in str(info.value)


async def test_status_errors_are_typed_and_redacted(
    mock: respx.MockRouter, clock: RecordingClock
) -> None:
    mock.get("/missing").respond(404, json={"message": "Not Found"})
    body = {"message": "Validation failed", "errors": [{"field": "name", "message": "is blank"}]}
    mock.post("/keys").respond(422, json=body)
    async with engine(clock) as eng:
        client = eng.bind(dialect())
        with pytest.raises(NotFound) as nf:
            await client.send(
                Request(method="GET", path="/missing", query={"oauth_token": "s3cr3t"})
            )
        with pytest.raises(ValidationFailed) as vf:
            await client.send(Request(method="POST", path="/keys", json={"name": ""}))
    assert nf.value.status == 404 and nf.value.method == "GET"
    assert "s3cr3t" not in str(nf.value) and "s3cr3t" not in nf.value.url
    assert [(e.field, e.message) for e in vf.value.field_errors] == [("name", "is blank")]
    assert "name: is blank" in str(vf.value)


async def test_rate_limited_error_has_reset_time(
    mock: respx.MockRouter, clock: RecordingClock
) -> None:
    reset = int(clock.now()) + 30
    headers = {
        "X-Rate-Limit-Limit": "10",
        "X-Rate-Limit-Remaining": "0",
        "X-Rate-Limit-Reset": str(reset),
    }
    mock.get("/x").respond(429, headers=headers, json={"message": "Rate limit exceeded"})
    async with engine(clock, retry=RetryPolicy(max_attempts=1)) as eng:
        with pytest.raises(RateLimited) as info:
            await eng.bind(dialect()).send(Request(method="GET", path="/x"))
    assert info.value.reset_at == reset


async def test_absolute_urls_must_stay_on_the_origin(clock: RecordingClock) -> None:
    async with engine(clock) as eng:
        with pytest.raises(InvalidRequestError):
            await eng.bind(dialect()).send(
                Request(method="GET", url="https://evil.example.net/v1/keys?page=2")
            )


async def test_streaming_download_yields_exact_bytes(
    mock: respx.MockRouter, clock: RecordingClock
) -> None:
    payload = bytes(range(256)) * 100 + "é".encode("utf-16")
    mock.get("/file").respond(200, content=payload, headers={"Content-Type": "text/plain"})
    async with engine(clock) as eng:
        async with eng.bind(dialect()).stream(Request(method="GET", path="/file")) as resp:
            chunks = [c async for c in resp.aiter_bytes(1000)]
    assert b"".join(chunks) == payload


async def test_hooks_and_stats(mock: respx.MockRouter, clock: RecordingClock) -> None:
    mock.get("/x").mock(side_effect=[httpx.Response(500), httpx.Response(200, content=b"abc")])
    seen: list[Event] = []

    async def on_response(event: Event) -> None:
        seen.append(event)

    hooks = Hooks(response=[on_response], retry=[seen.append])
    async with engine(clock, hooks=hooks) as eng:
        await eng.bind(dialect()).send(Request(method="GET", path="/x"))
        stats = eng.stats.as_dict()
    assert [e.kind for e in seen] == ["response", "retry", "response"]
    assert stats["requests"] == 2 and stats["retries"] == 1
    assert stats["responses"] == {"5xx": 1, "2xx": 1}
    assert stats["bytes_received"] == 3
    json.dumps(stats)


async def test_a_failing_hook_does_not_fail_the_request(
    mock: respx.MockRouter, clock: RecordingClock
) -> None:
    mock.get("/x").respond(200)

    def broken(event: Event) -> None:
        raise RuntimeError("tracing bug")

    async with engine(clock, hooks=Hooks(request=[broken])) as eng:
        assert (await eng.bind(dialect()).send(Request(method="GET", path="/x"))).status == 200


async def test_a_request_cancelled_in_flight_keeps_its_token_spent(clock: RecordingClock) -> None:
    """The server may have counted a request we gave up on: its token is not refunded."""
    import anyio

    from asyncdam.engine.limiter import LocalLimiter
    from asyncdam.engine.types import Rate

    started = anyio.Event()

    async def slow_handler(request: httpx.Request) -> httpx.Response:
        started.set()
        await anyio.sleep(10)
        return httpx.Response(200)

    limiter = LocalLimiter(clock=clock)
    async with engine(clock, limiter=limiter, transport=httpx.MockTransport(slow_handler)) as eng:
        d = dialect(initial_rate=Rate(5, 60))
        client = eng.bind(d)
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.send, Request(method="GET", path="/x"))
            await started.wait()
            tg.cancel_scope.cancel()
        snapshot = limiter.snapshot(d.scope_for(Request(method="GET", path="/x")))
    assert snapshot["in_flight"] == 0
    assert snapshot["tokens"] == 4


def test_public_surface_exports_the_three_clients_lazily() -> None:
    import asyncdam

    for name in ("Phrase", "Phraseanet", "OpenAsset", "Engine", "SQLiteCache", "Paginator"):
        assert name in asyncdam.__all__ and getattr(asyncdam, name) is not None
    with pytest.raises(AttributeError):
        _ = asyncdam.NoSuchThing  # type: ignore[attr-defined]


def test_http2_without_its_extra_is_a_clear_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    from asyncdam.engine.errors import ConfigurationError

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "h2" else real(name, *a)
    )
    with pytest.raises(ConfigurationError, match=r"asyncdam\[http2\]"):
        Engine(http2=True)


async def test_cancelled_inside_a_throttle_hook_leaks_no_slot(clock: RecordingClock) -> None:
    """Hooks may await; a cancellation while one runs must still give the permit back."""
    import anyio

    from asyncdam.engine.limiter import LocalLimiter
    from asyncdam.engine.types import Rate

    in_hook = anyio.Event()

    async def stuck(event: Event) -> None:
        in_hook.set()
        await anyio.sleep_forever()

    limiter = LocalLimiter(clock=clock)
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    hooks = Hooks(throttle=[stuck])
    async with engine(clock, limiter=limiter, transport=transport, hooks=hooks) as eng:
        d = dialect(initial_rate=Rate(1, 60))
        client = eng.bind(d)
        await client.send(Request(method="GET", path="/x"))  # spends the only token
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.send, Request(method="GET", path="/x"))  # waits, then hooks
            await in_hook.wait()
            tg.cancel_scope.cancel()
        snapshot = limiter.snapshot(d.scope_for(Request(method="GET", path="/x")))
    assert snapshot["in_flight"] == 0


async def test_streamed_requests_reach_the_request_and_response_hooks(
    mock: respx.MockRouter, clock: RecordingClock
) -> None:
    mock.get("/file").respond(200, content=b"abc")
    seen: list[str] = []
    hooks = Hooks(request=[lambda e: seen.append(e.kind)], response=[lambda e: seen.append(e.kind)])
    async with engine(clock, hooks=hooks) as eng:
        async with eng.bind(dialect()).stream(Request(method="GET", path="/file")) as resp:
            assert await resp.read() == b"abc"
    assert seen == ["request", "response"]
