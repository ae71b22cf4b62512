"""The shared limiter on a real redis-server: quota, concurrency cap, FIFO, leases, refunds."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis_proc import RedisServer

from asyncdam.engine.redis import RedisBackend, RedisLimiter
from asyncdam.engine.types import Rate, RateLimitInfo

pytestmark = pytest.mark.redis
WORKER = Path(__file__).with_name("redis_worker.py")


@pytest.fixture
async def backends(redis_server: RedisServer, key_prefix: str) -> AsyncIterator[list[RedisBackend]]:
    """Four backends with separate connection pools, as four workers would have."""
    made = [
        RedisBackend(redis_server.url, key_prefix=key_prefix, lease_seconds=3) for _ in range(4)
    ]
    yield made
    for backend in made:
        await backend.aclose()


async def try_acquire(
    limiter: RedisLimiter, within: float, *, concurrency: int = 2, rate: Rate | None = None
) -> bool:
    """True (and the permit released) when a permit came within `within` seconds."""
    try:
        permit = await asyncio.wait_for(
            limiter.acquire("scope", concurrency=concurrency, initial_rate=rate), within
        )
    except TimeoutError:
        return False
    await permit.release()
    return True


async def test_never_more_grants_than_the_limit_per_window(backends: list[RedisBackend]) -> None:
    rate = Rate(limit=5, window=60)
    results = await asyncio.gather(
        *(try_acquire(b.shared_limiter, 1.0, rate=rate) for b in backends for _ in range(5))
    )
    assert sum(results) == 5
    snapshot = await backends[0].shared_limiter.snapshot("scope")
    assert snapshot["tokens"] == 0
    assert snapshot["in_flight"] == 0
    # Cancelled waiters left the line.
    assert snapshot["waiting"] == 0


async def test_window_refills_after_it_ends(backends: list[RedisBackend]) -> None:
    rate = Rate(limit=2, window=0.3)
    limiter = backends[0].shared_limiter
    waits = []
    for _ in range(5):
        permit = await limiter.acquire("scope", concurrency=2, initial_rate=rate)
        waits.append(permit.waited)
        await permit.release()
    # Grants 3 and 5 each had to wait for a new window.
    assert waits[2] > 0.05 and waits[4] > 0.05


async def test_concurrency_cap_holds_across_connections(backends: list[RedisBackend]) -> None:
    holding = 0
    peak = 0

    async def one(backend: RedisBackend) -> None:
        nonlocal holding, peak
        permit = await backend.shared_limiter.acquire("scope", concurrency=2, initial_rate=None)
        holding += 1
        peak = max(peak, holding)
        await asyncio.sleep(0.01)
        holding -= 1
        await permit.release()

    await asyncio.gather(*(one(b) for b in backends for _ in range(6)))
    assert peak == 2
    assert (await backends[0].shared_limiter.snapshot("scope"))["in_flight"] == 0


async def test_waiters_are_served_first_come_first_served(backends: list[RedisBackend]) -> None:
    first = backends[0].shared_limiter
    holder = await first.acquire("scope", concurrency=1, initial_rate=None)
    order: list[int] = []

    async def wait_in_line(i: int) -> None:
        permit = await backends[i].shared_limiter.acquire("scope", concurrency=1, initial_rate=None)
        order.append(i)
        await permit.release()

    tasks = []
    # One waiter per process (backend): each stands in the shared line in turn.
    for i in range(4):
        tasks.append(asyncio.create_task(wait_in_line(i)))
        # Let each one join the queue before the next.
        while (await first.snapshot("scope"))["waiting"] < i + 1:  # noqa: ASYNC110 - state in Redis
            await asyncio.sleep(0.005)
    await holder.release()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3]


async def test_server_remaining_and_reset_steer_the_shared_bucket(
    backends: list[RedisBackend],
) -> None:
    a, b = backends[0].shared_limiter, backends[1].shared_limiter
    permit = await a.acquire("scope", concurrency=2, initial_rate=Rate(100, 60))
    now = time.time()
    # Another worker already spent the window: Remaining 0 until a reset 50 s away.
    permit.observe(RateLimitInfo(limit=100, remaining=0, reset_at=now + 50), now)
    await permit.release()
    assert not await try_acquire(b, 0.3, rate=Rate(100, 60))
    snapshot = await b.snapshot("scope")
    assert snapshot["tokens"] == 0
    server_now = float((await b.client.time())[0])
    assert 45 < snapshot["reset_at"] - server_now <= 51


async def test_reset_in_the_past_refills_at_once(backends: list[RedisBackend]) -> None:
    limiter = backends[0].shared_limiter
    permit = await limiter.acquire("scope", concurrency=2, initial_rate=Rate(10, 60))
    now = time.time()
    permit.observe(RateLimitInfo(limit=10, remaining=0, reset_at=now + 0.2), now)
    await permit.release()
    # The window ends 0.2 s later; a waiter gets through without a 60 s sleep.
    assert await try_acquire(backends[1].shared_limiter, 3.0, rate=Rate(10, 60))


async def test_refund_returns_the_token_of_a_304(backends: list[RedisBackend]) -> None:
    limiter = backends[0].shared_limiter
    rate = Rate(2, 60)
    permit = await limiter.acquire("scope", concurrency=2, initial_rate=rate)
    await permit.release(refund=True)
    permit = await limiter.acquire("scope", concurrency=2, initial_rate=rate)
    await permit.release()
    assert (await limiter.snapshot("scope"))["tokens"] == 1


async def test_cancelled_waiter_leaves_no_trace(backends: list[RedisBackend]) -> None:
    limiter = backends[0].shared_limiter
    holder = await limiter.acquire("scope", concurrency=1, initial_rate=None)
    assert not await try_acquire(backends[1].shared_limiter, 0.2, concurrency=1)
    snapshot = await limiter.snapshot("scope")
    assert snapshot["waiting"] == 0 and snapshot["in_flight"] == 1
    await holder.release()
    assert await try_acquire(backends[2].shared_limiter, 1.0, concurrency=1)


async def test_lease_is_renewed_while_the_request_runs(
    redis_server: RedisServer, key_prefix: str
) -> None:
    backend = RedisBackend(redis_server.url, key_prefix=key_prefix, lease_seconds=0.3)
    other = RedisBackend(redis_server.url, key_prefix=key_prefix, lease_seconds=0.3)
    try:
        permit = await backend.shared_limiter.acquire("scope", concurrency=1, initial_rate=None)
        # Three leases long: without renewal the slot would have been handed on.
        assert not await try_acquire(other.shared_limiter, 0.9, concurrency=1)
        await permit.release()
        assert await try_acquire(other.shared_limiter, 1.0, concurrency=1)
    finally:
        await backend.aclose()
        await other.aclose()


def test_slot_of_a_killed_worker_expires_after_its_lease(
    redis_server: RedisServer, key_prefix: str
) -> None:
    worker = subprocess.Popen(  # noqa: S603 - our own fixed argv
        [sys.executable, str(WORKER), "hold", redis_server.url, key_prefix],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == b"HELD"

        async def check() -> None:
            backend = RedisBackend(redis_server.url, key_prefix=key_prefix, lease_seconds=1.0)
            try:
                assert not await try_acquire(backend.shared_limiter, 0.2, concurrency=1)
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=5)
                assert await try_acquire(backend.shared_limiter, 5.0, concurrency=1)
            finally:
                await backend.aclose()

        asyncio.run(check())
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait(timeout=5)
        if worker.stdout is not None:
            worker.stdout.close()


@pytest.mark.slow
def test_worker_processes_share_one_quota_and_cap(
    redis_server: RedisServer, key_prefix: str
) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    workers = [
        subprocess.Popen(  # noqa: S603 - our own fixed argv
            [sys.executable, str(WORKER), "work", redis_server.url, key_prefix, "4", "30"],
            stdout=subprocess.PIPE,
            env=env,
        )
        for _ in range(3)
    ]
    results = []
    for worker in workers:
        out, _ = worker.communicate(timeout=30)
        assert worker.returncode == 0
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    # Rate(4, 60) for all three processes: four grants in all, never three at once.
    assert sum(r["granted"] for r in results) == 4
    assert max(peak for r in results for peak in r["peaks"]) <= 2


async def test_many_tasks_of_one_process_queue_locally_in_order(
    backends: list[RedisBackend],
) -> None:
    limiter = backends[0].shared_limiter
    order: list[int] = []

    async def one(i: int) -> None:
        permit = await limiter.acquire("scope", concurrency=1, initial_rate=None)
        order.append(i)
        await permit.release()

    # Far more waiters than a connection pool would hold if each blocked on its own connection.
    await asyncio.gather(*(one(i) for i in range(300)))
    assert order == list(range(300))
    assert (await limiter.snapshot("scope"))["waiting"] == 0


async def test_headers_reach_redis_before_a_long_request_ends(
    backends: list[RedisBackend],
) -> None:
    limiter = backends[0].shared_limiter
    permit = await limiter.acquire("scope", concurrency=2, initial_rate=Rate(100, 60))
    now = time.time()
    permit.observe(RateLimitInfo(limit=100, remaining=7, reset_at=now + 30), now)
    # A download still streaming: its headers are sent on their own shortly after.
    for _ in range(100):
        if (await limiter.snapshot("scope"))["tokens"] == 7:
            break
        await asyncio.sleep(0.01)
    assert (await limiter.snapshot("scope"))["tokens"] == 7
    await permit.release()


async def test_a_permit_dropped_without_release_lets_its_lease_lapse(
    redis_server: RedisServer, key_prefix: str
) -> None:
    backend = RedisBackend(redis_server.url, key_prefix=key_prefix, lease_seconds=0.3)
    try:
        permit = await backend.shared_limiter.acquire("scope", concurrency=1, initial_rate=None)
        assert not await try_acquire(backend.shared_limiter, 0.5, concurrency=1)
        # A caller cancelled between acquire and its try/finally loses the permit object.
        del permit
        gc.collect()
        assert await try_acquire(backend.shared_limiter, 2.0, concurrency=1)
    finally:
        await backend.aclose()
