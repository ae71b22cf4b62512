"""Unit tests of the pure quota core (QuotaState, Ledger) with explicit `now`."""

from __future__ import annotations

import math

import pytest

from asyncdam.engine.quota import (
    DEFAULT_MAX_WAIT,
    MAX_PROBE_DELAY,
    PROBE_DELAY,
    Ledger,
    QuotaState,
    Ticket,
)
from asyncdam.engine.types import Rate, RateLimitInfo

T0 = 1_700_000_000.25


def take_all(state: QuotaState, now: float) -> int:
    """Reserve until refused; return how many were granted."""
    granted = 0
    while state.reserve(now) == 0.0:
        granted += 1
        assert granted < 10_000
    return granted


def test_no_rate_and_no_server_info_is_unlimited() -> None:
    state = QuotaState(None)
    assert all(state.reserve(T0) == 0.0 for _ in range(1000))
    assert state.tokens is None and state.limit is None


def test_initial_rate_window_opens_at_first_use() -> None:
    state = QuotaState(Rate(3, 10))
    assert take_all(state, T0 + 5) == 3
    assert state.reserve(T0 + 5) == pytest.approx(10)
    assert state.reserve(T0 + 12) == pytest.approx(3)
    # At the local window's end the whole quota is back at once.
    assert take_all(state, T0 + 15) == 3


def test_remaining_sets_tokens_and_reset_sets_wait() -> None:
    state = QuotaState(None)
    state.observe(RateLimitInfo(limit=10, remaining=4, reset_at=T0 + 30), T0, 0)
    assert state.limit == 10 and state.tokens == 4
    assert take_all(state, T0 + 1) == 4
    assert state.reserve(T0 + 1) == pytest.approx(29)
    assert take_all(state, T0 + 30) == 10


def test_requests_in_flight_are_kept_out_of_remaining() -> None:
    state = QuotaState(None)
    state.observe(RateLimitInfo(limit=10, remaining=4, reset_at=T0 + 30), T0, 3)
    assert state.tokens == 1
    state.observe(RateLimitInfo(limit=10, remaining=2, reset_at=T0 + 30), T0, 5)
    assert state.tokens == 0


def test_higher_remaining_in_same_window_is_an_old_answer() -> None:
    state = QuotaState(None)
    state.observe(RateLimitInfo(limit=10, remaining=3, reset_at=T0 + 30), T0, 0)
    state.observe(RateLimitInfo(limit=10, remaining=7, reset_at=T0 + 30), T0 + 1, 0)
    assert state.tokens == 3
    # Without a Reset the answer is placed in the current window too.
    state.observe(RateLimitInfo(limit=10, remaining=8), T0 + 1, 0)
    assert state.tokens == 3


def test_reset_of_an_older_window_is_ignored() -> None:
    state = QuotaState(None)
    state.observe(RateLimitInfo(limit=10, remaining=2, reset_at=T0 + 60), T0, 0)
    state.observe(RateLimitInfo(limit=10, remaining=9, reset_at=T0 + 30), T0 + 1, 0)
    assert state.tokens == 2 and state.reset_at == T0 + 60


def test_answer_from_a_window_that_already_ended_is_ignored() -> None:
    state = QuotaState(None)
    state.observe(RateLimitInfo(limit=5, remaining=0, reset_at=T0 + 10), T0, 0)
    assert take_all(state, T0 + 10) == 5
    # A slow response of the old window arrives after the refill: it must not drain the new one.
    state.observe(RateLimitInfo(limit=5, remaining=0, reset_at=T0 + 10), T0 + 10.5, 0)
    state.reserve(T0 + 10.5)
    assert state.tokens == 0  # only what we took ourselves
    state2 = QuotaState(None)
    state2.observe(RateLimitInfo(limit=5, remaining=0, reset_at=T0 + 10), T0, 0)
    state2.reserve(T0 + 10)  # refill happens here
    state2.observe(RateLimitInfo(limit=5, remaining=0, reset_at=T0 + 10), T0 + 11, 0)
    assert state2.tokens == 4


