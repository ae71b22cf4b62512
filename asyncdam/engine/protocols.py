"""Contracts between the engine's shell and its replaceable parts (local or Redis backends)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs

from asyncdam.engine.types import Rate, RateLimitInfo


class Permit(Protocol):
    """The right to send one request in a scope: one quota token plus one concurrency slot."""

    @property
    def waited(self) -> float:
        """Seconds spent waiting for this permit (throttle time)."""
        ...

    def observe(self, info: RateLimitInfo | None, now: float) -> None:
        """Feed what the response said about the quota back into the scope's state."""
        ...

    async def release(self, *, refund: bool = False) -> None:
        """Give the slot back; `refund=True` also returns the token (a 304 or an unsent request)."""
        ...


@runtime_checkable
class LimiterBackend(Protocol):
    """Hands out permits per quota scope; local (in-process) or shared (Redis)."""

    async def acquire(
        self,
        scope: str,
        *,
        concurrency: int,
        initial_rate: Rate | None,
        max_wait: float | None = None,
    ) -> Permit:
        """Wait (FIFO, one timed sleep at a time, cancellable) until a token and a slot are free;
        a quota wait longer than `max_wait` seconds raises `types.WaitRefused` without sleeping."""
        ...

    async def aclose(self) -> None:
        """Release background resources."""
        ...


@attrs.frozen
class CacheEntry:
    """A stored 200 response for revalidation."""

    status: int
    headers: tuple[tuple[str, str], ...]
    content: bytes
    etag: str | None
    last_modified: str | None
    stored_at: float

    @property
    def size(self) -> int:
        """Approximate bytes the entry occupies."""
        return len(self.content) + sum(len(k) + len(v) for k, v in self.headers) + 64


@runtime_checkable
class CacheStorage(Protocol):
    """Where conditional-request entries live: memory, SQLite, Redis."""

    async def get(self, key: str) -> CacheEntry | None:
        """The entry under `key`, or None."""
        ...

    async def set(self, key: str, entry: CacheEntry) -> None:
        """Store (or replace) an entry."""
        ...

    async def delete(self, key: str) -> None:
        """Forget an entry."""
        ...

    async def aclose(self) -> None:
        """Flush and release resources."""
        ...
