"""What one attempt's failures become: the typed errors the engine raises for redirects and
time limits, and the permit an attempt holds."""

from __future__ import annotations

import httpx

from asyncdam.engine.deadline import CallBudget, StepBudget
from asyncdam.engine.errors import TimeoutError, TransportError, UnexpectedRedirect
from asyncdam.engine.protocols import Permit
from asyncdam.engine.redact import redact_url
from asyncdam.engine.request import Request, Response

__all__ = [
    "Held",
    "Retryable",
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
