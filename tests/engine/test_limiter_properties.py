"""Property tests of the quota core against a simulated fixed-window server (like Phrase's)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asyncdam.engine.quota import DEFAULT_MAX_WAIT, Ledger, QuotaState, Ticket
from asyncdam.engine.types import Rate, RateLimitInfo

T0 = 1_700_000_000.0


@dataclass
class Server:
    """Fixed windows opening at the first request; Reset is the window end rounded up."""

    limit: int
    window: float
    end: float | None = None
    used: int = 0

    def admit(self, now: float, free: bool) -> RateLimitInfo:
        if self.end is None or now >= self.end:
            self.end, self.used = now + self.window, 0
        if not free:
            assert self.used < self.limit, "the server would answer 429"
            self.used += 1
        return RateLimitInfo(self.limit, self.limit - self.used, math.ceil(self.end))


@dataclass
class Call:
    ticket: Ticket
    free: bool
    info: RateLimitInfo | None = None
    arrived: bool = False


@dataclass
class Client:
    ledger: Ledger
    server: Server
    now: float
    wait_bound: float
    calls: list[Call] = field(default_factory=list)

    def arrive_all(self) -> None:
        """Requests reach the server before time moves on (answers may still come in any order)."""
        for call in self.calls:
            if not call.arrived:
                call.info = self.server.admit(self.now, call.free)
                call.arrived = True


def check_wait(wait: float, bound: float) -> None:
    assert math.isfinite(wait) and 0 < wait <= bound


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    limit=st.integers(1, 12),
    initial=st.integers(1, 12),
    window=st.floats(0.5, 30, allow_nan=False),
    offset=st.floats(0, 1),
    concurrency=st.integers(1, 4),
    data=st.data(),
)
def test_never_more_than_limit_per_server_window(
    limit: int, initial: int, window: float, offset: float, concurrency: int, data: st.DataObject
) -> None:
    """Whatever the order of answers, 304s, unsent or header-less requests: no 429 ever."""
    server = Server(limit, window)
    client = Client(
        Ledger(Rate(min(initial, limit), window)),
        server,
        T0 + offset,
        max(DEFAULT_MAX_WAIT, window),
    )
    actions = st.sampled_from(["send", "send", "send", "tick", "answer", "answer", "blind", "drop"])
    for _ in range(data.draw(st.integers(10, 120))):
        action = data.draw(actions)
        if action == "send" and len(client.calls) < concurrency:
            result = client.ledger.reserve(client.now)
            if isinstance(result, Ticket):
                free = data.draw(st.booleans()) and data.draw(st.booleans())
                client.calls.append(Call(result, free))
                if data.draw(st.booleans()):
                    client.arrive_all()
            else:
                check_wait(result, client.wait_bound)
                client.arrive_all()
                client.now += result
        elif action == "tick":
            client.arrive_all()
            client.now += data.draw(st.floats(0, window))
        elif action in ("answer", "blind") and client.calls:
            client.arrive_all()
            call = client.calls.pop(data.draw(st.integers(0, len(client.calls) - 1)))
            info = call.info if action == "answer" else None
            client.ledger.observe(call.ticket, info, client.now)
            client.ledger.release(call.ticket, refund=call.free, now=client.now)
        elif action == "drop":
            unsent = [c for c in client.calls if not c.arrived]
            if unsent:
                call = unsent[data.draw(st.integers(0, len(unsent) - 1))]
                client.calls.remove(call)
                client.ledger.release(call.ticket, refund=True, now=client.now)
        tokens = client.ledger.quota.tokens
        assert tokens is None or 0 <= tokens <= (client.ledger.quota.limit or 0)


reset_values = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(T0 - 1000, T0 + 100_000),
)
infos = st.one_of(
    st.none(),
    st.builds(
        RateLimitInfo,
        limit=st.one_of(st.none(), st.integers(-5, 5000)),
        remaining=st.one_of(st.none(), st.integers(-5, 5000)),
        reset_at=reset_values,
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    rate=st.one_of(
        st.none(), st.builds(Rate, st.integers(1, 1000), st.floats(0.01, 10_000, allow_nan=False))
    ),
    steps=st.lists(
        st.tuples(
            st.floats(-5, 5000, allow_nan=False),  # time step; negative: a clock that went back
            infos,
            st.integers(-3, 10),
            st.sampled_from(["reserve", "observe", "refund"]),
        ),
        max_size=60,
    ),
)
def test_waits_are_positive_finite_and_bounded(
    rate: Rate | None, steps: list[tuple[float, RateLimitInfo | None, int, str]]
) -> None:
    """Garbled, stale, missing or absurd headers never yield a negative, endless or huge wait."""
    state = QuotaState(rate)
    bound = max(DEFAULT_MAX_WAIT, rate.window if rate else 0.0)
    now = T0
    for step, info, in_flight, action in steps:
        now += step
        if action == "observe":
            state.observe(info, now, in_flight)
        elif action == "refund":
            state.refund(now)
        else:
            wait = state.reserve(now, max(0, in_flight))
            assert wait == 0.0 or (math.isfinite(wait) and 0 < wait <= bound)
            if wait:
                # Sleeping the wait (when time runs forward) never leads to an endless refusal.
                for _ in range(200):
                    now += wait
                    wait = state.reserve(now)
                    if wait == 0.0:
                        break
                    assert math.isfinite(wait) and 0 < wait <= bound
                assert wait == 0.0
        if state.tokens is not None:
            assert state.tokens >= 0
