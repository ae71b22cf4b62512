"""One attempt's permit and failures: getting a permit within the throttle ceiling and the
deadline, and the typed errors the engine raises for redirects and time limits."""

from __future__ import annotations

import anyio
import httpx

from asyncdam.engine.clock import Clock
from asyncdam.engine.deadline import CallBudget, StepBudget
from asyncdam.engine.dialect import BaseDialect
from asyncdam.engine.errors import (
    QuotaWaitTooLong,
    TimeoutError,
    TransportError,
    UnexpectedRedirect,
)
from asyncdam.engine.limits import Limits
from asyncdam.engine.protocols import LimiterBackend, Permit
from asyncdam.engine.redact import redact_url
from asyncdam.engine.request import Request, Response
from asyncdam.engine.types import WaitRefused

__all__ = [
    "Held",
    "Retryable",
    "acquire_permit",
    "deadline_error",
    "redirect_error",
    "shown_proxy",
    "step_timeout",
]


class Retryable(Exception):
    def __init__(self, error: TransportError) -> None:
        self.error = error


def redirect_error(response: Response, reason: str, location: str | None) -> UnexpectedRedirect:
    """The error for a 3xx the engine does not follow."""
    return UnexpectedRedirect(
        f"unexpected redirect: {reason}",
        location=location,
        status=response.status,
        method=response.method,
        url=response.url,
        headers=response.headers,
        attempts=response.attempts,
    )


def deadline_error(
    budget: CallBudget, when: str, request: Request, url: str, attempt: int
) -> TimeoutError:
    """The error for a call whose deadline passed (`when` says during what)."""
    return TimeoutError(
        f"{budget.describe()} passed {when}",
        limit="deadline",
        method=request.method,
        url=url,
        attempts=attempt,
    )


def step_timeout(
    step: StepBudget, budget: CallBudget, request: Request, url: str, attempt: int
) -> TimeoutError:
    """The error for an attempt cut off by its own timeout or by the call's deadline."""
    if step.limit == "deadline":
        return deadline_error(budget, "during the attempt", request, url, attempt)
    return TimeoutError(
        f"attempt took longer than attempt_timeout={step.seconds:g}s",
        limit="attempt_timeout",
        method=request.method,
        url=url,
        attempts=attempt,
    )


def shown_proxy(proxy: str | httpx.URL | httpx.Proxy | None) -> str | None:
    """The proxy URL for reprs and logs: no password, ever."""
    if proxy is None:
        return None
    url = proxy.url if isinstance(proxy, httpx.Proxy) else httpx.URL(proxy)
    return redact_url(str(url))


class Held:
    """A permit held for one attempt, and whether its token goes back when it is released."""

    __slots__ = ("elapsed", "permit", "refund")

    def __init__(self, permit: Permit) -> None:
        self.permit = permit
        # Until the request is handed to the transport nothing was spent.
        self.refund = True
        self.elapsed = 0.0


async def acquire_permit(
    limiter: LimiterBackend,
    limits: Limits,
    clock: Clock,
    dialect: BaseDialect,
    request: Request,
    url: str,
    attempt: int,
    budget: CallBudget,
) -> Permit:
    """A permit for one attempt, refused up front when the quota would keep it waiting past
    `max_throttle_wait` (`QuotaWaitTooLong`) or past the call's deadline (`TimeoutError`)."""
    step = budget.for_permit(clock.monotonic(), covers_throttle=limits.deadline_covers_throttle)
    ceiling = limits.max_throttle_wait
    max_wait = ceiling if not step.bounded else min(step.seconds, ceiling or step.seconds)
    acquire = limiter.acquire(
        dialect.scope_for(request),
        concurrency=dialect.concurrency,
        initial_rate=dialect.initial_rate,
        max_wait=max_wait,
    )
    try:
        if not step.bounded:  # the common case: no cancel scope on the hot path
            return await acquire
        with anyio.move_on_after(step.seconds) as scope:
            return await acquire
    except WaitRefused as refused:
        if ceiling is not None and refused.wait > ceiling:
            raise QuotaWaitTooLong(
                f"the quota would make this request wait {refused.wait:.0f}s, over "
                f"max_throttle_wait={ceiling:g}s",
                wait=refused.wait,
                reset_at=refused.reset_at,
                retry_after=refused.wait,
                status=429,
                method=request.method,
                url=url,
                attempts=attempt,
            ) from None
        raise deadline_error(budget, "waiting for the quota", request, url, attempt) from None
    assert scope.cancelled_caught
    raise deadline_error(budget, "waiting for a permit", request, url, attempt)
