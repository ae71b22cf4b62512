"""Failure modes: a Redis restart mid-use; an unreachable Redis with on_failure fail or local."""

from __future__ import annotations

import logging

import pytest
from redis_proc import RedisServer, free_port

from asyncdam.engine.errors import AsyncDamError, TransportError
from asyncdam.engine.limiter import LocalPermit
from asyncdam.engine.protocols import CacheEntry
from asyncdam.engine.redis import BackendUnavailable, RedisBackend, RedisPermit
from asyncdam.engine.types import Rate

pytestmark = pytest.mark.redis
ENTRY = CacheEntry(200, (("etag", '"1"'),), b"body", '"1"', None, 1.0)


async def test_recovers_after_a_server_restart(own_redis_server: RedisServer) -> None:
    backend = RedisBackend(own_redis_server.url, lease_seconds=2)
    try:
        permit = await backend.limiter.acquire("s", concurrency=1, initial_rate=Rate(10, 60))
        await backend.cache.set("k", ENTRY)
        own_redis_server.restart()
        # The permit held across the restart releases without error (its keys are gone).
        await permit.release()
        # Scripts and state are gone too: they are reloaded and rebuilt from the initial rate.
        again = await backend.limiter.acquire("s", concurrency=1, initial_rate=Rate(10, 60))
        assert isinstance(again, RedisPermit)
        await again.release()
        assert await backend.cache.get("k") is None
        await backend.cache.set("k", ENTRY)
        assert await backend.cache.get("k") == ENTRY
        snapshot = await backend.shared_limiter.snapshot("s")
        assert snapshot["tokens"] == 9
    finally:
        await backend.aclose()


async def test_fail_mode_raises_a_typed_error() -> None:
    backend = RedisBackend(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=0.5)
    try:
        with pytest.raises(BackendUnavailable) as info:
            await backend.limiter.acquire("s", concurrency=1, initial_rate=None)
        assert isinstance(info.value, TransportError)
        assert isinstance(info.value, AsyncDamError)
        with pytest.raises(BackendUnavailable):
            await backend.cache.get("k")
    finally:
        await backend.aclose()


async def test_local_mode_degrades_with_one_warning_and_comes_back(
    own_redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    backend = RedisBackend(own_redis_server.url, on_failure="local", connect_timeout=0.5)
    caplog.set_level(logging.INFO, logger="asyncdam")
    try:
        own_redis_server.stop()
        for _ in range(3):
            permit = await backend.limiter.acquire("s", concurrency=1, initial_rate=None)
            assert isinstance(permit, LocalPermit)
            await permit.release()
        await backend.cache.set("k", ENTRY)
        assert await backend.cache.get("k") == ENTRY
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "falling back to local" in warnings[0].getMessage()
        own_redis_server.start()
        permit = await backend.limiter.acquire("s", concurrency=1, initial_rate=None)
        assert isinstance(permit, RedisPermit)
        await permit.release()
        assert any("reachable again" in r.getMessage() for r in caplog.records)
    finally:
        await backend.aclose()


def test_repr_and_errors_never_show_the_password() -> None:
    backend = RedisBackend("redis://:hunter2secret@127.0.0.1:1/0")
    assert "hunter2secret" not in repr(backend)
    with pytest.raises(AsyncDamError):
        RedisBackend("redis://127.0.0.1:1/0", on_failure="maybe")  # type: ignore[arg-type]


async def test_password_is_not_in_the_unavailable_error() -> None:
    backend = RedisBackend(f"redis://:hunter2secret@127.0.0.1:{free_port()}/0")
    try:
        with pytest.raises(BackendUnavailable) as info:
            await backend.limiter.acquire("s", concurrency=1, initial_rate=None)
        assert "hunter2secret" not in str(info.value)
    finally:
        await backend.aclose()
