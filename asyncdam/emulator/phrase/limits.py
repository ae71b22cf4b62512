"""Quota windows, the per-user concurrency cap and the counters the emulator exposes."""

from __future__ import annotations

import math
from collections import Counter

import attrs

# The current Phrase Strings limits: 1000 requests per 5 minutes per user, 4 in flight.
DEFAULT_QUOTA = 1000
DEFAULT_WINDOW = 300.0
DEFAULT_CONCURRENCY = 4
# The legacy PhraseApp v2 limits (per project, 2 in flight): pass them as `quota`/`concurrency`
# and set `app.state.quota_scope = "project"` to emulate an old account.
LEGACY_QUOTA = 500
LEGACY_CONCURRENCY = 2


@attrs.define
class Window:
    """One fixed quota window of one scope: it opens at the first counted request."""

    start: float
    end: float
    used: int = 0


@attrs.define
class QuotaDecision:
    """What the quota said about one request: admitted or not, and the header values."""

    allowed: bool
    limit: int
    remaining: int
    reset: int


class QuotaBook:
    """Fixed-window request quotas keyed by scope (a user, or a user and project)."""

    def __init__(self, limit: int, window: float) -> None:
        """A book granting `limit` counted requests per `window` seconds to every scope."""
        self.limit = limit
        self.window = window
        self._windows: dict[str, Window] = {}

    def _current(self, scope: str, now: float) -> Window:
        win = self._windows.get(scope)
        if win is None or now >= win.end:
            win = Window(start=now, end=now + self.window)
            self._windows[scope] = win
        return win

    def take(self, scope: str, now: float) -> QuotaDecision:
        """Count one request against `scope`, unless its window is already used up."""
        win = self._current(scope, now)
        reset = math.ceil(win.end)
        if win.used >= self.limit:
            return QuotaDecision(False, self.limit, 0, reset)
        win.used += 1
        return QuotaDecision(True, self.limit, self.limit - win.used, reset)

    def refund(self, scope: str, now: float) -> None:
        """Give back one request (a 304 is free), if its window is still the current one."""
        win = self._windows.get(scope)
        if win is not None and now < win.end and win.used > 0:
            win.used -= 1

    def peek(self, scope: str, now: float) -> QuotaDecision:
        """The header values for `scope` without counting anything."""
        win = self._current(scope, now)
        return QuotaDecision(
            win.used < self.limit, self.limit, max(0, self.limit - win.used), math.ceil(win.end)
        )


class InFlight:
    """Requests in flight per user, refusing the one that would exceed the cap."""

    def __init__(self, cap: int) -> None:
        """A gate letting at most `cap` requests of one user run at the same time."""
        self.cap = cap
        self._active: Counter[str] = Counter()

    def enter(self, user: str) -> int | None:
        """Admit a request and return the new in-flight count, or None when over the cap."""
        if self._active[user] >= self.cap:
            return None
        self._active[user] += 1
        return self._active[user]

    def leave(self, user: str) -> None:
        """Mark one request of `user` finished."""
        self._active[user] -= 1
        if self._active[user] <= 0:
            del self._active[user]

    def current(self, user: str) -> int:
        """How many requests of `user` are in flight now."""
        return self._active[user]


@attrs.define
class Stats:
    """Counters tests and benchmarks read from `app.state.stats`."""

    requests: int = 0
    counted: int = 0
    not_modified: int = 0
    unauthorized: int = 0
    bad_requests: int = 0
    rate_limited: Counter[str] = attrs.field(factory=Counter)
    by_status: Counter[int] = attrs.field(factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0

    @property
    def total_429(self) -> int:
        """All 429 answers, whatever the reason."""
        return sum(self.rate_limited.values())
