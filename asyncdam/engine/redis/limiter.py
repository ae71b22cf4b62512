"""A limiter shared by many processes through one Redis: one quota bucket and one concurrency cap
per scope, leased slots, FIFO waiters woken by pushes (BLPOP) rather than polling.

Every state change is one Lua script (see `redis_lua`). A granted permit keeps its slot alive by
renewing a lease in the background; a process that dies loses its slots when the lease runs out.
A waiter blocks on its own wake key and re-checks at least every `lease / 3` seconds, which both
renews its place in line and bounds the harm of a lost wake-up. Asyncio only (redis-py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from asyncdam.engine.errors import TransportError
from asyncdam.engine.quota import DEFAULT_MAX_WAIT, PROBE_DELAY
from asyncdam.engine.redis import lua as redis_lua
from asyncdam.engine.types import Rate, RateLimitInfo, WaitRefused

__all__ = ["BackendUnavailable", "RedisLimiter", "RedisPermit"]

_logger = logging.getLogger("asyncdam")
_T = TypeVar("_T")
# Errors meaning "Redis is unreachable right now", as opposed to a bug in a script.
# How long observed headers may wait for the permit's release to carry them (seconds).
OBSERVE_DELAY = 0.05
REDIS_DOWN: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError)


def _text(value: bytes | str | int) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class BackendUnavailable(TransportError):
    """The shared backend (Redis) could not be reached; nothing was taken from it."""


async def guarded(call: Callable[[], Awaitable[_T]]) -> _T:
    """Run one Redis call, turning connection failures into `BackendUnavailable`."""
    try:
        return await call()
    except REDIS_DOWN as exc:
        raise BackendUnavailable(f"redis unavailable: {type(exc).__name__}") from exc


class RedisPermit:
    """A token and a leased slot of one scope, held in Redis; `release` gives them back."""

    def __init__(
        self, limiter: RedisLimiter, scope: str, permit_id: str, generation: str, waited: float
    ) -> None:
        """Made by `RedisLimiter.acquire` only."""
        self._limiter = limiter
        self._scope = scope
        self._id = permit_id
        self._generation = generation
        self._waited = waited
        self._released = False
        self._observing: asyncio.Task[None] | None = None
        self._pending: list[list[str]] = []
        self._flush_timer: asyncio.TimerHandle | None = None
        # The renewer holds the permit weakly: a permit dropped without release stops renewing.
        self._renewer = asyncio.get_running_loop().create_task(
            _renew_lease(weakref.ref(self), limiter, scope, permit_id)
        )

    @property
    def waited(self) -> float:
        """Seconds spent waiting for this permit (throttle time)."""
        return self._waited

    def observe(self, info: RateLimitInfo | None, now: float) -> None:
        """Send the response's rate-limit headers to the shared bucket (in the background)."""
        if info is None or self._released:
            return
        # Reset is re-expressed as seconds from now, so Redis places it on its own clock.
        reset_in = "" if info.reset_at is None else repr(info.reset_at - now)
        args = [
            "" if info.limit is None else str(info.limit),
            "" if info.remaining is None else str(info.remaining),
            reset_in,
            str(self._limiter.lease_seconds),
        ]
        self._pending.append(args)
        if self._flush_timer is None:
            # Usually `release` follows at once and carries the headers in its own round trip;
            # a long download's headers are sent on their own shortly after.
            loop = asyncio.get_running_loop()
            self._flush_timer = loop.call_later(OBSERVE_DELAY, self._flush_soon)

    def _flush_soon(self) -> None:
        self._flush_timer = None
        pending, self._pending = self._pending, []
        previous = self._observing

        async def send() -> None:
            if previous is not None:
                await previous
            try:
                await self._limiter._pipeline(
                    self._scope, [(redis_lua.OBSERVE, [self._id, *args]) for args in pending]
                )
            except REDIS_DOWN as exc:
                _logger.debug("asyncdam redis observe skipped: %s", type(exc).__name__)

        self._observing = asyncio.get_running_loop().create_task(send())

    async def release(self, *, refund: bool = False) -> None:
        """Stop the lease renewal and give the slot back (and the token when `refund`)."""
        if self._released:
            return
        self._released = True
        self._renewer.cancel()
        with anyio.CancelScope(shield=True):
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            if self._flush_timer is not None:
                self._flush_timer.cancel()
                self._flush_timer = None
            if self._observing is not None:
                with contextlib.suppress(Exception):
                    await self._observing
            calls = [(redis_lua.OBSERVE, [self._id, *args]) for args in self._pending]
            self._pending = []
            lease = str(self._limiter.lease_seconds)
            flag = "1" if refund else "0"
            calls.append((redis_lua.RELEASE, [self._id, flag, self._generation, lease]))
            try:
                # Headers and release in one round trip: the next waiter is woken sooner.
                await self._limiter._pipeline(self._scope, calls)
            except REDIS_DOWN as exc:
                # The lease runs out on its own; nobody is blocked for longer than that.
                _logger.debug("asyncdam redis release skipped: %s", type(exc).__name__)


async def _renew_lease(
    permit: weakref.ref[RedisPermit], limiter: RedisLimiter, scope: str, permit_id: str
) -> None:
    """Renew a slot's lease every third of it while its permit is alive and unreleased."""
    interval = limiter.lease_seconds / 3
    while True:
        await asyncio.sleep(interval)
        if permit() is None:
            return  # lost by a cancelled caller without release: let the lease lapse
        try:
            held = await limiter._run(redis_lua.RENEW, scope, permit_id, str(limiter.lease_seconds))
        except REDIS_DOWN:
            continue
        if not held:
            _logger.warning("asyncdam redis: a held concurrency slot was lost (lease expired)")
            return


