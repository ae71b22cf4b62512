"""Example-based tests of the pure retry policy and the retry budget."""

from __future__ import annotations

import email.utils
import random
from typing import Any

import httpx
import pytest

from asyncdam.engine.retry import RESET_MARGIN, RetryBudget, RetryDecision, RetryPolicy
from asyncdam.engine.types import RateLimitInfo

NOW = 1_700_000_000.0


def decide(policy: RetryPolicy, **kw: Any) -> RetryDecision:
    args: dict[str, Any] = {
        "attempt": 1,
        "idempotent": True,
        "sent": True,
        "status": 503,
        "headers": None,
        "rate_limit": None,
        "now": NOW,
    }
    args.update(kw)
    return policy.decide(**args)


@pytest.fixture
def policy() -> RetryPolicy:
    return RetryPolicy(rng=random.Random(7))


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried(policy: RetryPolicy, status: int) -> None:
    decision = decide(policy, status=status)
    assert decision.retry
    assert 0.0 <= decision.delay <= policy.backoff_cap


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 410, 422, 501])
def test_other_statuses_are_final(policy: RetryPolicy, status: int) -> None:
    decision = decide(policy, status=status)
    assert not decision.retry
    assert str(status) in decision.reason


def test_sent_post_is_never_retried(policy: RetryPolicy) -> None:
    assert not decide(policy, idempotent=False, status=503).retry
    assert not decide(policy, idempotent=False, status=None, sent=True).retry
    # A response proves it was sent even if the caller said otherwise.
    assert not decide(policy, idempotent=False, status=502, sent=False).retry


def test_unsent_post_may_be_retried(policy: RetryPolicy) -> None:
    decision = decide(policy, idempotent=False, status=None, sent=False)
    assert decision.retry
    assert "not sent" in decision.reason


def test_transport_error_on_idempotent_request_is_retried(policy: RetryPolicy) -> None:
    decision = decide(policy, status=None, sent=True)
    assert decision.retry
    assert "transport" in decision.reason


def test_attempts_are_bounded() -> None:
    policy = RetryPolicy(max_attempts=3, rng=random.Random(1))
    assert decide(policy, attempt=1).retry
    assert decide(policy, attempt=2).retry
    final = decide(policy, attempt=3)
    assert not final.retry
    assert "3 attempts" in final.reason


def test_retry_after_seconds_wins(policy: RetryPolicy) -> None:
    decision = decide(policy, status=503, headers={"Retry-After": "12"})
    assert decision == RetryDecision(True, 12.0, "status 503: Retry-After")


def test_retry_after_http_date(policy: RetryPolicy) -> None:
    date = email.utils.formatdate(NOW + 40, usegmt=True)
    decision = decide(policy, status=429, headers=httpx.Headers({"retry-after": date}))
    assert decision.retry
    assert decision.delay == pytest.approx(40.0, abs=1.0)


def test_retry_after_in_the_past_means_now(policy: RetryPolicy) -> None:
    date = email.utils.formatdate(NOW - 100, usegmt=True)
    decision = decide(policy, status=503, headers={"retry-after": date})
    assert decision.retry
    assert decision.delay == 0.0


def test_garbled_retry_after_falls_back_to_backoff(policy: RetryPolicy) -> None:
    decision = decide(policy, status=503, headers={"retry-after": "soon-ish"})
    assert decision.retry
    assert decision.reason.endswith("backoff")
    assert 0.0 <= decision.delay <= policy.backoff_base


def test_quota_exhausted_waits_for_reset(policy: RetryPolicy) -> None:
    info = RateLimitInfo(limit=1000, remaining=0, reset_at=NOW + 20)
    decision = decide(policy, status=429, rate_limit=info)
    assert decision.retry
    assert decision.delay == pytest.approx(20.0 + RESET_MARGIN)
    assert "reset" in decision.reason


def test_reset_in_the_past_gives_only_the_margin(policy: RetryPolicy) -> None:
    info = RateLimitInfo(limit=1000, remaining=0, reset_at=NOW - 5)
    assert decide(policy, status=429, rate_limit=info).delay == pytest.approx(RESET_MARGIN)


