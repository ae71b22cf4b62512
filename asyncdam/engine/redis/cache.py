"""Conditional-request entries in Redis, shared by every worker: one hash per entry with a TTL.

Keys are the engine's cache keys (hashes of credential identity + request, never a secret) under
a prefix. The store is bounded without relying on the server's maxmemory policy: every entry
expires `ttl_seconds` after it was last stored and entries above `max_entry_bytes` are skipped.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from asyncdam.engine.cache_storage import decode_entry, encode_headers
from asyncdam.engine.protocols import CacheEntry
from asyncdam.engine.redis.limiter import guarded

__all__ = ["RedisCache"]

MiB = 1024 * 1024
_FIELDS = (b"status", b"headers", b"content", b"etag", b"last_modified", b"stored_at")


class RedisCache:
    """A `CacheStorage` on Redis; raises `BackendUnavailable` when the server cannot be reached."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        key_prefix: str = "asyncdam",
        ttl_seconds: float = 7 * 86400,
        max_entry_bytes: int = MiB,
    ) -> None:
        """Entries under `key_prefix:cache:`, kept `ttl_seconds`, at most `max_entry_bytes` each."""
        if ttl_seconds <= 0 or max_entry_bytes <= 0:
            raise ValueError("ttl_seconds and max_entry_bytes must be positive")
        self.client = client
        self.key_prefix = key_prefix
        self.ttl_ms = int(ttl_seconds * 1000)
        self.max_entry_bytes = max_entry_bytes

    def _key(self, key: str) -> str:
        return f"{self.key_prefix}:cache:{key}"

    async def get(self, key: str) -> CacheEntry | None:
        """The entry under `key`, or None; raises `CorruptEntryError` for a malformed one."""
        raw = await guarded(lambda: self.client.hgetall(self._key(key)))
        if not raw:
            return None
        status, headers, content, etag, last_modified, stored_at = (
            raw.get(name) for name in _FIELDS
        )

        def text(value: bytes | str | None) -> str | None:
            if isinstance(value, bytes):
                return value.decode("utf-8", "replace")
            return value

        def number(value: bytes | str | None, kind: type[int] | type[float]) -> object:
            try:
                return kind(value) if value is not None else None
            except ValueError:
                return None

        return decode_entry(
            number(status, int),
            headers,
            content,
            text(etag),
            text(last_modified),
            number(stored_at, float),
        )

    async def set(self, key: str, entry: CacheEntry) -> None:
        """Store or replace an entry (an oversized one only removes the old value)."""
        name = self._key(key)
        if entry.size > self.max_entry_bytes:
            await guarded(lambda: self.client.delete(name))
            return
        mapping: dict[Any, Any] = {
            "status": entry.status,
            "headers": encode_headers(entry.headers),
            "content": entry.content,
            "stored_at": repr(entry.stored_at),
        }
        if entry.etag is not None:
            mapping["etag"] = entry.etag
        if entry.last_modified is not None:
            mapping["last_modified"] = entry.last_modified

        async def write() -> None:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.delete(name)
                pipe.hset(name, mapping=mapping)
                pipe.pexpire(name, self.ttl_ms)
                await pipe.execute()

        await guarded(write)

    async def delete(self, key: str) -> None:
        """Forget an entry (no error if absent)."""
        await guarded(lambda: self.client.delete(self._key(key)))

    async def aclose(self) -> None:
        """Nothing to flush: every write is already on the server; the backend owns the client."""