class RedisLimiter:
    """A `LimiterBackend` whose buckets, slots and queues live in Redis, shared by all workers."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        key_prefix: str = "asyncdam",
        lease_seconds: float = 10.0,
        max_wait: float = DEFAULT_MAX_WAIT,
        probe_delay: float = PROBE_DELAY,
    ) -> None:
        """A limiter on `client`; keys start with `key_prefix`, slots expire `lease_seconds`
        after their holder stops renewing them."""
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.client = client
        self.key_prefix = key_prefix
        self.lease_seconds = float(lease_seconds)
        self.recheck = min(1.0, self.lease_seconds / 3)
        self._max_wait = max_wait
        self._probe_delay = probe_delay
        self._scripts = {
            text: client.register_script(text)
            for text in (
                redis_lua.ACQUIRE,
                redis_lua.OBSERVE,
                redis_lua.RELEASE,
                redis_lua.RENEW,
                redis_lua.LEAVE,
            )
        }
        self._gates: dict[str, asyncio.Lock] = {}
        self._caps: dict[str, int] = {}
        self._closed = False

    def keys(self, scope: str) -> list[str]:
        """The Redis keys of one scope: quota, slots, unsettled, queue, waiters."""
        base = f"{self.key_prefix}:lim:{{{scope}}}"
        return [
            f"{base}:quota",
            f"{base}:slots",
            f"{base}:unsettled",
            f"{base}:queue",
            f"{base}:waiters",
        ]

    def _wake_prefix(self, scope: str) -> str:
        return f"{self.key_prefix}:lim:{{{scope}}}:wake:"

    async def _run(self, script: str, scope: str, *args: str) -> Any:
        return await self._scripts[script](
            keys=self.keys(scope), args=[self._wake_prefix(scope), *args]
        )

    async def _pipeline(self, scope: str, calls: list[tuple[str, list[str]]]) -> list[Any]:
        """Run several scripts of one scope in one round trip (not a transaction)."""
        if len(calls) == 1:
            script, args = calls[0]
            return [await self._run(script, scope, *args)]
        async with self.client.pipeline(transaction=False) as pipe:
            for script, args in calls:
                await self._scripts[script](
                    keys=self.keys(scope), args=[self._wake_prefix(scope), *args], client=pipe
                )
            return list(await pipe.execute())

    async def acquire(
        self,
        scope: str,
        *,
        concurrency: int,
        initial_rate: Rate | None,
        max_wait: float | None = None,
    ) -> RedisPermit:
        """Wait (FIFO across processes, blocking on a wake key, cancellable) for a token and a
        slot; raises `BackendUnavailable` when Redis cannot be reached, `WaitRefused` when the
        shared quota would keep it waiting past `max_wait` seconds."""
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self._closed:
            raise anyio.ClosedResourceError
        # The smallest cap any client of this process asked for in the scope (as LocalLimiter).
        concurrency = self._caps[scope] = min(concurrency, self._caps.get(scope, concurrency))
        waiter = uuid.uuid4().hex
        permit_id = uuid.uuid4().hex
        args = [
            waiter,
            permit_id,
            str(concurrency),
            str(initial_rate.limit if initial_rate else 0),
            repr(float(initial_rate.window) if initial_rate else 0.0),
            str(self.lease_seconds),
            repr(float(self._max_wait)),
            repr(float(self._probe_delay)),
        ]
        started = time.monotonic()
        gate = self._gates.setdefault(scope, asyncio.Lock())
        # Only one task per process and scope stands in the shared line (asyncio.Lock is FIFO):
        # one blocking connection per process, not one per waiting task.
        async with gate:
            generation = await self._wait_in_line(scope, waiter, args, started, max_wait)
        waited = max(0.0, time.monotonic() - started)
        return RedisPermit(self, scope, permit_id, generation, waited)

    async def _wait_in_line(
        self, scope: str, waiter: str, args: list[str], started: float, max_wait: float | None
    ) -> str:
        wake_key = self._wake_prefix(scope) + waiter
        try:
            while True:
                if self._closed:
                    raise anyio.ClosedResourceError
                status, value, *kind = await guarded(
                    lambda: self._run(redis_lua.ACQUIRE, scope, *args)
                )
                if int(status) == 1:
                    return _text(value)
                if max_wait is not None and kind and _text(kind[0]) == "quota":
                    foreseen = time.monotonic() - started + float(value)
                    if foreseen > max_wait:
                        raise WaitRefused(foreseen, time.time() + float(value))
                timeout = max(min(float(value), self.recheck), 0.01)
                # One blocking wait: a push from a release/observe/grant ends it early.
                await guarded(lambda: self.client.blpop([wake_key], timeout=timeout))  # noqa: B023
        except BaseException:
            with anyio.CancelScope(shield=True):
                with contextlib.suppress(*REDIS_DOWN):
                    await self._run(redis_lua.LEAVE, scope, waiter, str(self.lease_seconds))
            raise

    async def snapshot(self, scope: str) -> dict[str, Any]:
        """Plain numbers for stats and tests: limit, tokens, reset_at (server epoch), in_flight,
        waiting."""
        quota_key, slots, _, queue, _ = self.keys(scope)
        raw = await self.client.hgetall(quota_key)
        fields = {_text(k): _text(v) for k, v in raw.items()}

        def number(name: str) -> float | None:
            value = fields.get(name, "")
            return float(value) if value else None

        limit, tokens = number("cap"), number("tokens")
        return {
            "limit": None if limit is None else int(limit),
            "tokens": None if tokens is None else int(tokens),
            "reset_at": number("reset"),
            "in_flight": int(await self.client.zcard(slots)),
            "waiting": int(await self.client.llen(queue)),
        }

    async def aclose(self) -> None:
        """Refuse new acquires; queued ones stop at their next re-check."""
        self._closed = True
