"""`RedisBackend`: one Redis shared by every worker for quota, concurrency cap and cache, with a
documented failure choice ("fail" raises `BackendUnavailable`, "local" degrades to in-process
limiting and caching with one warning per outage).
"""

from __future__ import annotations

import logging
from typing import Literal

import redis.asyncio as aioredis
from redis import exceptions as redis_exceptions
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from asyncdam.engine.cache_storage import MemoryCache
from asyncdam.engine.errors import ConfigurationError
from asyncdam.engine.keys import KEY_SECRET_ENV, key_secret_is_shared, set_key_secret
from asyncdam.engine.limiter import LocalLimiter
from asyncdam.engine.protocols import CacheEntry, CacheStorage, LimiterBackend, Permit
from asyncdam.engine.redis.cache import RedisCache
from asyncdam.engine.redis.limiter import BackendUnavailable, RedisLimiter
from asyncdam.engine.types import Rate

__all__ = ["BackendUnavailable", "RedisBackend"]

_logger = logging.getLogger("asyncdam")
OnFailure = Literal["fail", "local"]


class _Outage:
    """Remembers whether Redis is down, so a degraded run warns once per outage, not per call."""

    def __init__(self) -> None:
        self.down = False

    def failed(self, what: str, exc: BackendUnavailable) -> None:
        if not self.down:
            self.down = True
            _logger.warning(
                "asyncdam: redis unavailable (%s, %s); falling back to local %s until it returns",
                what,
                exc,
                what,
            )

    def ok(self) -> None:
        if self.down:
            self.down = False
            _logger.info("asyncdam: redis reachable again; shared limiting and caching resumed")


class _FallbackLimiter:
    """The Redis limiter, or a process-local one while Redis cannot be reached."""

    def __init__(self, shared: RedisLimiter, outage: _Outage, backend: RedisBackend) -> None:
        self.shared = shared
        self.local = LocalLimiter()
        self._outage = outage
        self._backend = backend

    async def acquire(
        self,
        scope: str,
        *,
        concurrency: int,
        initial_rate: Rate | None,
        max_wait: float | None = None,
    ) -> Permit:
        """A shared permit, or a local one when Redis is down."""
        try:
            permit: Permit = await self.shared.acquire(
                scope, concurrency=concurrency, initial_rate=initial_rate, max_wait=max_wait
            )
        except BackendUnavailable as exc:
            self._outage.failed("limiting", exc)
            return await self.local.acquire(
                scope, concurrency=concurrency, initial_rate=initial_rate, max_wait=max_wait
            )
        self._outage.ok()
        return permit

    async def aclose(self) -> None:
        """Close both limiters and the backend's connection pool."""
        await self.local.aclose()
        await self._backend.aclose()


class _FallbackCache:
    """The Redis cache, or an in-memory LRU while Redis cannot be reached."""

    def __init__(self, shared: RedisCache, outage: _Outage) -> None:
        self.shared = shared
        self.local = MemoryCache()
        self._outage = outage

    async def get(self, key: str) -> CacheEntry | None:
        """The shared entry, or the local one during an outage."""
        try:
            entry = await self.shared.get(key)
        except BackendUnavailable as exc:
            self._outage.failed("caching", exc)
            return await self.local.get(key)
        self._outage.ok()
        return entry

    async def set(self, key: str, entry: CacheEntry) -> None:
        """Store in Redis, or locally during an outage."""
        try:
            await self.shared.set(key, entry)
        except BackendUnavailable as exc:
            self._outage.failed("caching", exc)
            await self.local.set(key, entry)

    async def delete(self, key: str) -> None:
        """Forget the entry in both places (the local copy may predate the outage's end)."""
        await self.local.delete(key)
        try:
            await self.shared.delete(key)
        except BackendUnavailable as exc:
            self._outage.failed("caching", exc)

    async def aclose(self) -> None:
        """Drop the local entries; the backend owns the Redis client."""
        await self.local.aclose()


