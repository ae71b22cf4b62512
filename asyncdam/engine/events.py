"""Per-engine counters and user hooks (request, response, retry, throttle) for tracing."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs

logger = logging.getLogger("asyncdam")


@attrs.define
class EngineStats:
    """Running totals for one engine; read them at any time, e.g. `print(engine.stats)`."""

    requests: int = 0
    responses: dict[str, int] = attrs.field(factory=dict)
    not_modified: int = 0
    rate_limited: int = 0
    retries: int = 0
    retries_refused_by_budget: int = 0
    transport_errors: int = 0
    throttle_wait: float = 0.0
    bytes_received: int = 0
    redirects_followed: int = 0
    invalid_items: int = 0  # items a listing could not decode (see `on_invalid=`)
    listing_drift: int = 0  # listings that noticed their collection change while paging
    reconciliation_passes: int = 0
    reconciled_items: int = 0  # items only a reconciliation pass found

    def count_status(self, status: int) -> None:
        """Count a response under its class (`2xx`, `3xx`, ...)."""
        key = f"{status // 100}xx"
        self.responses[key] = self.responses.get(key, 0) + 1
        if status == 304:
            self.not_modified += 1
        elif status == 429:
            self.rate_limited += 1

    def as_dict(self) -> dict[str, Any]:
        """A plain, JSON-able copy."""
        return attrs.asdict(self)


@attrs.frozen
class Event:
    """What a hook receives: the kind, the method, the redacted URL and the details of that kind."""

    # "request" | "response" | "retry" | "throttle" | "redirect" | "invalid_item" | "drift"
    # | "reconcile"
    kind: str
    method: str
    url: str
    attempt: int = 1
    status: int | None = None
    delay: float = 0.0
    from_cache: bool = False
    reason: str = ""
    elapsed: float = 0.0
    # Kind-specific facts (e.g. page and index of an invalid item, the drift signal); never secrets.
    detail: Mapping[str, Any] = attrs.field(factory=dict)


Hook = Callable[[Event], None] | Callable[[Event], Awaitable[None]]


@attrs.define
class Hooks:
    """User callbacks, plain or coroutine functions; a failing hook is logged, not raised."""

    request: list[Hook] = attrs.field(factory=list)
    response: list[Hook] = attrs.field(factory=list)
    retry: list[Hook] = attrs.field(factory=list)
    throttle: list[Hook] = attrs.field(factory=list)
    redirect: list[Hook] = attrs.field(factory=list)
    invalid_item: list[Hook] = attrs.field(factory=list)
    drift: list[Hook] = attrs.field(factory=list)
    reconcile: list[Hook] = attrs.field(factory=list)

    async def emit(self, event: Event) -> None:
        """Call every hook registered for the event's kind."""
        for hook in getattr(self, event.kind, ()):
            try:
                result = hook(event)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                # A user's tracing bug must never fail the request it observes.
                logger.exception("asyncdam %s hook failed", event.kind)
