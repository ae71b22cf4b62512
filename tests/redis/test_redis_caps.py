"""The shared limiter's cap rule: in one process, a scope's cap is the smallest one asked for."""

from __future__ import annotations

import asyncio

import pytest
from redis_proc import RedisServer

from asyncdam.engine.redis import RedisBackend

pytestmark = pytest.mark.redis


async def test_a_larger_cap_does_not_lift_a_smaller_one(
    redis_server: RedisServer, key_prefix: str
) -> None:
    backend = RedisBackend(redis_server.url, key_prefix=key_prefix, lease_seconds=3)
    limiter = backend.shared_limiter
    try:
        first = await limiter.acquire("scope", concurrency=1, initial_rate=None)
        # A client asking for 50 in the same scope waits for the one slot the first allowed.
        waiting = asyncio.ensure_future(limiter.acquire("scope", concurrency=50, initial_rate=None))
        done, _ = await asyncio.wait({waiting}, timeout=0.3)
        assert not done
        assert (await limiter.snapshot("scope"))["in_flight"] == 1
        await first.release()
        second = await asyncio.wait_for(waiting, 5)
        await second.release()
    finally:
        await backend.aclose()
