"""Shared fixtures for engine tests: a fake clock and the anyio backends (asyncio and trio).

pytest-asyncio's auto mode claims every `async def` test, `@pytest.mark.anyio` ones included, and
runs them on asyncio only. Tests that must also run on trio are therefore plain functions that
hand a coroutine function to the `run_async` fixture, which runs it on each anyio backend.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
import pytest

# A plausible epoch so that X-Rate-Limit-Reset values look like the real ones (>= 10**9).
FAKE_EPOCH = 1_700_000_000.0


class FakeClock:
    """A deterministic `asyncdam.engine.clock.Clock`: time only moves when code sleeps or a test
    calls `advance`.

    With `autojump=True` (the default) a `sleep(d)` moves time to at least its deadline and returns
    after one checkpoint, so timing logic runs in microseconds. With `autojump=False` sleepers
    block until `advance` passes their deadline, which lets a test freeze waiters in place.
    """

    def __init__(self, start: float = FAKE_EPOCH, *, autojump: bool = True) -> None:
        """A clock reading `start` epoch seconds."""
        self._now = start
        self._start = start
        self.autojump = autojump
        self.sleeps: list[float] = []
        self._sleepers: list[tuple[float, anyio.Event]] = []

    def now(self) -> float:
        """The fake epoch time."""
        return self._now

    def monotonic(self) -> float:
        """Seconds since the clock was made (never goes back)."""
        return self._now - self._start

    async def sleep(self, seconds: float) -> None:
        """Sleep on fake time; every requested duration is recorded in `sleeps`."""
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        deadline = self._now + seconds
        if self.autojump or deadline <= self._now:
            self._move_to(deadline)
            await anyio.lowlevel.checkpoint()
            return
        entry = (deadline, anyio.Event())
        self._sleepers.append(entry)
        try:
            await entry[1].wait()
        finally:
            if entry in self._sleepers:
                self._sleepers.remove(entry)

    def advance(self, seconds: float) -> None:
        """Move time forward and wake the sleepers whose deadline has come."""
        self._move_to(self._now + max(0.0, seconds))

    async def advance_and_settle(self, seconds: float) -> None:
        """`advance`, then let every task run until all of them are blocked again."""
        self.advance(seconds)
        await anyio.wait_all_tasks_blocked()

    @property
    def pending_sleepers(self) -> int:
        """How many tasks are blocked in `sleep` (manual mode)."""
        return len(self._sleepers)

    def _move_to(self, when: float) -> None:
        self._now = max(self._now, when)
        for entry in [e for e in self._sleepers if e[0] <= self._now]:
            self._sleepers.remove(entry)
            entry[1].set()


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """The anyio backends every dual-backend test runs on."""
    return str(request.param)


RunAsync = Callable[[Callable[[], Awaitable[Any]]], Any]


@pytest.fixture
def run_async(anyio_backend: str) -> RunAsync:
    """Run a coroutine function to completion on the parametrized backend; returns its result."""

    def runner(fn: Callable[[], Awaitable[Any]]) -> Any:
        return anyio.run(fn, backend=anyio_backend)

    return runner


@pytest.fixture
def fake_clock() -> FakeClock:
    """A FakeClock whose sleeps jump time forward."""
    return FakeClock()


@pytest.fixture
def manual_clock() -> FakeClock:
    """A FakeClock whose sleepers wait for `advance` (to hold waiters in place)."""
    return FakeClock(autojump=False)
