"""Pure quota arithmetic for one scope: a token bucket steered by X-Rate-Limit-* headers.

Nothing here does I/O or reads a clock: every method takes `now` (epoch seconds, the unit of
X-Rate-Limit-Reset). `QuotaState` is the bucket; `Ledger` adds the bookkeeping of requests in
flight that the bucket needs to read the server's Remaining without overspending.
"""

from __future__ import annotations

import enum
import math
from collections import deque

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
        self._roll(now, in_flight)
        if self._tokens is None:
            return 0.0
        if self._tokens > 0:
            self._tokens -= 1
            if self._reset_at is None and self._window is not None:
                # Like the servers, a window opens with its first request.
                self._reset_at = now + self._window
                self._kind = _Kind.LOCAL
            return 0.0
        return self._wait(now)

    def observe(self, info: RateLimitInfo | None, now: float, in_flight: int) -> None:
        """Fold in what one response said; `in_flight` counts the other unanswered requests."""
        in_flight = max(0, in_flight)
        self._roll(now, in_flight)
        if info is None:
            return
        if info.limit is not None and info.limit > 0:
            self._set_capacity(info.limit, in_flight)
        if info.reset_at is not None and math.isfinite(info.reset_at):
            if not self._place_reset(info.reset_at, now):
                return
        if info.remaining is not None and info.remaining >= 0:
            self._sync(info.remaining, in_flight)

    def refund(self, now: float) -> None:
        """Give one token back (a 304 is free; a request that was never sent)."""
        del now  # the refund belongs to the window it was taken in; the caller checks that
        if self._tokens is not None and self._capacity is not None:
            self._tokens = min(self._capacity, self._tokens + 1)

    def _roll(self, now: float, in_flight: int) -> None:
        if self._reset_at is None or now < self._reset_at:
            return
        if self._kind is _Kind.PROBE:
            if self._tokens is not None:
                self._tokens = max(self._tokens, 1)
        elif self._capacity is not None:
            self._tokens = max(0, self._capacity - max(0, in_flight))
        self._generation += 1
        self._reset_at = None
        self._kind = None
        self._floor_remaining = None

    def _wait(self, now: float) -> float:
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
    counted: bool  # False when the bucket was not counting (unlimited)
    settled: bool = False  # the server's Remaining on its own answer already accounts for it
    done: bool = False


class Ledger:
    """A scope's bucket plus its requests in flight, so Remaining is read without overspending."""

    def __init__(self, initial_rate: Rate | None, **quota_options: float) -> None:
        """A ledger around a fresh `QuotaState(initial_rate, **quota_options)`."""
        self.quota = QuotaState(initial_rate, **quota_options)
        self._open: dict[int, Ticket] = {}
        self._next_seq = 0
        # Requests answered without a Remaining, as "granted before ticket N" markers: a later
        # Remaining may not include them until a ticket granted after them reports.
        self._blind: deque[int] = deque()
        self._generation = self.quota.generation

    @property
    def open_tickets(self) -> int:
        """Tokens taken and not released."""
        return len(self._open)

    def reserve(self, now: float) -> Ticket | float:
        """A ticket (token taken) or the seconds to wait before asking again."""
        unanswered = sum(1 for t in self._open.values() if not t.settled)
        wait = self.quota.reserve(now, unanswered + self._blind_count())
        self._check_generation()
        if wait > 0:
            return wait
        ticket = Ticket(
            seq=self._next_seq,
            generation=self.quota.generation,
            counted=self.quota.tokens is not None,
        )
        self._next_seq += 1
        self._open[ticket.seq] = ticket
        return ticket

    def observe(self, ticket: Ticket, info: RateLimitInfo | None, now: float) -> None:
        """Feed the headers of `ticket`'s response into the bucket."""
        others = sum(1 for t in self._open.values() if t is not ticket and not t.settled)
        others += sum(1 for mark in self._blind if mark > ticket.seq)
        before = self.quota.syncs
        self.quota.observe(info, now, others)
        self._check_generation()
        if self.quota.syncs != before:
            ticket.settled = True
            while self._blind and self._blind[0] <= ticket.seq:
                self._blind.popleft()

    def release(self, ticket: Ticket, *, refund: bool, now: float) -> None:
        """Close a ticket: refund its token if it was free, else remember it if unreported."""
        if ticket.done:
            return
        ticket.done = True
        self._open.pop(ticket.seq, None)
        self._check_generation()
        if not ticket.counted or ticket.settled:
            return
        if refund:
            if ticket.generation == self.quota.generation:
                self.quota.refund(now)
        elif self.quota.tokens is not None and self.quota.syncs:
            # Only a server that reports Remaining can later contradict our count.
            self._blind.append(self._next_seq)

    def _blind_count(self) -> int:
        return len(self._blind)

    def _check_generation(self) -> None:
        if self.quota.generation != self._generation:
            # A refill starts a fresh count; unreported answers from before are folded into it.
            self._generation = self.quota.generation
            self._blind.clear()
