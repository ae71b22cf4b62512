"""`max_throttle_wait` with the shared Redis limiter: a far quota reset is refused at once, as
`WaitRefused` from the limiter and `QuotaWaitTooLong` from the engine, leaving no place in line."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from redis_proc import RedisServer

from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.errors import QuotaWaitTooLong
from asyncdam.engine.redis import RedisBackend
from asyncdam.engine.request import Request
from asyncdam.engine.session import Engine
from asyncdam.engine.types import Rate, RateLimitInfo, WaitRefused

pytestmark = pytest.mark.redis


@pytest.fixture
async def backend(redis_server: RedisServer, key_prefix: str) -> AsyncIterator[RedisBackend]:
    made = RedisBackend(redis_server.url, key_prefix=key_prefix, lease_seconds=3)
    yield made
    await made.aclose()


async def test_the_shared_limiter_refuses_a_far_reset(backend: RedisBackend) -> None:
    limiter = backend.shared_limiter
    permit = await limiter.acquire("scope", concurrency=2, initial_rate=Rate(100, 60))
    now = time.time()
    permit.observe(RateLimitInfo(limit=100, remaining=0, reset_at=now + 3000), now)
    await permit.release()
    with anyio.fail_after(5), pytest.raises(WaitRefused) as caught:
        await limiter.acquire("scope", concurrency=2, initial_rate=None, max_wait=60.0)
    assert caught.value.wait > 2900
    assert (await limiter.snapshot("scope"))["waiting"] == 0


async def test_the_engine_turns_it_into_quota_wait_too_long(backend: RedisBackend) -> None:
    reset = str(int(time.time()) + 3000)

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"X-Rate-Limit-Limit": "10", "X-Rate-Limit-Remaining": "0"}
        return httpx.Response(200, json={}, headers={**headers, "X-Rate-Limit-Reset": reset})

    engine = Engine(backend=backend, transport=httpx.MockTransport(handler), max_throttle_wait=60.0)
    client = engine.bind(BaseDialect(name="t", base_url=check_base_url("https://x.example")))
    await client.send(Request(method="GET", path="/a"))
    with anyio.fail_after(5), pytest.raises(QuotaWaitTooLong) as caught:
        await client.send(Request(method="GET", path="/a"))
    assert caught.value.reset_at is not None and caught.value.reset_at > time.time() + 2900
