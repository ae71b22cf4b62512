"""Small value types shared by the engine's cores."""

from __future__ import annotations

import attrs


@attrs.frozen
class Rate:
    """A quota: `limit` requests per `window` seconds."""

    limit: int = attrs.field(validator=attrs.validators.ge(1))
    window: float = attrs.field(validator=attrs.validators.gt(0))


@attrs.frozen
class RateLimitInfo:
    """What one response said about the quota; any field may be unknown."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None


class WaitRefused(Exception):
    """A limiter's answer to `acquire(max_wait=...)`: the quota would make it wait longer.

    The engine turns it into `QuotaWaitTooLong` (or `TimeoutError` when the deadline is what
    bounded the wait). `wait` is the total wait it foresaw, `reset_at` (epoch) when it would end.
    """

    def __init__(self, wait: float, reset_at: float) -> None:
        self.wait = wait
        self.reset_at = reset_at
        super().__init__(f"the quota would make this request wait {wait:.1f}s")
