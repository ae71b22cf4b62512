"""A worker process for the Redis tests: `python redis_worker.py MODE URL PREFIX [ARGS]`.

hold: take the only slot of a scope, print HELD, then sleep until killed.
work N HOLD_MS: try N permits (1.5 s each, concurrency 2, 4 per minute); count the processes
holding a slot at once with an atomic INCR; print a JSON line {"granted": g, "peaks": [...]}.
"""

from __future__ import annotations

import asyncio
import json
import sys

import redis.asyncio as aioredis

from asyncdam.engine.redis import RedisBackend
from asyncdam.engine.types import Rate


async def hold(url: str, prefix: str) -> None:
    backend = RedisBackend(url, key_prefix=prefix, lease_seconds=1.0)
    await backend.limiter.acquire("scope", concurrency=1, initial_rate=None)
    print("HELD", flush=True)
    await asyncio.sleep(3600)


async def work(url: str, prefix: str, n: int, hold_ms: int) -> None:
    backend = RedisBackend(url, key_prefix=prefix, lease_seconds=5.0)
    counter = aioredis.Redis.from_url(url)
    granted, peaks = 0, []
    for _ in range(n):
        try:
            permit = await asyncio.wait_for(
                backend.limiter.acquire("scope", concurrency=2, initial_rate=Rate(4, 60)), 1.5
            )
        except TimeoutError:
            continue
        granted += 1
        peaks.append(int(await counter.incr(f"{prefix}:holding")))
        await asyncio.sleep(hold_ms / 1000)
        await counter.decr(f"{prefix}:holding")
        await permit.release()
    print(json.dumps({"granted": granted, "peaks": peaks}), flush=True)
    await counter.aclose()
    await backend.aclose()


if __name__ == "__main__":
    mode, url, prefix = sys.argv[1:4]
    if mode == "hold":
        asyncio.run(hold(url, prefix))
    else:
        asyncio.run(work(url, prefix, int(sys.argv[4]), int(sys.argv[5])))
