"""The in-process limiter: per scope, a quota bucket (see `quota`) plus a concurrency cap.

Waiters queue strictly FIFO per scope. Only the head of a queue ever sleeps, once per need, for as
long as the bucket says; everyone else waits on an event. Any release, refund or server answer
wakes the head early so that no token returned before the timer is wasted.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import anyio

from asyncdam.engine.clock import Clock, SystemClock
from asyncdam.engine.quota import Ledger, Ticket
from asyncdam.engine.types import Rate, RateLimitInfo, WaitRefused

__all__ = ["LocalLimiter", "LocalPermit"]


class _Waiter:
    """One task queued for a permit; its event is replaced once it has fired."""

    __slots__ = ("event",)

    def __init__(self, like: _Waiter | None = None) -> None:
        # Tasks queued at the same time share one event loop, so a new waiter may take the
        # event class of one already queued and skip `anyio.Event()`'s backend lookup.
        self.event: anyio.Event = type(like.event)() if like is not None else anyio.Event()

    def renew(self) -> None:
        """A fresh event if the old one fired. Called right before waiting, with no await since
        the last look at the scope, so no wake-up can fall between the look and the wait."""
        if self.event.is_set():
            # The backend's own class: no backend lookup, as `anyio.Event()` does every time.
            self.event = type(self.event)()


class _Scope:
    """State of one quota scope: bucket, slots in use, queue."""

    def __init__(self, initial_rate: Rate | None, concurrency: int) -> None:
        self.ledger = Ledger(initial_rate)
        self.concurrency = concurrency
        self.in_use = 0
        self.queue: deque[_Waiter] = deque()

    def wake_head(self) -> None:
        if self.queue:
            self.queue[0].event.set()


class LocalPermit:
    """The right to send one request: a token and a slot of one scope, given back by `release`."""

    def __init__(self, limiter: LocalLimiter, scope: _Scope, ticket: Ticket, waited: float):
        """Made by `LocalLimiter.acquire` only."""
        self._limiter = limiter
        self._scope = scope
        self._ticket = ticket
        self._waited = waited
        self._released = False

    @property
    def waited(self) -> float:
        """Seconds spent waiting for this permit (throttle time)."""
        return self._waited

    def observe(self, info: RateLimitInfo | None, now: float) -> None:
        """Feed the response's rate-limit headers into the scope's bucket."""
        self._scope.ledger.observe(self._ticket, info, now)
        # The server may have granted more than we counted: let the head look again (only
        # worth it with a slot free; otherwise the next release wakes it).
        if self._scope.in_use < self._scope.concurrency:
            self._scope.wake_head()

    async def release(self, *, refund: bool = False) -> None:
        """Give the slot back (and the token when `refund`); a second call does nothing."""
        self.release_now(refund=refund)

    def release_now(self, *, refund: bool = False) -> None:
        """`release` without awaiting: it never blocks, so the engine needs no shielded scope."""
        if self._released:
            return
        self._released = True
        self._scope.ledger.release(self._ticket, refund=refund, now=self._limiter.clock.now())
        self._scope.in_use -= 1
        self._scope.wake_head()


class LocalLimiter:
    """A `LimiterBackend` for one process: FIFO queues, quota from headers, concurrency caps."""

    def __init__(self, clock: Clock | None = None) -> None:
        """A limiter on `clock` (the system clock by default; tests pass a fake one)."""
        self.clock: Clock = clock or SystemClock()
        self._scopes: dict[str, _Scope] = {}
        self._closed = False

    async def acquire(
        self,
        scope: str,
        *,
        concurrency: int,
        initial_rate: Rate | None,
        max_wait: float | None = None,
    ) -> LocalPermit:
        """Wait (FIFO, one timed sleep at a time, cancellable) until a token and a slot are free.

        With `max_wait`, a quota wait that would end later than `max_wait` seconds after the call
        is refused at once with `WaitRefused`, without sleeping.
        """
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self._closed:
            raise anyio.ClosedResourceError
        state = self._scopes.get(scope)
        if state is None:
            state = self._scopes[scope] = _Scope(initial_rate, concurrency)
        elif concurrency < state.concurrency:
            # Clients sharing a scope (one credential) share the smallest cap any of them asked
            # for: a client asking for more never lifts another's limit.
            state.concurrency = concurrency
        if not state.queue and state.in_use < state.concurrency:
            # Nobody queued and a slot free: take a token at once if the bucket has one (the
            # common case), without queueing or making events. Otherwise queue as below.
            result = state.ledger.reserve(self.clock.now())
            if isinstance(result, Ticket):
                state.in_use += 1
                return LocalPermit(self, state, result, 0.0)
        started = self.clock.monotonic()
        waiter = _Waiter(state.queue[-1] if state.queue else None)
        state.queue.append(waiter)
        try:
            while True:
                if self._closed:
                    raise anyio.ClosedResourceError
                if state.queue[0] is not waiter or state.in_use >= state.concurrency:
                    waiter.renew()
                    await waiter.event.wait()
                    continue
                result = state.ledger.reserve(self.clock.now())
                if isinstance(result, Ticket):
                    state.queue.popleft()
                    state.in_use += 1
                    if state.in_use < state.concurrency:
                        state.wake_head()  # the next in line may take the next free slot
                    waited = max(0.0, self.clock.monotonic() - started)
                    return LocalPermit(self, state, result, waited)
                if max_wait is not None:
                    foreseen = self.clock.monotonic() - started + result
                    if foreseen > max_wait:
                        raise WaitRefused(foreseen, self.clock.now() + result)
                waiter.renew()
                await self._sleep_or_wake(waiter, result)
        except BaseException:
            # Cancelled (or closed) while queued: nothing was taken, only the place in line.
            was_head = bool(state.queue) and state.queue[0] is waiter
            try:
                state.queue.remove(waiter)
            except ValueError:
                pass
            if was_head:
                state.wake_head()
            raise

    async def _sleep_or_wake(self, waiter: _Waiter, delay: float) -> None:
        """Sleep `delay` on the clock, or less if the waiter's event fires first."""
        async with anyio.create_task_group() as tg:

            async def timer() -> None:
                await self.clock.sleep(delay)
                tg.cancel_scope.cancel()

            tg.start_soon(timer)
            await waiter.event.wait()
            tg.cancel_scope.cancel()

    def snapshot(self, scope: str) -> dict[str, Any]:
        """Plain numbers for stats: limit, tokens, reset_at, in_flight, waiting, concurrency."""
        state = self._scopes.get(scope)
        if state is None:
            return {
                "limit": None,
                "tokens": None,
                "reset_at": None,
                "in_flight": 0,
                "waiting": 0,
                "concurrency": None,
            }
        quota = state.ledger.quota
        return {
            "limit": quota.limit,
            "tokens": quota.tokens,
            "reset_at": quota.reset_at,
            "in_flight": state.in_use,
            "waiting": len(state.queue),
            "concurrency": state.concurrency,
        }

    async def aclose(self) -> None:
        """Refuse new acquires and fail the queued ones; permits already out may still release."""
        self._closed = True
        for state in self._scopes.values():
            for waiter in state.queue:
                waiter.event.set()
