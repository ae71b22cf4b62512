"""Time as a dependency, so timing logic is tested with a fake clock instead of sleeps."""

from __future__ import annotations

import time
from typing import Protocol

import anyio


class Clock(Protocol):
    """Wall time (epoch seconds, what X-Rate-Limit-Reset speaks) and a sleep."""

    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    def monotonic(self) -> float:
        """A monotonic reading for durations."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep for `seconds` (never negative)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def monotonic(self) -> float:
        """A monotonic reading for durations."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Sleep for `seconds` on the running event loop (asyncio or trio)."""
        await anyio.sleep(max(0.0, seconds))
