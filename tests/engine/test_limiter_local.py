"""LocalLimiter on a fake clock, on asyncio and trio: FIFO, cancellation, cap, refund, wake-ups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel
import pytest

from asyncdam.engine.limiter import LocalLimiter, LocalPermit
from asyncdam.engine.protocols import LimiterBackend
from asyncdam.engine.types import Rate, RateLimitInfo

if TYPE_CHECKING:  # annotations only: importing a conftest by name breaks mixed collections
    from conftest import FakeClock, RunAsync


async def settle() -> None:
    """Let cancellations land and every task block again (asyncio delivers cancels lazily)."""
    for _ in range(3):
        await anyio.wait_all_tasks_blocked()
        await anyio.lowlevel.checkpoint()
    await anyio.wait_all_tasks_blocked()


def test_is_a_limiter_backend() -> None:
    assert isinstance(LocalLimiter(), LimiterBackend)


def test_waiters_are_served_in_arrival_order(run_async: RunAsync, fake_clock: FakeClock) -> None:
    async def main() -> list[int]:
        limiter = LocalLimiter(clock=fake_clock)
        served: list[int] = []
        holder = await limiter.acquire("s", concurrency=1, initial_rate=None)

        async def worker(index: int) -> None:
            permit = await limiter.acquire("s", concurrency=1, initial_rate=None)
            served.append(index)
            await fake_clock.sleep(0.5)
            await permit.release()

        async with anyio.create_task_group() as tg:
            for index in range(8):
                tg.start_soon(worker, index)
                await anyio.wait_all_tasks_blocked()
            assert limiter.snapshot("s")["waiting"] == 8
            await holder.release()
        return served

    assert run_async(main) == list(range(8))


def test_quota_waits_are_single_timed_sleeps_in_fifo_order(
    run_async: RunAsync, fake_clock: FakeClock
) -> None:
    async def main() -> None:
        limiter = LocalLimiter(clock=fake_clock)
        start = fake_clock.now()
        grants: list[tuple[int, float]] = []

        async def worker(index: int) -> None:
            permit = await limiter.acquire("s", concurrency=10, initial_rate=Rate(2, 10))
            grants.append((index, fake_clock.now() - start))
            await permit.release()

        async with anyio.create_task_group() as tg:
            for index in range(6):
                tg.start_soon(worker, index)
                await anyio.wait_all_tasks_blocked()
        assert [i for i, _ in grants] == list(range(6))
        assert [t for _, t in grants] == [0, 0, 10, 10, 20, 20]
        # One sleep per refill, by the head only: no polling.
        assert fake_clock.sleeps == [10, 10]

    run_async(main)


def test_cancelled_waiters_leave_nothing_behind(
    run_async: RunAsync, manual_clock: FakeClock
) -> None:
    async def main() -> None:
        limiter = LocalLimiter(clock=manual_clock)
        rate = Rate(1, 10)
        first = await limiter.acquire("s", concurrency=1, initial_rate=rate)
        await first.release()
        got: list[str] = []

        async def waiter(name: str, scope: anyio.CancelScope) -> None:
            with scope:
                permit = await limiter.acquire("s", concurrency=1, initial_rate=rate)
                got.append(name)
                await permit.release()

        head, middle, tail = anyio.CancelScope(), anyio.CancelScope(), anyio.CancelScope()
        async with anyio.create_task_group() as tg:
            for name, scope in (("head", head), ("middle", middle), ("tail", tail)):
                tg.start_soon(waiter, name, scope)
                await anyio.wait_all_tasks_blocked()
            assert manual_clock.pending_sleepers == 1  # only the head sleeps
            head.cancel()
            middle.cancel()
            await settle()
            snap = limiter.snapshot("s")
            assert snap["waiting"] == 1 and snap["in_flight"] == 0 and snap["tokens"] == 0
            # The new head took over the timed sleep; when it ends the survivor is served.
            assert manual_clock.pending_sleepers == 1
            await manual_clock.advance_and_settle(10)
        assert got == ["tail"]
        assert limiter.snapshot("s")["tokens"] == 0  # tail used the refilled token
        assert limiter.snapshot("s")["in_flight"] == 0

    run_async(main)


def test_cancelled_slot_waiter_does_not_stall_the_queue(
    run_async: RunAsync, fake_clock: FakeClock
) -> None:
    async def main() -> None:
        limiter = LocalLimiter(clock=fake_clock)
        holder = await limiter.acquire("s", concurrency=1, initial_rate=None)
        got: list[int] = []
        scopes = [anyio.CancelScope() for _ in range(3)]

        async def waiter(index: int) -> None:
            with scopes[index]:
                permit = await limiter.acquire("s", concurrency=1, initial_rate=None)
                got.append(index)
                await permit.release()

        async with anyio.create_task_group() as tg:
            for index in range(3):
                tg.start_soon(waiter, index)
                await anyio.wait_all_tasks_blocked()
            scopes[0].cancel()
            await settle()
            await holder.release()
        assert got == [1, 2]
        assert limiter.snapshot("s")["in_flight"] == 0
        assert limiter.snapshot("s")["waiting"] == 0

    run_async(main)


def test_concurrency_cap_is_never_exceeded(run_async: RunAsync, fake_clock: FakeClock) -> None:
    async def main() -> int:
        limiter = LocalLimiter(clock=fake_clock)
        active = 0
        peak = 0

        async def worker(index: int) -> None:
            nonlocal active, peak
            permit = await limiter.acquire("s", concurrency=3, initial_rate=Rate(50, 1))
            active += 1
            peak = max(peak, active)
            assert limiter.snapshot("s")["in_flight"] <= 3
            await fake_clock.sleep(0.01 * (index % 4))
            await anyio.lowlevel.checkpoint()
            active -= 1
            await permit.release()

        async with anyio.create_task_group() as tg:
            for index in range(40):
                tg.start_soon(worker, index)
        assert limiter.snapshot("s")["in_flight"] == 0
        return peak

    assert run_async(main) == 3


def test_refund_returns_the_token(run_async: RunAsync, manual_clock: FakeClock) -> None:
    async def main() -> None:
        limiter = LocalLimiter(clock=manual_clock)
        rate = Rate(1, 100)
        permit = await limiter.acquire("s", concurrency=2, initial_rate=rate)
        await permit.release(refund=True)
        await permit.release(refund=True)  # idempotent: no second token, no negative slot
        assert limiter.snapshot("s") | {"reset_at": None} == {
            "limit": 1,
            "tokens": 1,
            "reset_at": None,
            "in_flight": 0,
            "waiting": 0,
            "concurrency": 2,
        }
        again = await limiter.acquire("s", concurrency=2, initial_rate=rate)
        assert again.waited == 0
        await again.release()
        assert limiter.snapshot("s")["tokens"] == 0

    run_async(main)


def test_refund_wakes_the_sleeping_head(run_async: RunAsync, manual_clock: FakeClock) -> None:
    async def main() -> None:
        limiter = LocalLimiter(clock=manual_clock)
        rate = Rate(1, 100)
        held = await limiter.acquire("s", concurrency=2, initial_rate=rate)
        got: list[LocalPermit] = []

        async def waiter() -> None:
            got.append(await limiter.acquire("s", concurrency=2, initial_rate=rate))

        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter)
            await anyio.wait_all_tasks_blocked()
            assert not got
            await held.release(refund=True)  # say, a 304 without headers: free
        assert len(got) == 1 and manual_clock.now() == held_time
        await got[0].release()

    held_time = manual_clock.now()
    run_async(main)


def test_server_answer_wakes_the_head_without_waiting_for_its_timer(
    run_async: RunAsync, manual_clock: FakeClock
) -> None:
    async def main() -> None:
        limiter = LocalLimiter(clock=manual_clock)
        rate = Rate(1, 300)
        first = await limiter.acquire("s", concurrency=4, initial_rate=rate)
        got: list[LocalPermit] = []

        async def waiter() -> None:
            got.append(await limiter.acquire("s", concurrency=4, initial_rate=rate))

        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter)
            await anyio.wait_all_tasks_blocked()
            now = manual_clock.now()
            # The real quota is larger than the configured guess.
            first.observe(RateLimitInfo(limit=1000, remaining=990, reset_at=now + 200), now)
        await first.release()
        assert len(got) == 1 and got[0].waited == 0
        await got[0].release()
        snap = limiter.snapshot("s")
        assert snap["limit"] == 1000 and snap["tokens"] == 989

    run_async(main)


def test_throttle_wait_is_reported(run_async: RunAsync, fake_clock: FakeClock) -> None:
    async def main() -> None:
        limiter = LocalLimiter(clock=fake_clock)
        first = await limiter.acquire("s", concurrency=1, initial_rate=None)
        now = fake_clock.now()
        first.observe(RateLimitInfo(limit=10, remaining=0, reset_at=now + 7), now)
        await first.release()
        second = await limiter.acquire("s", concurrency=1, initial_rate=None)
        assert second.waited == pytest.approx(7)
        await second.release()

    run_async(main)


def test_scopes_are_independent_and_the_smallest_concurrency_wins(
    run_async: RunAsync, fake_clock: FakeClock
) -> None:
    async def main() -> None:
        limiter = LocalLimiter(clock=fake_clock)
        a = await limiter.acquire("a", concurrency=2, initial_rate=None)
        b = await limiter.acquire("b", concurrency=1, initial_rate=None)
        got: list[Any] = []

        async def take(cap: int) -> None:
            got.append(await limiter.acquire("a", concurrency=cap, initial_rate=None))

        async with anyio.create_task_group() as tg:
            # A client asking for 1 lowers the cap of "a": its request waits for the slot...
            tg.start_soon(take, 1)
            await anyio.wait_all_tasks_blocked()
            # ...and one asking for 50 afterwards does not lift it again.
            tg.start_soon(take, 50)
            await anyio.wait_all_tasks_blocked()
            assert got == [] and limiter.snapshot("a")["concurrency"] == 1
            assert limiter.snapshot("b")["in_flight"] == 1
            await a.release()
            await anyio.wait_all_tasks_blocked()
            assert len(got) == 1 and limiter.snapshot("a")["in_flight"] == 1
            await got[0].release()
        assert len(got) == 2 and limiter.snapshot("a")["concurrency"] == 1
        for permit in (b, got[1]):
            await permit.release()
        assert limiter.snapshot("unknown")["in_flight"] == 0

    run_async(main)


def test_aclose_fails_queued_and_new_acquires(run_async: RunAsync, fake_clock: FakeClock) -> None:
    async def main() -> None:
        limiter = LocalLimiter(clock=fake_clock)
        holder = await limiter.acquire("s", concurrency=1, initial_rate=None)
        errors: list[BaseException] = []

        async def waiter() -> None:
            try:
                await limiter.acquire("s", concurrency=1, initial_rate=None)
            except anyio.ClosedResourceError as exc:
                errors.append(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter)
            await anyio.wait_all_tasks_blocked()
            await limiter.aclose()
        assert len(errors) == 1
        with pytest.raises(anyio.ClosedResourceError):
            await limiter.acquire("s", concurrency=1, initial_rate=None)
        await holder.release()
        assert limiter.snapshot("s")["waiting"] == 0

    run_async(main)


def test_bad_concurrency_is_refused(run_async: RunAsync) -> None:
    async def main() -> None:
        with pytest.raises(ValueError):
            await LocalLimiter().acquire("s", concurrency=0, initial_rate=None)

    run_async(main)
