"""Retry decisions (pure: no I/O, no clock of its own) and a client-wide retry budget."""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterable, Mapping

import attrs

from asyncdam.engine.retry_headers import parse_retry_after
from asyncdam.engine.types import RateLimitInfo

__all__ = ["DEFAULT_RETRY_STATUSES", "RetryBudget", "RetryDecision", "RetryPolicy"]

DEFAULT_RETRY_STATUSES: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504})

# Phrase sends X-Rate-Limit-Reset as whole epoch seconds and clocks drift: waking exactly at the
# reset instant tends to earn one more 429, so the reset wait gets this much extra.
RESET_MARGIN = 0.5
# Exponents beyond this already exceed any sane cap; it also keeps 2.0**n from overflowing.
_MAX_EXPONENT = 62


@attrs.frozen
class RetryDecision:
    """Whether to try again, after how many seconds, and why (for logs and hooks)."""

    retry: bool
    delay: float
    reason: str


def _statuses(value: Iterable[int]) -> frozenset[int]:
    return frozenset(value)


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A header value by case-insensitive name (httpx.Headers already is; a plain dict is not)."""
    if headers is None:
        return None
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None


def _finite(value: float, *, high: float) -> float:
    """Clamp into [0, high]; NaN and infinities become the nearest safe bound."""
    if math.isnan(value):
        return 0.0
    return min(max(value, 0.0), high)


@attrs.define(kw_only=True)
class RetryPolicy:
    """When to retry a failed attempt and how long to wait first.

    The server's word comes first (Retry-After, then X-Rate-Limit-Reset when Remaining is 0),
    bounded by `max_server_wait`: a server asking for longer than that ends the retries instead of
    being cut short into a certain second failure. Otherwise capped exponential backoff with full
    jitter. Pass a seeded `rng` for reproducible delays.
    """

    max_attempts: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    backoff_base: float = attrs.field(default=0.5, validator=attrs.validators.ge(0.0))
    backoff_cap: float = attrs.field(default=30.0, validator=attrs.validators.ge(0.0))
    max_server_wait: float = attrs.field(default=600.0, validator=attrs.validators.ge(0.0))
    retry_statuses: frozenset[int] = attrs.field(
        default=DEFAULT_RETRY_STATUSES, converter=_statuses
    )
    rng: random.Random | None = None
    _random: random.Random = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        for name in ("backoff_base", "backoff_cap", "max_server_wait"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be finite")
        self._random = self.rng if self.rng is not None else random.Random()

    @property
    def max_delay(self) -> float:
        """The longest delay `decide` can ever return."""
        return max(self.backoff_cap, self.max_server_wait)

    def decide(
        self,
        *,
        attempt: int,
        idempotent: bool,
        sent: bool,
        status: int | None,
        headers: Mapping[str, str] | None,
        rate_limit: RateLimitInfo | None,
        concurrency_limited: bool = False,
        now: float,
    ) -> RetryDecision:
        """Decide about the attempt that just failed; `attempt` counts attempts made so far.

        `status=None` means no response (transport error or timeout); `sent=False` means no byte
        left the client, so even a non-idempotent request is safe to repeat.
        """
        # A status means the server saw the request, whatever the caller claims about `sent`.
        was_sent = sent or status is not None
        if status is None:
            what = "transport error" if was_sent else "request not sent"
        else:
            what = f"status {status}"
            if status not in self.retry_statuses:
                return RetryDecision(False, 0.0, f"{what} is not retryable")
        if was_sent and not idempotent:
            return RetryDecision(False, 0.0, f"{what} on a non-idempotent request that was sent")
        if attempt >= self.max_attempts:
            return RetryDecision(False, 0.0, f"{what}; gave up after {attempt} attempts")

        if concurrency_limited:
            # The cap frees up as soon as one of our own requests finishes: wait briefly, never 0.
            ceiling = self._backoff_ceiling(attempt)
            delay = self._random.uniform(ceiling / 2, ceiling)
            return RetryDecision(
                True, _finite(delay, high=self.backoff_cap), f"{what}: concurrency limit"
            )

        server_wait, source = self._server_wait(headers, rate_limit, now)
        if server_wait is not None:
            if server_wait > self.max_server_wait:
                limit = f"{self.max_server_wait:.0f}s"
                return RetryDecision(
                    False, 0.0, f"{what}: server asks to wait {server_wait:.0f}s (over {limit})"
                )
            return RetryDecision(
                True, _finite(server_wait, high=self.max_server_wait), f"{what}: {source}"
            )

        delay = self._random.uniform(0.0, self._backoff_ceiling(attempt))
        return RetryDecision(True, _finite(delay, high=self.backoff_cap), f"{what}: backoff")

    def _backoff_ceiling(self, attempt: int) -> float:
        exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
        return min(self.backoff_cap, self.backoff_base * 2.0**exponent)

    @staticmethod
    def _server_wait(
        headers: Mapping[str, str] | None, rate_limit: RateLimitInfo | None, now: float
    ) -> tuple[float | None, str]:
        retry_after = parse_retry_after(_header(headers, "retry-after"), now)
        if retry_after is not None and math.isfinite(retry_after):
            return max(retry_after, 0.0), "Retry-After"
        if (
            rate_limit is not None
            and rate_limit.remaining == 0
            and rate_limit.reset_at is not None
            and math.isfinite(rate_limit.reset_at)
        ):
            return max(rate_limit.reset_at - now, 0.0) + RESET_MARGIN, "quota exhausted until reset"
        return None, ""


@attrs.define
class _Bucket:
    index: int
    requests: int = 0
    retries: int = 0


@attrs.define(kw_only=True)
class RetryBudget:
    """Caps retries at `ratio` of requests over a sliding window, so outages cause no retry storm.

    At least `min_per_window` retries are always allowed, so a small job can still ride out a blip.
    Counts live in `buckets` time slices (the window slides one slice at a time), so memory stays
    constant however many requests go through. Pure: every call takes `now`.
    """

    ratio: float = attrs.field(default=0.2, validator=attrs.validators.ge(0.0))
    window: float = attrs.field(default=60.0, validator=attrs.validators.gt(0.0))
    min_per_window: int = attrs.field(default=10, validator=attrs.validators.ge(0))
    buckets: int = attrs.field(default=10, validator=attrs.validators.ge(1))
    _slices: deque[_Bucket] = attrs.field(init=False, factory=deque)

    def __attrs_post_init__(self) -> None:
        if not (math.isfinite(self.ratio) and math.isfinite(self.window)):
            raise ValueError("ratio and window must be finite")

    @property
    def bucket_width(self) -> float:
        """Seconds covered by one time slice."""
        return self.window / self.buckets

    def bucket_index(self, now: float) -> int:
        """The slice a moment falls into (exposed so tests can count the same way)."""
        return math.floor(now / self.bucket_width) if math.isfinite(now) else 0

    def _current(self, now: float) -> _Bucket:
        index = self.bucket_index(now)
        if self._slices and index <= self._slices[-1].index:
            # A clock that stepped back counts into the newest slice rather than reopening old ones.
            index = self._slices[-1].index
        while self._slices and self._slices[0].index <= index - self.buckets:
            self._slices.popleft()
        if not self._slices or self._slices[-1].index != index:
            self._slices.append(_Bucket(index))
        return self._slices[-1]

    def record_request(self, now: float) -> None:
        """Count one logical request (not its retries)."""
        self._current(now).requests += 1

    def allowance(self, now: float) -> float:
        """How many retries the current window allows in total."""
        self._current(now)
        requests = sum(b.requests for b in self._slices)
        return max(float(self.min_per_window), self.ratio * requests)

    def spent(self, now: float) -> int:
        """Retries already taken in the current window."""
        self._current(now)
        return sum(b.retries for b in self._slices)

    def try_spend(self, now: float) -> bool:
        """Take one retry from the budget; False (and nothing taken) when it is used up."""
        bucket = self._current(now)
        if self.spent(now) + 1 > self.allowance(now):
            return False
        bucket.retries += 1
        return True