def test_reset_ignored_while_quota_remains(policy: RetryPolicy) -> None:
    info = RateLimitInfo(limit=1000, remaining=10, reset_at=NOW + 300)
    decision = decide(policy, status=429, rate_limit=info)
    assert decision.retry
    assert decision.delay <= policy.backoff_base


def test_server_wait_beyond_bound_gives_up() -> None:
    policy = RetryPolicy(max_server_wait=60.0, rng=random.Random(3))
    info = RateLimitInfo(limit=1000, remaining=0, reset_at=NOW + 3600)
    decision = decide(policy, status=429, rate_limit=info)
    assert not decision.retry
    assert "3600" in decision.reason
    assert not decide(policy, status=503, headers={"Retry-After": "61"}).retry
    assert decide(policy, status=503, headers={"Retry-After": "60"}).delay == 60.0


def test_concurrency_429_gets_short_backoff_not_reset(policy: RetryPolicy) -> None:
    info = RateLimitInfo(limit=1000, remaining=0, reset_at=NOW + 300)
    decision = decide(policy, status=429, rate_limit=info, concurrency_limited=True)
    assert decision.retry
    assert policy.backoff_base / 2 <= decision.delay <= policy.backoff_base
    assert "concurrency" in decision.reason


def test_429_without_reset_uses_bounded_backoff(policy: RetryPolicy) -> None:
    info = RateLimitInfo(limit=1000, remaining=0, reset_at=None)
    decision = decide(policy, status=429, rate_limit=info, attempt=4)
    assert decision.retry
    assert 0.0 <= decision.delay <= policy.backoff_base * 8


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(max_attempts=100, backoff_base=1.0, backoff_cap=10.0, rng=random.Random(5))
    delays = [decide(policy, attempt=a).delay for a in range(1, 100)]
    assert all(0.0 <= d <= 10.0 for d in delays)
    # Full jitter: early attempts stay under their ceilings, late ones spread over the cap.
    assert delays[0] <= 1.0
    assert max(delays[20:]) > 5.0


def test_seeded_rng_is_reproducible() -> None:
    a = RetryPolicy(rng=random.Random(42))
    b = RetryPolicy(rng=random.Random(42))
    assert [decide(a, attempt=n).delay for n in range(1, 5)] == [
        decide(b, attempt=n).delay for n in range(1, 5)
    ]


def test_custom_status_set() -> None:
    policy = RetryPolicy(retry_statuses={503}, rng=random.Random(0))
    assert decide(policy, status=503).retry
    assert not decide(policy, status=500).retry


@pytest.mark.parametrize(
    "kw", [{"max_attempts": 0}, {"backoff_base": -1.0}, {"backoff_cap": float("inf")}]
)
def test_invalid_policy_rejected(kw: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kw)


# -- budget ------------------------------------------------------------------------------------


def test_budget_always_allows_minimum() -> None:
    budget = RetryBudget(ratio=0.2, window=60.0, min_per_window=3)
    assert [budget.try_spend(NOW) for _ in range(5)] == [True, True, True, False, False]


def test_budget_scales_with_requests() -> None:
    budget = RetryBudget(ratio=0.2, window=60.0, min_per_window=2)
    for _ in range(100):
        budget.record_request(NOW)
    granted = sum(budget.try_spend(NOW + 1) for _ in range(50))
    assert granted == 20


def test_budget_window_slides() -> None:
    budget = RetryBudget(ratio=0.0, window=60.0, min_per_window=2)
    assert budget.try_spend(NOW)
    assert budget.try_spend(NOW)
    assert not budget.try_spend(NOW + 30)
    # Once the old slice has left the window the allowance is back.
    assert budget.try_spend(NOW + 61)
    assert budget.spent(NOW + 61) == 1


def test_budget_memory_is_bounded() -> None:
    budget = RetryBudget(window=10.0, buckets=5)
    for i in range(10_000):
        budget.record_request(NOW + i * 0.01)
    assert len(budget._slices) <= 5


def test_budget_clock_stepping_back_does_not_reopen_old_slices() -> None:
    budget = RetryBudget(ratio=0.0, window=60.0, min_per_window=1)
    assert budget.try_spend(NOW + 100)
    assert not budget.try_spend(NOW)
    assert budget.spent(NOW) == 1
