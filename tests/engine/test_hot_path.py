"""The per-request shortcuts give the same answers as the long way round: cache keys (stable for
stored SQLite/Redis entries), canonical URLs, store decisions, cached dialect wire forms, the
memoised path, and the limiter's no-queue fast path."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import anyio
import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from asyncdam.engine.cache import (
    _canonical_url_parsed,
    cache_key,
    canonical_url,
    entry_from,
    entry_to_store,
    should_store,
)
from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.limiter import LocalLimiter
from asyncdam.engine.request import Request, Response
from asyncdam.engine.types import RateLimitInfo
from asyncdam.engine.wire import DialectWire, WireCache, build_request

_PIECES = st.sampled_from(
    [*"aZ09-._~/?&=#%:@[]! \t\\", "é", "\x00", "%2f", "%7E", "?a=1&b", "//", "HTTPS", ":443"]
)
_PREFIXES = st.sampled_from(
    ["http://", "https://", "HTTPS://", "h:", "", "1a://", "a/b://", "http:///", "https://H:443"]
)


def _either(url: str) -> tuple[str, object]:
    try:
        return "ok", canonical_url(url)
    except ValueError as exc:
        return "error", type(exc)


def _parsed(url: str) -> tuple[str, object]:
    try:
        return "ok", _canonical_url_parsed(url)
    except ValueError as exc:
        return "error", type(exc)


@settings(max_examples=1500, deadline=None)
@given(prefix=_PREFIXES, rest=st.lists(_PIECES, max_size=20).map("".join))
def test_canonical_url_fast_path_matches_the_full_parse(prefix: str, rest: str) -> None:
    url = prefix + rest
    assert _either(url) == _parsed(url)


def test_canonical_url_fast_path_examples() -> None:
    assert canonical_url("HTTPS://Api.Example.com:443/v2/k?b=2&a=1&&") == (
        "https://api.example.com/v2/k?a=1&b=2"
    )
    assert canonical_url("http://127.0.0.1:8400?x=1") == "http://127.0.0.1:8400/?x=1"


@settings(max_examples=500, deadline=None)
@given(
    credential=st.one_of(st.none(), st.text(max_size=12)),
    method=st.sampled_from(["GET", "get", " Get ", "HEAD"]),
    url=st.one_of(
        st.text(max_size=30),
        st.text(alphabet='abc/?=&%2F é"\\', max_size=20).map(lambda t: "https://h.io/" + t),
    ),
    accept=st.one_of(st.none(), st.text(max_size=20)),
)
def test_cache_key_is_the_versioned_json_recipe(
    credential: str | None, method: str, url: str, accept: str | None
) -> None:
    # The recipe named by "asyncdam-cache-1": persistent caches keep their keys across releases.
    parts = [
        "asyncdam-cache-1",
        credential or "",
        method.strip().upper(),
        canonical_url(url),
        " ".join((accept or "").split()),
    ]
    expected = hashlib.sha256(json.dumps(parts).encode()).hexdigest()
    assert cache_key(credential, method, url, accept) == expected


def test_cache_key_of_a_known_url_is_pinned() -> None:
    # Computed with the json.dumps recipe before the fast path existed.
    key = cache_key("cred", "GET", "https://h.io/v2/keys?page=2", "application/json")
    text = '["asyncdam-cache-1", "cred", "GET", "https://h.io/v2/keys?page=2", "application/json"]'
    assert key == hashlib.sha256(text.encode()).hexdigest()


_HEADER_NAMES = st.sampled_from(
    [
        "etag",
        "ETag",
        "last-modified",
        "cache-control",
        "vary",
        "content-type",
        "set-cookie",
        "x-sessionkey",
        "connection",
        "link",
    ]
)
_HEADER_VALUES = st.sampled_from(
    ['"a"', "", " ", "no-store", "No-Store=1, max-age=3", "private, no-store", "*", "a, *", "x"]
)


@settings(max_examples=500, deadline=None)
@given(
    headers=st.lists(st.tuples(_HEADER_NAMES, _HEADER_VALUES), max_size=6),
    method=st.sampled_from(["GET", "get", "POST"]),
    status=st.sampled_from([200, 201, 304]),
)
def test_entry_to_store_agrees_with_should_store_and_entry_from(
    headers: list[tuple[str, str]], method: str, status: int
) -> None:
    response = Response(
        status=status,
        headers=httpx.Headers(headers),
        content=b"{}",
        method=method,
        url="https://h.io/x",
    )
    entry = entry_to_store(response, 5.0)
    if status == 200 and should_store(True, status, response.headers):
        assert entry == entry_from(response, 5.0)
    else:
        assert entry is None


def _dialect(**overrides: object) -> BaseDialect:
    fields: dict[str, object] = {
        "name": "t",
        "base_url": check_base_url("https://api.example.com/v2"),
        "default_headers": {"User-Agent": "ua", "Accept": "application/json"},
    }
    fields.update(overrides)
    return BaseDialect(**fields)  # type: ignore[arg-type]


def _wire_form(request: httpx.Request) -> tuple[str, str, list[tuple[str, str]]]:
    return request.method, str(request.url), request.headers.multi_items()


def test_build_request_with_a_cached_wire_equals_building_afresh() -> None:
    dialect = _dialect()
    wires = WireCache()
    request = Request(
        method="GET",
        path="/projects/{id}/keys",
        path_params={"id": "a b/c"},
        query={"page": 2, "q": ["x", "y"], "none": None},
        headers={"X-Extra": "1", "user-agent": "override"},
    )
    fresh = build_request(dialect, request, {"If-None-Match": '"e"'})
    cached = build_request(dialect, request, {"If-None-Match": '"e"'}, wires.get(dialect))
    again = build_request(dialect, request, {"If-None-Match": '"e"'}, wires.get(dialect))
    assert _wire_form(fresh) == _wire_form(cached) == _wire_form(again)
    assert str(cached.url) == "https://api.example.com/v2/projects/a%20b%2Fc/keys?page=2&q=x&q=y"
    assert cached.headers["user-agent"] == "override"
    # The cached template itself is never changed by a request's own headers.
    assert wires.get(dialect).headers["user-agent"] == "ua"


def test_wire_cache_follows_a_dialect_that_changed() -> None:
    dialect = _dialect()
    wires = WireCache()
    first = wires.get(dialect)
    assert wires.get(dialect) is first
    dialect.default_headers = {"User-Agent": "other"}
    changed = wires.get(dialect)
    assert changed is not first and changed.headers["user-agent"] == "other"
    dialect.base_url = check_base_url("https://eu.example.com/")
    moved = wires.get(dialect)
    assert moved.base_text == "https://eu.example.com/"
    request = Request(method="GET", path="/x")
    assert str(build_request(dialect, request, {}, moved).url) == "https://eu.example.com/x"


def test_wire_cache_stays_bounded() -> None:
    wires = WireCache()
    dialects = [_dialect(name=f"d{i}") for i in range(WireCache.MAX_DIALECTS * 2 + 3)]
    for dialect in dialects:
        assert isinstance(wires.get(dialect), DialectWire)
    assert len(wires._wires) <= WireCache.MAX_DIALECTS


def test_rendered_path_is_kept_and_evolve_renders_again() -> None:
    request = Request(method="get", path="/a/{x}", path_params={"x": "b c"})
    assert request.rendered_path() == "/a/b%20c"
    assert request.rendered_path() is request.rendered_path()
    assert request.evolve(path_params={"x": "z"}).rendered_path() == "/a/z"
    # The kept rendering is no part of a request's identity.
    assert request == Request(method="GET", path="/a/{x}", path_params={"x": "b c"})
    assert "b%20c" not in repr(request)


def test_a_free_slot_is_taken_at_once_without_waiting(run_async: Any, fake_clock: Any) -> None:
    async def main() -> tuple[float, float, int]:
        limiter = LocalLimiter(clock=fake_clock)
        first = await limiter.acquire("s", concurrency=2, initial_rate=None)
        second = await limiter.acquire("s", concurrency=2, initial_rate=None)
        in_flight = limiter.snapshot("s")["in_flight"]
        await first.release()
        await second.release()
        return first.waited, second.waited, in_flight

    assert run_async(main) == (0.0, 0.0, 2)


def test_an_answer_at_full_concurrency_lets_the_queue_wait_for_a_release(
    run_async: Any, fake_clock: Any
) -> None:
    async def main() -> list[str]:
        limiter = LocalLimiter(clock=fake_clock)
        holder = await limiter.acquire("s", concurrency=1, initial_rate=None)
        order: list[str] = []

        async def queued() -> None:
            permit = await limiter.acquire("s", concurrency=1, initial_rate=None)
            order.append("queued got a permit")
            await permit.release()

        async with anyio.create_task_group() as tg:
            tg.start_soon(queued)
            await anyio.wait_all_tasks_blocked()
            holder.observe(RateLimitInfo(limit=10, remaining=9, reset_at=None), fake_clock.now())
            await anyio.wait_all_tasks_blocked()
            order.append("answer observed")
            await holder.release()
        return order

    assert run_async(main) == ["answer observed", "queued got a permit"]