def test_a_later_reset_starts_a_new_server_window() -> None:
    state = QuotaState(Rate(5, 100))
    take_all(state, T0)
    state.observe(RateLimitInfo(limit=50, remaining=40, reset_at=T0 + 20), T0 + 1, 1)
    assert state.tokens == 39 and state.reset_at == T0 + 20
    state.observe(RateLimitInfo(limit=50, remaining=49, reset_at=T0 + 40), T0 + 21, 0)
    assert state.tokens == 49 and state.reset_at == T0 + 40


def test_refill_keeps_requests_in_flight_out_of_the_new_window() -> None:
    state = QuotaState(None)
    state.observe(RateLimitInfo(limit=5, remaining=0, reset_at=T0 + 10), T0, 0)
    assert state.reserve(T0 + 10, in_flight=2) == 0.0
    assert state.tokens == 2  # 5 - 2 in flight - 1 just taken


@pytest.mark.parametrize("reset", [None, T0 - 50, T0 - 0.1])
def test_missing_or_past_reset_gives_a_short_bounded_probe(reset: float | None) -> None:
    state = QuotaState(None)
    state.observe(RateLimitInfo(limit=10, remaining=0, reset_at=reset), T0, 0)
    wait = state.reserve(T0)
    assert wait == PROBE_DELAY
    # The probe time lets exactly one request ask the server.
    assert state.reserve(T0 + wait) == 0.0
    second = state.reserve(T0 + wait)
    assert second == 2 * PROBE_DELAY
    # A fresh Remaining ends the probing and its back-off.
    state.observe(RateLimitInfo(limit=10, remaining=3), T0 + wait, 0)
    assert take_all(state, T0 + wait) == 3


def test_probe_delay_is_capped() -> None:
    state = QuotaState(None)
    now = T0
    state.observe(RateLimitInfo(limit=10, remaining=0), now, 0)
    waits = []
    for _ in range(20):
        wait = state.reserve(now)
        waits.append(wait)
        now += wait
        assert state.reserve(now) == 0.0
        state.observe(RateLimitInfo(remaining=0), now, 0)
    assert max(waits) == MAX_PROBE_DELAY
    assert all(0 < w <= MAX_PROBE_DELAY for w in waits)


def test_missing_reset_keeps_the_known_window() -> None:
    state = QuotaState(None)
    state.observe(RateLimitInfo(limit=10, remaining=5, reset_at=T0 + 30), T0, 0)
    state.observe(RateLimitInfo(limit=10, remaining=0), T0 + 5, 0)
    assert state.reserve(T0 + 5) == pytest.approx(25)


def test_absurd_reset_is_clamped() -> None:
    state = QuotaState(None)
    state.observe(RateLimitInfo(limit=10, remaining=0, reset_at=T0 + 20 * 3600), T0, 0)
    wait = state.reserve(T0)
    assert 0 < wait <= DEFAULT_MAX_WAIT
    # The stored refill time is clamped too, so a second ask after sleeping gets a token.
    assert state.reserve(T0 + wait) == 0.0


def test_non_finite_reset_is_ignored() -> None:
    state = QuotaState(Rate(2, 10))
    state.observe(RateLimitInfo(limit=2, remaining=0, reset_at=math.inf), T0, 0)
    wait = state.reserve(T0)
    assert 0 < wait <= 10 and math.isfinite(wait)


def test_limit_change_moves_tokens_by_the_difference() -> None:
    state = QuotaState(Rate(10, 60))
    state.reserve(T0)
    state.observe(RateLimitInfo(limit=20), T0, 0)
    assert state.tokens == 19 and state.limit == 20
    state.observe(RateLimitInfo(limit=5), T0, 0)
    assert state.tokens == 4  # one of the five is already spent