class _ClosingLimiter:
    """The Redis limiter whose `aclose` also closes the backend (the Engine closes it last)."""

    def __init__(self, shared: RedisLimiter, backend: RedisBackend) -> None:
        self.shared = shared
        self._backend = backend

    async def acquire(
        self,
        scope: str,
        *,
        concurrency: int,
        initial_rate: Rate | None,
        max_wait: float | None = None,
    ) -> Permit:
        """A shared permit; raises `BackendUnavailable` when Redis is down."""
        return await self.shared.acquire(
            scope, concurrency=concurrency, initial_rate=initial_rate, max_wait=max_wait
        )

    async def aclose(self) -> None:
        """Close the backend's connection pool."""
        await self._backend.aclose()


class RedisBackend:
    """Quota, concurrency cap and cache shared through one Redis: `Engine(backend=RedisBackend(u))`.

    `lease_seconds` bounds how long a dead worker's slot stays taken; `on_failure` says what a
    connection failure does: "fail" raises `BackendUnavailable`, "local" degrades to in-process
    limiting and an in-memory cache, with one warning on the `asyncdam` logger per outage.
    Key names carry keyed tags of credentials, so every worker needs the same key secret:
    `key_secret=` (applied process-wide with `set_key_secret`) or `$ASYNCDAM_KEY_SECRET`.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        key_prefix: str = "asyncdam",
        lease_seconds: float = 10.0,
        on_failure: OnFailure = "fail",
        cache_ttl_seconds: float = 7 * 86400,
        max_entry_bytes: int = 1024 * 1024,
        connect_timeout: float = 2.0,
        key_secret: str | bytes | None = None,
    ) -> None:
        """Connect lazily to `url`; every worker sharing a quota must use the same `key_prefix`
        and key secret (create the backend before the clients: their tags use the secret)."""
        if on_failure not in ("fail", "local"):
            raise ConfigurationError("on_failure must be 'fail' or 'local'")
        if lease_seconds <= 0:
            raise ConfigurationError("lease_seconds must be positive")
        if key_secret is not None:
            set_key_secret(key_secret)
        elif not key_secret_is_shared():
            # A per-process random secret would give each worker its own key names: no worker
            # would see another's quota or slots, silently.
            raise ConfigurationError(
                f"RedisBackend needs a key secret shared by every worker: pass key_secret=... or "
                f"set ${KEY_SECRET_ENV} (e.g. to the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        self.on_failure = on_failure
        # No read timeout: blocking waits (BLPOP) carry their own; connects fail fast.
        # After a Redis restart every pooled socket is stale; its first command fails with a
        # ConnectionError. Two quick retries on a fresh connection ride that out, while a server
        # that is really down still surfaces as BackendUnavailable.
        self.client: aioredis.Redis = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=connect_timeout,
            socket_timeout=None,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
            retry_on_error=[redis_exceptions.ConnectionError],
        )
        self.shared_limiter = RedisLimiter(
            self.client, key_prefix=key_prefix, lease_seconds=lease_seconds
        )
        self.shared_cache = RedisCache(
            self.client,
            key_prefix=key_prefix,
            ttl_seconds=cache_ttl_seconds,
            max_entry_bytes=max_entry_bytes,
        )
        self.limiter: LimiterBackend
        self.cache: CacheStorage
        if on_failure == "local":
            outage = _Outage()
            self.limiter = _FallbackLimiter(self.shared_limiter, outage, self)
            self.cache = _FallbackCache(self.shared_cache, outage)
        else:
            self.limiter = _ClosingLimiter(self.shared_limiter, self)
            self.cache = self.shared_cache
        self._closed = False

    def __repr__(self) -> str:
        # Never the URL: it may carry a password.
        prefix = self.shared_limiter.key_prefix
        return f"RedisBackend(key_prefix={prefix!r}, on_failure={self.on_failure!r})"

    async def __aenter__(self) -> RedisBackend:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop handing out shared permits and close the connection pool (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self.shared_limiter.aclose()
        await self.client.aclose()
