"""Pure quota arithmetic for one scope: a token bucket steered by X-Rate-Limit-* headers.

Nothing here does I/O or reads a clock: every method takes `now` (epoch seconds, the unit of
X-Rate-Limit-Reset). `QuotaState` is the bucket; `Ledger` adds the bookkeeping of requests in
flight that the bucket needs to read the server's Remaining without overspending.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from collections.abc import Sequence

import attrs

from asyncdam.engine.types import Rate, RateLimitInfo

# The first wait when nobody can say when the window refills; doubled per fruitless probe.
PROBE_DELAY = 1.0
MAX_PROBE_DELAY = 60.0
# No wait is ever longer than this unless the configured window itself is longer.
DEFAULT_MAX_WAIT = 3600.0
# Waits are never zero or negative: the caller sleeps at least this long before asking again.
MIN_WAIT = 0.001
# Reset values are whole seconds; two resets this close name the same server window.
RESET_TOLERANCE = 0.5


class _Kind(enum.Enum):
    LOCAL = "local"  # our own window, from the configured initial rate
    SERVER = "server"  # the window the server named in X-Rate-Limit-Reset
    PROBE = "probe"  # nobody knows: wait a little, then let one request ask the server


class QuotaState:
    """The token bucket of one quota scope; server headers are the truth, `now` is passed in."""

    def __init__(
        self,
        initial_rate: Rate | None,
        *,
        max_wait: float = DEFAULT_MAX_WAIT,
        probe_delay: float = PROBE_DELAY,
    ) -> None:
        """A bucket following `initial_rate` until the server says otherwise (None: unlimited)."""
        self._window = initial_rate.window if initial_rate else None
        self._capacity: int | None = initial_rate.limit if initial_rate else None
        self._capacity_known = initial_rate is not None
        self._tokens: int | None = self._capacity
        self._reset_at: float | None = None
        self._kind: _Kind | None = None
        self._newest_server_reset: float | None = None
        # Within one server window Remaining only goes down, so a higher one is an older answer.
        self._floor_remaining: int | None = None
        self._max_wait = max(max_wait, self._window or 0.0, MIN_WAIT)
        self._probe_base = min(max(probe_delay, MIN_WAIT), self._max_wait)
        self._probe_delay = self._probe_base
        self._generation = 0
        self._syncs = 0
        # Grant times of the tokens spent in the current local window (it opens with the first).
        self._local_taken: list[float] = []

    @property
    def limit(self) -> int | None:
        """Requests per window (None while unknown: unlimited)."""
        return self._capacity

    @property
    def tokens(self) -> int | None:
        """Requests that may start now (None: not counted, unlimited)."""
        return self._tokens

    @property
    def reset_at(self) -> float | None:
        """When the current window refills (server's word, local estimate or probe time)."""
        return self._reset_at

    @property
    def window(self) -> float | None:
        """The window length: configured, or the longest time-to-reset the server announced."""
        return self._window

    @property
    def generation(self) -> int:
        """Bumped at every refill; a token taken in an older generation is not refundable."""
        return self._generation

    @property
    def syncs(self) -> int:
        """How many times a server Remaining has replaced the local count."""
        return self._syncs

    def reserve(self, now: float, in_flight: int = 0) -> float:
        """Take a token and return 0.0, or return the seconds (> 0, bounded) until one may be free.

        `in_flight` counts requests sent but not answered; at a refill they may still land in
        the new window, so they are kept out of it.
        """
        self.advance(now, in_flight=in_flight)
        if self._tokens is None:
            return 0.0
        if self._tokens > 0:
            self._tokens -= 1
            if self._reset_at is None and self._window is not None:
                # Like the servers, a window opens with its first request.
                self._reset_at = now + self._window
                self._kind = _Kind.LOCAL
                self._local_taken = []
            if self._kind is _Kind.LOCAL:
                self._local_taken.append(now)
            return 0.0
        return self._wait(now)

    def observe(self, info: RateLimitInfo | None, now: float, in_flight: int) -> None:
        """Fold in what one response said; `in_flight` counts the other unanswered requests."""
        in_flight = max(0, in_flight)
        # The request answered here may itself have landed in a window that began meanwhile.
        self.advance(now, in_flight=in_flight, unreported=1)
        if info is None:
            return
        if info.limit is not None and info.limit > 0:
            self._set_capacity(info.limit, in_flight)
        if info.reset_at is not None and math.isfinite(info.reset_at):
            if not self._place_reset(info.reset_at, now):
                return
        if info.remaining is not None and info.remaining >= 0:
            self._sync(info.remaining, in_flight)

    def refund(self, now: float, taken_at: float | None = None) -> None:
        """Give one token back (a 304 is free; a request that was never sent).

        `taken_at` (when the token was granted) lets a local window that opened with a request
        that never counted open later instead, as the server's would.
        """
        del now  # the refund belongs to the window it was taken in; the caller checks that
        if self._tokens is not None and self._capacity is not None:
            self._tokens = min(self._capacity, self._tokens + 1)
        if self._kind is _Kind.LOCAL and taken_at in self._local_taken:
            self._local_taken.remove(taken_at)
            if not self._local_taken:
                self._reset_at, self._kind = None, None
            elif self._window is not None:
                self._reset_at = min(self._local_taken) + self._window

    def advance(self, now: float, *, in_flight: int = 0, unreported: int = 0) -> None:
        """Refill once the window's end has passed.

        Requests still `in_flight` and those answered without a Remaining (`unreported`) may
        count in the new window, so they are kept out of the refill until the server reports.
        """
        if self._reset_at is None or now < self._reset_at:
            return
        in_flight, unreported = max(0, in_flight), max(0, unreported)
        if self._kind is _Kind.PROBE:
            if in_flight > 0:
                # Answers are on their way and will tell more than a probe could: wait for them.
                self._reset_at = now + self._probe_delay
                return
            if self._tokens is not None:
                self._tokens = max(self._tokens, 1)
        elif self._capacity is not None:
            # Only a server's window can have begun before we noticed; ours starts when we say.
            spent = in_flight + (unreported if self._kind is _Kind.SERVER else 0)
            self._tokens = max(0, self._capacity - spent)
        self._generation += 1
        self._reset_at = None
        self._kind = None
        self._local_taken = []
        self._floor_remaining = None

    def _wait(self, now: float) -> float:
        if self._reset_at is None and self._window is not None:
            # Every window holding a request we sent ends within one window length from now.
            self._reset_at = now + self._window
            self._kind = _Kind.LOCAL
        if self._reset_at is None:
            delay = self._probe_delay
            self._probe_delay = min(self._probe_delay * 2, MAX_PROBE_DELAY, self._max_wait)
            self._reset_at = now + delay
            self._kind = _Kind.PROBE
            return delay
        return min(max(self._reset_at - now, MIN_WAIT), self._max_wait)

    def _set_capacity(self, limit: int, in_flight: int) -> None:
        old = self._capacity
        self._capacity = limit
        self._capacity_known = True
        if self._tokens is None:
            self._tokens = max(0, limit - in_flight)
        elif old is not None and limit != old:
            self._tokens = max(0, min(limit, self._tokens + limit - old))

    def _place_reset(self, reset: float, now: float) -> bool:
        """Place a server Reset against what we know; False when the answer is stale."""
        newest = self._newest_server_reset
        if newest is not None and reset < newest - RESET_TOLERANCE:
            return False  # a window older than one the server already named
        if reset <= now:
            # The window it speaks of is over: stale if we knew it, else skewed or garbled.
            return not (newest is not None and reset <= newest + RESET_TOLERANCE)
        same = (
            self._kind is _Kind.SERVER
            and newest is not None
            and abs(reset - newest) <= RESET_TOLERANCE
        )
        # The longest time-to-reset seen approximates the server's window length.
        self._window = max(self._window or 0.0, min(reset - now, self._max_wait))
        if not same:
            self._newest_server_reset = reset
            self._reset_at = min(reset, now + self._max_wait)
            self._kind = _Kind.SERVER
            self._floor_remaining = None
        return True

    def _sync(self, remaining: int, in_flight: int) -> None:
        if self._floor_remaining is not None and remaining > self._floor_remaining:
            return  # an older answer from this window
        self._floor_remaining = remaining
        if not self._capacity_known:
            self._capacity = max(self._capacity or 0, remaining + 1)
        assert self._capacity is not None
        # Assume the server has not yet counted any request still in flight: never overspend.
        self._tokens = max(0, min(self._capacity, remaining - in_flight))
        self._syncs += 1
        if remaining > 0:
            self._probe_delay = self._probe_base


@attrs.define(eq=False)
class Ticket:
    """One granted token: which window it came from and how its answer settled it."""

    seq: int
    generation: int
    taken_at: float
    counted: bool  # False when the bucket was not counting (unlimited)
    settled: bool = False  # the server's Remaining on its own answer already accounts for it
    done: bool = False


def blind_after(blind: Sequence[tuple[int, float]], seq: int) -> int:
    """How many unreported answers were granted after ticket `seq` (`blind` is in grant order,
    so the scan from the newest end stops at the first older one: a long quiet window of
    header-less answers costs nothing per request)."""
    count = 0
    for mark, _ in reversed(blind):
        if mark <= seq:
            break
        count += 1
    return count


class Ledger:
    """A scope's bucket plus its requests in flight, so Remaining is read without overspending."""

    def __init__(self, initial_rate: Rate | None, **quota_options: float) -> None:
        """A ledger around a fresh `QuotaState(initial_rate, **quota_options)`."""
        self.quota = QuotaState(initial_rate, **quota_options)
        self._open: dict[int, Ticket] = {}
        self._next_seq = 0
        # Requests answered without a Remaining, as (first ticket granted after it, when). A
        # Remaining reported on an earlier ticket may not include them; one on a later ticket
        # does, and after a whole window they can no longer count anywhere.
        self._blind: deque[tuple[int, float]] = deque()

    @property
    def open_tickets(self) -> int:
        """Tokens taken and not released."""
        return len(self._open)

    def reserve(self, now: float) -> Ticket | float:
        """A ticket (token taken) or the seconds to wait before asking again."""
        self._expire(now)
        unanswered = sum(1 for t in self._open.values() if not t.settled)
        self.quota.advance(now, in_flight=unanswered, unreported=len(self._blind))
        wait = self.quota.reserve(now, unanswered)
        if wait > 0:
            return wait
        ticket = Ticket(
            seq=self._next_seq,
            generation=self.quota.generation,
            taken_at=now,
            counted=self.quota.tokens is not None,
        )
        self._next_seq += 1
        self._open[ticket.seq] = ticket
        return ticket

    def observe(self, ticket: Ticket, info: RateLimitInfo | None, now: float) -> None:
        """Feed the headers of `ticket`'s response into the bucket."""
        self._expire(now)
        others = sum(1 for t in self._open.values() if t is not ticket and not t.settled)
        self.quota.advance(now, in_flight=others, unreported=len(self._blind) + 1)
        others += blind_after(self._blind, ticket.seq)
        before = self.quota.syncs
        self.quota.observe(info, now, others)
        if self.quota.syncs != before:
            ticket.settled = True
            while self._blind and self._blind[0][0] <= ticket.seq:
                self._blind.popleft()

    def release(self, ticket: Ticket, *, refund: bool, now: float) -> None:
        """Close a ticket: refund its token if it was free, else remember it if unreported."""
        if ticket.done:
            return
        ticket.done = True
        self._open.pop(ticket.seq, None)
        if not ticket.counted or ticket.settled:
            return
        if refund:
            if ticket.generation == self.quota.generation:
                self.quota.refund(now, ticket.taken_at)
        elif self.quota.tokens is not None:
            self._blind.append((self._next_seq, now))

    def _expire(self, now: float) -> None:
        window = self.quota.window
        if window is None:
            return
        while self._blind and self._blind[0][1] + window <= now:
            self._blind.popleft()
