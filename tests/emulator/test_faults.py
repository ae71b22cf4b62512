"""Fault injection: deterministic draws, and each fault as seen in-process and over loopback."""

from __future__ import annotations

import collections
import contextlib
import json
import math
import zlib
from collections.abc import AsyncIterator
from typing import Any

import anyio
import attrs
import httpx
import pytest
from tinyapp import PAYLOAD, tiny_app

from asyncdam.emulator.config import FaultConfig
from asyncdam.emulator.faults import (
    FAULT_ORDER,
    FaultMiddleware,
    bomb_chunks,
    decide,
    fault_sequence,
)
from asyncdam.emulator.runner import EmulatorServer
from asyncdam.emulator.transport import emulator_transport

MIXED = FaultConfig(
    error_rate=0.1,
    reset_rate=0.1,
    truncate_rate=0.1,
    burst_429_rate=0.05,
    slow_body_rate=0.1,
    jitter_ms=10,
    seed=7,
)


@attrs.define
class FakeSleep:
    """Records requested pauses instead of waiting them out."""

    calls: list[float] = attrs.field(factory=list)

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await anyio.lowlevel.checkpoint()


@pytest.fixture(params=["inprocess", "loopback"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextlib.asynccontextmanager
async def client_for(app: FaultMiddleware, mode: str) -> AsyncIterator[httpx.AsyncClient]:
    """A plain httpx client to `app`, through the in-process transport or a loopback server."""
    if mode == "inprocess":
        transport = emulator_transport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tiny.localhost") as c:
            yield c
    else:
        async with (
            EmulatorServer("tiny", app=app) as server,
            httpx.AsyncClient(base_url=server.base_url) as c,
        ):
            yield c


async def outcome(client: httpx.AsyncClient, path: str = "/hello") -> str:
    """One request summarised: the status, or 'broken' when the connection failed."""
    try:
        response = await client.get(path)
    except httpx.TransportError:
        return "broken"
    if response.status_code == 200:
        assert response.json() == PAYLOAD
    return str(response.status_code)


def predicted(faults: FaultConfig, count: int) -> list[str]:
    """What `outcome` should report for the first `count` requests (no burst follow-ups)."""
    names = {None: "200", "slow_body": "200", "reset": "broken", "truncate": "broken"}
    result = []
    for d in fault_sequence(faults, count):
        if d.kind == "error":
            result.append(str(d.error_status))
        elif d.kind == "burst_429":
            result.append("429")
        else:
            result.append(names[d.kind])
    return result


# --- pure draws ---------------------------------------------------------------------------------


def test_same_seed_gives_same_sequence() -> None:
    assert fault_sequence(MIXED, 300) == fault_sequence(MIXED, 300)
    other = attrs.evolve(MIXED, seed=8)
    assert [d.kind for d in fault_sequence(other, 300)] != [
        d.kind for d in fault_sequence(MIXED, 300)
    ]
    kinds = {d.kind for d in fault_sequence(MIXED, 300)}
    assert kinds == {None, *FAULT_ORDER[:5]}


def test_decision_depends_on_index_only() -> None:
    assert decide(MIXED, 41) == fault_sequence(MIXED, 50)[41]
    assert fault_sequence(MIXED, 10, start=40) == fault_sequence(MIXED, 50)[40:]


def test_rates_are_respected() -> None:
    faults = FaultConfig(error_rate=0.25, truncate_rate=0.1, seed=3)
    counts = collections.Counter(d.kind for d in fault_sequence(faults, 4000))
    assert 0.22 < counts["error"] / 4000 < 0.28
    assert 0.08 < counts["truncate"] / 4000 < 0.12
    assert counts["reset"] == counts["burst_429"] == counts["slow_body"] == 0
    statuses = {d.error_status for d in fault_sequence(faults, 200)}
    assert statuses == {500, 502, 503}


def test_certain_fault_and_order() -> None:
    assert {d.kind for d in fault_sequence(FaultConfig(reset_rate=1.0), 50)} == {"reset"}
    both = FaultConfig(error_rate=1.0, burst_429_rate=1.0)
    assert {d.kind for d in fault_sequence(both, 50)} == {"burst_429"}
    assert {d.kind for d in fault_sequence(FaultConfig(latency_ms=5), 50)} == {None}


def test_latency_and_jitter_bounds() -> None:
    faults = FaultConfig(latency_ms=30, jitter_ms=20, seed=1)
    delays = [d.delay_s for d in fault_sequence(faults, 500)]
    assert all(0.030 <= x < 0.050 for x in delays)
    assert max(delays) - min(delays) > 0.015


@pytest.mark.parametrize(
    "bad",
    [
        {"error_rate": 1.5},
        {"reset_rate": -0.1},
        {"latency_ms": -1.0},
        {"slow_body_ms": math.nan},
    ],
)
def test_invalid_config_is_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        tiny_app(FaultConfig(**bad))


# --- middleware at the ASGI level -------------------------------------------------------------


async def test_non_http_and_inactive_pass_through() -> None:
    seen: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    async def receive() -> dict[str, Any]:
        raise AssertionError("not expected to be called")

    async def send(message: Any) -> None:
        raise AssertionError("not expected to be called")

    everything = FaultConfig(error_rate=1.0, latency_ms=10_000)
    app = FaultMiddleware(inner, everything)
    await app({"type": "lifespan"}, receive, send)
    assert seen == ["lifespan"] and app.requests_seen == 0

    quiet = FaultMiddleware(inner, FaultConfig())
    await quiet({"type": "http", "method": "GET"}, receive, send)
    assert seen == ["lifespan", "http"] and quiet.requests_seen == 0


async def test_slow_body_is_chunked_with_configured_pauses() -> None:
    sleep = FakeSleep()
    app, hits = tiny_app(FaultConfig(slow_body_rate=1.0, slow_body_ms=80), sleep=sleep)
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        messages.append(message)

    scope = {"type": "http", "method": "GET", "path": "/hello", "headers": [], "query_string": b""}
    await app(scope, receive, send)
    bodies = [m for m in messages if m["type"] == "http.response.body"]
    assert len(bodies) == 8
    assert [m["more_body"] for m in bodies] == [True] * 7 + [False]
    assert json.loads(b"".join(m["body"] for m in bodies)) == PAYLOAD
    assert sum(sleep.calls) == pytest.approx(0.080)
    assert hits.count == 1


# --- each fault through httpx, in-process and over loopback ------------------------------------


async def test_outcomes_follow_the_seeded_sequence(mode: str) -> None:
    faults = attrs.evolve(MIXED, burst_429_rate=0.0, slow_body_ms=1.0)
    expected = predicted(faults, 60)
    for _ in range(2):  # a fresh app with the same seed replays the same faults
        app, _hits = tiny_app(faults, sleep=FakeSleep())
        async with client_for(app, mode) as client:
            assert [await outcome(client) for _ in range(60)] == expected


async def test_concurrent_requests_draw_by_arrival_index() -> None:
    faults = attrs.evolve(MIXED, burst_429_rate=0.0, slow_body_ms=1.0, jitter_ms=5.0)
    app, _hits = tiny_app(faults)
    results: list[str] = []
    async with client_for(app, "inprocess") as client:

        async def one() -> None:
            results.append(await outcome(client))

        async with anyio.create_task_group() as tg:
            for _ in range(40):
                tg.start_soon(one)
    # Completion order varies with jitter; the multiset of outcomes does not.
    assert collections.Counter(results) == collections.Counter(predicted(faults, 40))


async def test_injected_errors(mode: str) -> None:
    app, hits = tiny_app(FaultConfig(error_rate=1.0, seed=2))
    async with client_for(app, mode) as client:
        responses = [await client.get("/hello") for _ in range(30)]
    assert {r.status_code for r in responses} == {500, 502, 503}
    for r in responses:
        assert len(r.content) < 200
        if r.status_code == 500:
            assert "message" in r.json()
        else:
            assert r.headers["content-type"].startswith("text/html")
            assert str(r.status_code) in r.text
    assert hits.count == 0


async def test_connection_resets(mode: str) -> None:
    faults = FaultConfig(reset_rate=1.0, seed=5)
    app, hits = tiny_app(faults)
    async with client_for(app, mode) as client:
        for _ in range(20):
            with pytest.raises(httpx.TransportError) as info:
                await client.get("/hello")
            if mode == "inprocess":
                assert isinstance(info.value, httpx.ReadError)
    # Some resets happen after the app did its work, some before it ran at all.
    processed = sum(d.reset_after_app for d in fault_sequence(faults, 20))
    assert hits.count == processed and 0 < processed < 20


async def test_truncated_bodies(mode: str) -> None:
    app, _hits = tiny_app(FaultConfig(truncate_rate=1.0, seed=4))
    full = json.dumps(PAYLOAD, separators=(",", ":")).encode()
    async with client_for(app, mode) as client:
        for _ in range(10):
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get("/hello")
        received = bytearray()
        with pytest.raises(httpx.RemoteProtocolError):
            async with client.stream("GET", "/hello") as response:
                assert response.headers["content-length"] == str(len(full))
                async for chunk in response.aiter_raw():
                    received += chunk
        assert len(received) < len(full) and full.startswith(bytes(received))
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/empty")  # a 204 cannot end early, so a broken 200 stands in


async def test_head_requests_are_never_broken(mode: str) -> None:
    app, _hits = tiny_app(FaultConfig(reset_rate=0.5, truncate_rate=0.5))
    async with client_for(app, mode) as client:
        for _ in range(5):
            assert (await client.head("/hello")).status_code == 200


async def test_rate_limit_bursts(mode: str) -> None:
    faults = FaultConfig(burst_429_rate=0.2, seed=11)
    kinds = [d.kind for d in fault_sequence(faults, 200)]
    first = next(
        i
        for i in range(len(kinds) - 4)
        if kinds[i] == "burst_429" and kinds[i + 1 : i + 4] == [None] * 3
    )
    now = [1_700_000_000.25]
    app, hits = tiny_app(faults, rate_limit=500, clock=lambda: now[0])
    async with client_for(app, mode) as client:
        for i in range(first):
            assert (await client.get("/hello")).status_code == (429 if kinds[i] else 200)
            now[0] += 5.0  # each earlier burst is over before the next request
        hits.count = 0
        trigger = await client.get("/hello")
        reset = math.ceil(now[0] + 1.0)
        assert trigger.status_code == 429
        assert trigger.json() == {"message": "Rate limit exceeded"}
        assert trigger.headers["x-rate-limit-limit"] == "500"
        assert trigger.headers["x-rate-limit-remaining"] == "0"
        assert trigger.headers["x-rate-limit-reset"] == str(reset)
        now[0] += 0.5
        follow = await client.get("/hello")  # its own draw is clean, the burst still holds
        assert follow.status_code == 429 and follow.headers["x-rate-limit-reset"] == str(reset)
        assert hits.count == 0
        now[0] = reset
        assert (await client.get("/hello")).status_code == 200
        assert hits.count == 1


async def test_latency_is_slept_before_the_app(mode: str) -> None:
    faults = FaultConfig(latency_ms=30, jitter_ms=20, seed=9)
    sleep = FakeSleep()
    app, _hits = tiny_app(faults, sleep=sleep)
    async with client_for(app, mode) as client:
        for _ in range(10):
            assert (await client.get("/hello")).status_code == 200
    assert sleep.calls == [d.delay_s for d in fault_sequence(faults, 10)]


async def test_slow_bodies_arrive_whole(mode: str) -> None:
    app, hits = tiny_app(FaultConfig(slow_body_rate=1.0, slow_body_ms=20))
    async with client_for(app, mode) as client:
        for _ in range(3):
            response = await client.get("/hello")
            assert response.status_code == 200 and response.json() == PAYLOAD
    assert hits.count == 3


# --- hostile deployments: redirects, oversized, bomb and drip bodies ----------------------------


def _only(kind: str, **extra: Any) -> FaultConfig:
    return FaultConfig(**{f"{kind}_rate": 1.0}, seed=3, **extra)


def test_new_kinds_do_not_change_older_sequences() -> None:
    with_new = attrs.evolve(MIXED, redirect_rate=0.1, drip_rate=0.05)
    old = [d.kind for d in fault_sequence(MIXED, 200)]
    new = [d.kind for d in fault_sequence(with_new, 200)]
    # A request that drew an older fault still draws it; only fault-free ones may change.
    assert all(n == o for o, n in zip(old, new, strict=True) if o is not None)
    assert {"redirect", "drip"} <= set(new)


@pytest.mark.parametrize(
    "bad",
    [
        {"redirect_rate": 0.7, "oversize_rate": 0.7},
        {"bomb_bytes": 0},
        {"drip_interval_ms": -1.0},
        {"offsite_origin": "elsewhere.example"},
    ],
)
def test_invalid_hostile_config_is_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        FaultMiddleware(tiny_routes_app(), FaultConfig(**bad))


def tiny_routes_app() -> Any:
    from tinyapp import Hits, tiny_routes

    return tiny_routes(Hits())


async def test_same_origin_redirect_points_at_the_same_url(mode: str) -> None:
    app, hits = tiny_app(_only("redirect"))
    async with client_for(app, mode) as client:
        response = await client.get("/hello?a=1&b=%2F")
    assert response.status_code in (301, 302, 307, 308)
    assert hits.count == 0
    location = httpx.URL(response.headers["location"])
    assert location.path == "/hello" and location.query == b"a=1&b=%2F"
    assert location.host == response.request.url.host


async def test_offsite_redirect_and_method_keeping_status(mode: str) -> None:
    app, _ = tiny_app(_only("offsite_redirect", offsite_origin="https://other.invalid"))
    async with client_for(app, mode) as client:
        response = await client.post("/hello", content=b"{}")
    assert response.status_code in (307, 308)
    assert response.headers["location"] == "https://other.invalid/hello"


async def test_redirect_followed_reaches_the_resource() -> None:
    app, hits = tiny_app(FaultConfig(redirect_rate=0.5, seed=1))
    transport = emulator_transport(app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://tiny.localhost", follow_redirects=True
    ) as client:
        for _ in range(10):
            response = await client.get("/hello")
            assert response.json() == PAYLOAD
    assert hits.count == 10


@pytest.mark.parametrize("size", [1, 13, 14, 200_003])
async def test_oversized_body_has_the_configured_size(size: int) -> None:
    app, hits = tiny_app(_only("oversize", oversize_bytes=size))
    async with client_for(app, "inprocess") as client:
        for _ in range(4):  # both the announced and the chunked variant
            response = await client.get("/hello")
            assert response.status_code == 200 and len(response.content) == size
            if size >= 14:
                assert response.json()["padding"] == "x" * (size - 14)
    assert hits.count == 0


async def test_oversized_body_is_streamed_over_loopback() -> None:
    size = 3 * 1024 * 1024 + 5
    app, _ = tiny_app(_only("oversize", oversize_bytes=size))
    lengths = []
    async with client_for(app, "loopback") as client:
        for _ in range(4):
            async with client.stream("GET", "/hello") as response:
                lengths.append(response.headers.get("content-length"))
                chunks = [len(c) async for c in response.aiter_raw()]
            assert sum(chunks) == size and len(chunks) > 1
    assert str(size) in lengths and None in lengths


def test_bomb_stream_is_valid_gzip_of_the_stated_size() -> None:
    for size in (1, 1024 * 1024, 3 * 1024 * 1024 + 17):
        inflater = zlib.decompressobj(31)
        wire = 0
        inflated = 0
        for chunk in bomb_chunks(size):
            wire += len(chunk)
            inflated += len(inflater.decompress(chunk))
        assert inflated == size and inflater.eof
        assert wire < size // 500 + 2048


async def test_bomb_body_inflates_far_beyond_its_wire_size(mode: str) -> None:
    size = 64 * 1024 * 1024
    app, _ = tiny_app(_only("bomb", bomb_bytes=size))
    async with client_for(app, mode) as client:
        async with client.stream("GET", "/hello") as response:
            assert response.headers["content-encoding"] == "gzip"
            wire = inflated = 0
            async for _ in response.aiter_raw():
                wire = response.num_bytes_downloaded
            assert wire < size // 500
        async with client.stream("GET", "/hello") as response:
            async for chunk in response.aiter_bytes():
                inflated += len(chunk)
                if inflated > 1024 * 1024:
                    break  # what a bounded client does: stop at its limit
    assert inflated > 1024 * 1024


async def test_drip_sends_one_byte_per_pause() -> None:
    sleep = FakeSleep()
    app, hits = tiny_app(_only("drip", drip_interval_ms=40.0), sleep=sleep)
    async with client_for(app, "inprocess") as client:
        response = await client.get("/hello")
    assert response.json() == PAYLOAD and hits.count == 1
    assert len(sleep.calls) == len(response.content)
    assert set(sleep.calls) == {0.04}


async def test_head_is_spared_body_faults(mode: str) -> None:
    for kind in ("oversize", "bomb", "drip"):
        app, hits = tiny_app(_only(kind))
        async with client_for(app, mode) as client:
            response = await client.head("/hello")
        assert response.status_code == 200 and hits.count == 1
