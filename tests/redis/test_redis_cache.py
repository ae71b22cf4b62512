"""The Redis cache storage: round trips, bounds, TTL, corrupt entries, sharing via the Engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from redis_proc import RedisServer

from asyncdam.engine.cache_storage import CorruptEntryError
from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.protocols import CacheEntry, CacheStorage
from asyncdam.engine.redis import RedisBackend, RedisCache
from asyncdam.engine.request import Request
from asyncdam.engine.session import Engine

pytestmark = pytest.mark.redis

ENTRY = CacheEntry(
    status=200,
    headers=(("content-type", "application/json"), ("link", "<a>"), ("link", "<b>")),
    content=b'{"id": 1, "name": "caf\xc3\xa9"}',
    etag='W/"abc"',
    last_modified="Mon, 23 Nov 2026 10:00:00 GMT",
    stored_at=1_795_000_000.25,
)


@pytest.fixture
async def backend(redis_server: RedisServer, key_prefix: str) -> AsyncIterator[RedisBackend]:
    """A backend on the shared test server."""
    made = RedisBackend(redis_server.url, key_prefix=key_prefix, max_entry_bytes=4096)
    yield made
    await made.aclose()


async def test_round_trip_keeps_every_field(backend: RedisBackend) -> None:
    cache = backend.cache
    assert isinstance(cache, CacheStorage)
    assert await cache.get("k1") is None
    await cache.set("k1", ENTRY)
    assert await cache.get("k1") == ENTRY
    bare = CacheEntry(200, (), b"", None, None, 1.0)
    await cache.set("k1", bare)
    assert await cache.get("k1") == bare
    await cache.delete("k1")
    assert await cache.get("k1") is None
    await cache.delete("k1")


async def test_entries_carry_a_ttl_and_live_under_the_prefix(
    backend: RedisBackend, key_prefix: str
) -> None:
    await backend.cache.set("k2", ENTRY)
    keys = [k.decode() for k in await backend.client.keys(f"{key_prefix}:*")]
    assert keys == [f"{key_prefix}:cache:k2"]
    ttl = await backend.client.ttl(keys[0])
    assert 0 < ttl <= 7 * 86400


async def test_oversized_entry_is_skipped_and_drops_the_old_one(backend: RedisBackend) -> None:
    await backend.cache.set("k3", ENTRY)
    huge = CacheEntry(200, (), b"x" * 5000, '"e"', None, 2.0)
    await backend.cache.set("k3", huge)
    assert await backend.cache.get("k3") is None


async def test_a_corrupt_entry_raises_the_storage_error(
    backend: RedisBackend, key_prefix: str
) -> None:
    await backend.client.hset(f"{key_prefix}:cache:bad", mapping={"status": "x", "content": "1"})
    with pytest.raises(CorruptEntryError):
        await backend.cache.get("bad")


async def test_short_ttl_expires_entries(redis_server: RedisServer, key_prefix: str) -> None:
    backend = RedisBackend(redis_server.url, key_prefix=key_prefix)
    cache = RedisCache(backend.client, key_prefix=key_prefix, ttl_seconds=0.05)
    try:
        await cache.set("k", ENTRY)
        pttl = await backend.client.pttl(f"{key_prefix}:cache:k")
        assert 0 < pttl <= 50
    finally:
        await backend.aclose()


async def test_two_engines_share_validators_through_redis(
    redis_server: RedisServer, key_prefix: str
) -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("if-none-match"))
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"etag": '"v1"'})
        return httpx.Response(200, json={"ok": True}, headers={"etag": '"v1"'})

    dialect = BaseDialect(
        name="test", base_url=check_base_url("http://127.0.0.1:9/api/"), credential_id="c0ffee"
    )
    bodies = []
    for _ in range(2):
        backend = RedisBackend(redis_server.url, key_prefix=key_prefix)
        async with Engine(backend=backend, transport=httpx.MockTransport(handler)) as engine:
            assert engine.limiter is backend.limiter
            response = await engine.send(dialect, Request(method="GET", path="/items"))
            bodies.append((response.status, response.from_cache, response.json()))
    # The second engine (another worker) revalidated with the first one's ETag and got a 304.
    assert seen == [None, '"v1"']
    assert bodies == [(200, False, {"ok": True}), (200, True, {"ok": True})]
    # Keys hold the credential hash only, through the engine's key recipe.
    probe = RedisBackend(redis_server.url, key_prefix=key_prefix)
    try:
        keys = await probe.client.keys(f"{key_prefix}:cache:*")
        assert len(keys) == 1
    finally:
        await probe.aclose()
