"""`Engine.stream`: one call whose body is read as a byte stream, after the engine's retries and
same-origin redirects; the permit of each attempt is held until the body is done with."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Protocol

import anyio
import httpx

from asyncdam.engine.deadline import CallBudget
from asyncdam.engine.dialect import BaseDialect
from asyncdam.engine.errors import AsyncDamError, ConfigurationError
from asyncdam.engine.events import Event
from asyncdam.engine.outcomes import (
    Held,
    Retryable,
    acquire_permit,
    deadline_error,
    redirect_error,
    step_timeout,
)
from asyncdam.engine.redact import redact_url
from asyncdam.engine.request import Request, Response
from asyncdam.engine.retry import RetryDecision
from asyncdam.engine.streaming import StreamedResponse
from asyncdam.engine.wire import build_request

if TYPE_CHECKING:
    from asyncdam.engine.clock import Clock
    from asyncdam.engine.events import EngineStats, Hooks
    from asyncdam.engine.limits import Limits
    from asyncdam.engine.protocols import LimiterBackend
    from asyncdam.engine.retry import RetryBudget
    from asyncdam.engine.wire import WireCache


class StreamingEngine(Protocol):
    """What a stream needs of the `Engine` (which imports this module, so it is not named)."""

    limiter: LimiterBackend
    limits: Limits
    clock: Clock
    stats: EngineStats
    hooks: Hooks
    retry_budget: RetryBudget
    _wires: WireCache

    @property
    def closed(self) -> bool: ...

    def _budget(self, request: Request) -> CallBudget: ...

    def _decide(
        self,
        dialect: BaseDialect,
        request: Request,
        attempt: int,
        *,
        error: AsyncDamError,
        response: Response | None = None,
        sent: bool = True,
    ) -> RetryDecision: ...

    async def _retry_or_raise(
        self,
        request: Request,
        attempt: int,
        decision: RetryDecision,
        error: AsyncDamError,
        budget: CallBudget,
    ) -> None: ...

    async def _exchange(
        self,
        held: Held,
        dialect: BaseDialect,
        request: Request,
        http_request: httpx.Request,
        url: str,
        attempt: int,
    ) -> httpx.Response | tuple[AsyncDamError, bool]: ...

    async def _follow(
        self, request: Request, response: Response, current: httpx.URL, hops: int
    ) -> Request: ...

    async def _read(
        self, raw: httpx.Response, request: Request, url: str, attempt: int, max_bytes: int
    ) -> bytes: ...


__all__ = ["held_permit", "open_stream"]


@asynccontextmanager
async def held_permit(
    engine: StreamingEngine,
    dialect: BaseDialect,
    request: Request,
    url: str,
    attempt: int,
    budget: CallBudget,
) -> AsyncIterator[Held]:
    """Hold one permit for one attempt; it goes back on every exit, cancellation included.

    The wait is refused up front when the quota would keep it past `max_throttle_wait`
    (`QuotaWaitTooLong`) or past the call's deadline (`TimeoutError`).
    """
    permit = await acquire_permit(
        engine.limiter, engine.limits, engine.clock, dialect, request, url, attempt, budget
    )
    held = Held(permit)
    try:
        # Hooks may await: they run inside the try so a cancellation there leaks no slot.
        if permit.waited > 0:
            engine.stats.throttle_wait += permit.waited
            await engine.hooks.emit(
                Event(kind="throttle", method=request.method, url=url, delay=permit.waited)
            )
        await engine.hooks.emit(
            Event(kind="request", method=request.method, url=url, attempt=attempt)
        )
        yield held
    finally:
        with anyio.CancelScope(shield=True):
            await permit.release(refund=held.refund)


@asynccontextmanager
async def open_stream(
    engine: StreamingEngine, dialect: BaseDialect, request: Request
) -> AsyncIterator[StreamedResponse]:
    """The body of `Engine.stream` (see there); written apart to keep the engine module small."""
    if engine.closed:
        raise ConfigurationError("this Engine is closed")
    budget = engine._budget(request)
    attempt = hops = 0
    current = request
    memory_limit = request.max_response_bytes or engine.limits.max_response_bytes
    engine.retry_budget.record_request(engine.clock.now())
    decision: RetryDecision
    error: AsyncDamError
    while True:
        attempt += 1
        http_request = build_request(dialect, current, {}, engine._wires.get(dialect))
        url = redact_url(str(http_request.url))
        redirect: Response | None = None
        async with held_permit(engine, dialect, current, url, attempt, budget) as held:
            step = budget.for_attempt(engine.clock.monotonic())
            outcome: httpx.Response | tuple[AsyncDamError, bool]
            if step.exhausted:
                outcome = (deadline_error(budget, "before sending", current, url, attempt), False)
            else:
                with anyio.move_on_after(step.seconds if step.bounded else None) as scope:
                    outcome = await engine._exchange(
                        held, dialect, current, http_request, url, attempt
                    )
                if scope.cancelled_caught:
                    outcome = step_timeout(step, budget, current, url, attempt), True
            if isinstance(outcome, tuple):
                error, sent = outcome
                decision = engine._decide(dialect, request, attempt, sent=sent, error=error)
            else:
                if 200 <= outcome.status_code < 300:
                    try:
                        yield StreamedResponse(
                            outcome,
                            url,
                            engine.stats,
                            download_limit=engine.limits.max_download_bytes,
                            memory_limit=memory_limit,
                            budget=budget,
                            clock=engine.clock,
                        )
                        return
                    finally:
                        with anyio.CancelScope(shield=True):
                            await outcome.aclose()
                try:
                    body = await engine._read(outcome, current, url, attempt, memory_limit)
                except Retryable:
                    body = b""  # an error body cut short: the status still decides
                response = Response(
                    status=outcome.status_code,
                    headers=outcome.headers,
                    content=body,
                    method=current.method,
                    url=url,
                    attempts=attempt,
                )
                if response.status < 400:
                    redirect = response  # decided below, once the permit is back
                else:
                    error = dialect.error_for(response, engine.clock.now())
                    decision = engine._decide(
                        dialect, request, attempt, response=response, error=error
                    )
        if redirect is not None:
            response, redirect = redirect, None
            if response.status == 304:
                raise redirect_error(response, "304 Not Modified to an unconditional request", None)
            current = await engine._follow(current, response, http_request.url, hops)
            hops += 1
            attempt -= 1
            continue
        await engine._retry_or_raise(request, attempt, decision, error, budget)