def test_refund_gives_one_back_up_to_the_limit() -> None:
    state = QuotaState(Rate(2, 60))
    state.reserve(T0)
    state.refund(T0)
    state.refund(T0)
    assert state.tokens == 2
    unlimited = QuotaState(None)
    unlimited.refund(T0)
    assert unlimited.tokens is None


def test_full_quota_is_used_in_every_window() -> None:
    """Sequential requests with prompt answers spend exactly Limit per server window."""
    limit, window = 7, 10.0
    state = QuotaState(Rate(limit, window))
    now = T0
    window_end: float | None = None
    used = 0
    per_window: list[int] = []
    while len(per_window) < 5:
        wait = state.reserve(now)
        if wait:
            now += wait
            continue
        if window_end is None or now >= window_end:
            if window_end is not None:
                per_window.append(used)
            window_end, used = now + window, 0
        used += 1
        state.observe(
            RateLimitInfo(limit=limit, remaining=limit - used, reset_at=math.ceil(window_end)),
            now,
            0,
        )
        now += 0.01
    assert per_window == [limit] * 5


def make_ledger(limit: int = 5) -> tuple[Ledger, float]:
    ledger = Ledger(None)
    ledger.quota.observe(RateLimitInfo(limit=limit, remaining=limit, reset_at=T0 + 60), T0, 0)
    return ledger, T0


def grant(ledger: Ledger, now: float) -> Ticket:
    ticket = ledger.reserve(now)
    assert isinstance(ticket, Ticket)
    return ticket


def test_ledger_304_settled_by_its_own_remaining_is_not_refunded() -> None:
    ledger, now = make_ledger()
    ticket = grant(ledger, now)
    assert ledger.quota.tokens == 4
    # The server did not count the 304, so its Remaining is still 5.
    ledger.observe(ticket, RateLimitInfo(limit=5, remaining=5, reset_at=T0 + 60), now)
    ledger.release(ticket, refund=True, now=now)
    assert ledger.quota.tokens == 5


def test_ledger_unsent_request_is_refunded_once() -> None:
    ledger, now = make_ledger()
    ticket = grant(ledger, now)
    ledger.release(ticket, refund=True, now=now)
    ledger.release(ticket, refund=True, now=now)
    assert ledger.quota.tokens == 5 and ledger.open_tickets == 0


def test_ledger_refund_from_an_older_window_is_dropped() -> None:
    ledger, now = make_ledger()
    ticket = grant(ledger, now)
    grant(ledger, now + 61)  # the refill happened in between
    tokens = ledger.quota.tokens
    ledger.release(ticket, refund=True, now=now + 61)
    assert ledger.quota.tokens == tokens


def test_ledger_counts_other_requests_in_flight() -> None:
    ledger, now = make_ledger(10)
    first, second, third = (grant(ledger, now) for _ in range(3))
    ledger.observe(first, RateLimitInfo(limit=10, remaining=9, reset_at=T0 + 60), now)
    assert ledger.quota.tokens == 7  # second and third may not be counted yet
    ledger.release(first, refund=False, now=now)
    ledger.observe(third, RateLimitInfo(limit=10, remaining=7, reset_at=T0 + 60), now)
    assert ledger.quota.tokens == 6  # second is still out
    ledger.release(third, refund=False, now=now)
    ledger.observe(second, RateLimitInfo(limit=10, remaining=7, reset_at=T0 + 60), now)
    assert ledger.quota.tokens == 7


def test_ledger_answer_without_headers_is_not_forgotten() -> None:
    ledger, now = make_ledger(10)
    early = grant(ledger, now)
    blind = grant(ledger, now)
    # `blind` was answered without headers; `early` was counted before it on the server.
    ledger.observe(blind, None, now)
    ledger.release(blind, refund=False, now=now)
    ledger.observe(early, RateLimitInfo(limit=10, remaining=9, reset_at=T0 + 60), now)
    assert ledger.quota.tokens == 8
    later = grant(ledger, now)
    ledger.observe(later, RateLimitInfo(limit=10, remaining=7, reset_at=T0 + 60), now)
    assert ledger.quota.tokens == 7
