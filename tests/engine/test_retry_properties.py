"""Property tests (hypothesis) of the retry policy and the retry budget."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from asyncdam.engine.retry import RetryBudget, RetryPolicy
from asyncdam.engine.types import RateLimitInfo

NOW = 1_700_000_000.0

statuses = st.one_of(st.none(), st.integers(100, 599), st.sampled_from([408, 429, 500, 503]))
header_values = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-(10**12), 10**12).map(str),
    st.just("Wed, 21 Oct 2015 07:28:00 GMT"),
    st.just("Fri, 01 Jan 2100 00:00:00 GMT"),
)
reset_times = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(NOW - 1e5, NOW + 1e5),
)
rate_limits = st.one_of(
    st.none(),
    st.builds(
        RateLimitInfo,
        limit=st.one_of(st.none(), st.integers(1, 10_000)),
        remaining=st.one_of(st.none(), st.integers(0, 3)),
        reset_at=reset_times,
    ),
)
policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 20),
    backoff_base=st.floats(0, 100),
    backoff_cap=st.floats(0, 1000),
    max_server_wait=st.floats(0, 10_000),
    rng=st.integers(0, 2**32).map(random.Random),
)


@settings(max_examples=400, deadline=None)
@given(
    policy=policies,
    attempt=st.integers(1, 10_000),
    idempotent=st.booleans(),
    sent=st.booleans(),
    status=statuses,
    retry_after=header_values,
    rate_limit=rate_limits,
    concurrency=st.booleans(),
)
def test_decisions_are_safe(
    policy: RetryPolicy,
    attempt: int,
    idempotent: bool,
    sent: bool,
    status: int | None,
    retry_after: str | None,
    rate_limit: RateLimitInfo | None,
    concurrency: bool,
) -> None:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    decision = policy.decide(
        attempt=attempt,
        idempotent=idempotent,
        sent=sent,
        status=status,
        headers=headers,
        rate_limit=rate_limit,
        concurrency_limited=concurrency,
        now=NOW,
    )
    assert math.isfinite(decision.delay)
    assert 0.0 <= decision.delay <= policy.max_delay
    if not decision.retry:
        assert decision.delay == 0.0
        return
    # The properties that matter most: never repeat a request the server may have acted on.
    assert idempotent or (not sent and status is None)
    assert attempt < policy.max_attempts
    assert status is None or status in policy.retry_statuses
    if decision.reason.endswith("backoff") or "concurrency" in decision.reason:
        assert decision.delay <= policy.backoff_cap
    else:
        assert decision.delay <= policy.max_server_wait


events = st.lists(st.tuples(st.sampled_from(["request", "retry"]), st.floats(0, 30)), max_size=300)


@settings(max_examples=200, deadline=None)
@given(
    ratio=st.floats(0, 1),
    min_per_window=st.integers(0, 15),
    window=st.floats(1, 120),
    buckets=st.integers(1, 20),
    steps=events,
)
def test_budget_never_exceeds_its_allowance(
    ratio: float, min_per_window: int, window: float, buckets: int, steps: list[tuple[str, float]]
) -> None:
    budget = RetryBudget(ratio=ratio, window=window, min_per_window=min_per_window, buckets=buckets)
    log: list[tuple[str, int]] = []  # independent record: (kind, slice index)
    now = NOW
    for kind, gap in steps:
        now += gap
        index = budget.bucket_index(now)
        if kind == "request":
            budget.record_request(now)
            log.append(("request", index))
            continue
        if not budget.try_spend(now):
            continue
        log.append(("retry", index))
        live = [k for k, i in log if i > index - buckets]
        requests = live.count("request")
        assert live.count("retry") <= max(min_per_window, ratio * requests)


@settings(max_examples=100, deadline=None)
@given(min_per_window=st.integers(0, 20), ratio=st.floats(0, 1), n=st.integers(0, 500))
def test_budget_grants_exactly_its_allowance_at_one_instant(
    min_per_window: int, ratio: float, n: int
) -> None:
    budget = RetryBudget(ratio=ratio, min_per_window=min_per_window)
    for _ in range(n):
        budget.record_request(NOW)
    granted = sum(budget.try_spend(NOW) for _ in range(n + min_per_window + 5))
    assert granted == math.floor(max(min_per_window, ratio * n))
