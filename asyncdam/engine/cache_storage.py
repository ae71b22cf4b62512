"""Where conditional-request entries live: an in-memory LRU and a SQLite file, both byte-bounded.

Both implement `asyncdam.engine.protocols.CacheStorage` and work on asyncio and trio. Keys are
already hashes (see `asyncdam.engine.cache.cache_key`) and entries hold no credential headers, so
neither storage ever holds a secret. The SQLite file (and its -wal/-shm) is created 0600: it holds
every tenant's response bodies.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread

from asyncdam.engine.keys import new_key_secret
from asyncdam.engine.protocols import CacheEntry

__all__ = ["CorruptEntryError", "MemoryCache", "SQLiteCache", "decode_entry", "encode_headers"]

_logger = logging.getLogger("asyncdam")
_T = TypeVar("_T")

MiB = 1024 * 1024
SCHEMA_VERSION = 1
_SUM = "SELECT COALESCE(SUM(size), 0) FROM entries"


class CorruptEntryError(Exception):
    """A stored entry could not be decoded; the caller should drop it and carry on uncached."""


def _check_max_bytes(max_bytes: int) -> int:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
        raise ValueError(f"max_bytes must be a positive integer, got {max_bytes!r}")
    return max_bytes


def encode_headers(headers: tuple[tuple[str, str], ...]) -> str:
    """Headers as compact JSON (a list of pairs, so repeated headers such as Link survive)."""
    return json.dumps([list(pair) for pair in headers], separators=(",", ":"))


def decode_entry(
    status: object,
    headers: object,
    content: object,
    etag: object,
    last_modified: object,
    stored_at: object,
) -> CacheEntry:
    """Rebuild an entry from stored columns, or raise `CorruptEntryError` if any is malformed."""
    if isinstance(status, bool) or not isinstance(status, int):
        raise CorruptEntryError("status is not an integer")
    if not isinstance(content, bytes):
        raise CorruptEntryError("content is not bytes")
    if etag is not None and not isinstance(etag, str):
        raise CorruptEntryError("etag is not text")
    if last_modified is not None and not isinstance(last_modified, str):
        raise CorruptEntryError("last_modified is not text")
    if isinstance(stored_at, bool) or not isinstance(stored_at, int | float):
        raise CorruptEntryError("stored_at is not a number")
    if not isinstance(headers, str | bytes):
        raise CorruptEntryError("headers are not text")
    try:
        raw = json.loads(headers)
    except ValueError:
        raise CorruptEntryError("headers are not valid JSON") from None
    if not isinstance(raw, list):
        raise CorruptEntryError("headers are not a list")
    pairs: list[tuple[str, str]] = []
    for item in raw:
        if (
            not isinstance(item, list)
            or len(item) != 2
            or not isinstance(item[0], str)
            or not isinstance(item[1], str)
        ):
            raise CorruptEntryError("a header is not a pair of strings")
        pairs.append((item[0], item[1]))
    return CacheEntry(
        status=status,
        headers=tuple(pairs),
        content=content,
        etag=etag,
        last_modified=last_modified,
        stored_at=float(stored_at),
    )


class MemoryCache:
    """An in-process LRU bounded by total entry bytes; entries larger than the bound are skipped."""

    def __init__(self, max_bytes: int = 64 * MiB) -> None:
        self.max_bytes = _check_max_bytes(max_bytes)
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"MemoryCache(entries={len(self._entries)}, bytes={self._bytes}/{self.max_bytes})"

    @property
    def total_bytes(self) -> int:
        """Bytes currently held (sum of `CacheEntry.size`)."""
        return self._bytes

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    # No await inside these methods: each runs atomically on its event loop, so no lock is needed.
    async def get(self, key: str) -> CacheEntry | None:
        """The entry under `key` (marking it most recently used), or None."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    async def set(self, key: str, entry: CacheEntry) -> None:
        """Store or replace an entry, evicting least recently used ones to stay within the bound."""
        self._discard(key)
        size = entry.size
        if size > self.max_bytes:
            return
        self._entries[key] = entry
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.size

    async def delete(self, key: str) -> None:
        """Forget an entry (no error if absent)."""
        self._discard(key)

    async def aclose(self) -> None:
        """Drop every entry."""
        self._entries.clear()
        self._bytes = 0

    def _discard(self, key: str) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.size


_SCHEMA = (
    "CREATE TABLE entries (key TEXT PRIMARY KEY, status INTEGER NOT NULL, headers TEXT NOT NULL,"
    " content BLOB NOT NULL, etag TEXT, last_modified TEXT, stored_at REAL NOT NULL,"
    " size INTEGER NOT NULL, accessed INTEGER NOT NULL)",
    "CREATE INDEX entries_accessed ON entries (accessed)",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
_META = "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
_SIDE_FILES = ("-wal", "-shm", "-journal")


def _make_private(path: Path, *, create: bool) -> None:
    """Owner-only access: create `path` 0600 (with `create`), tighten an existing one we own."""
    flags = os.O_WRONLY | (os.O_CREAT if create else 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError:
        return  # absent side file, or not ours to change: sqlite reports real problems itself
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    except (OSError, AttributeError):  # no fchmod on Windows, where modes mean little
        pass
    finally:
        os.close(fd)


class SQLiteCache:
    """A byte-bounded cache in one SQLite file that outlives the process (e.g. a nightly sync job).

    One connection guarded by a lock, used from worker threads so the event loop never blocks.
    The file is opened lazily and reopened after `aclose()`. Eviction drops the least recently
    read entries; reads are recorded in memory and written with the next store or at close, so a
    lookup never costs a write.
    """

    def __init__(self, path: str | os.PathLike[str], max_bytes: int = 256 * MiB) -> None:
        self.path = Path(path)
        self.max_bytes = _check_max_bytes(max_bytes)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._seq = 0
        self._total = 0
        self._touched: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"SQLiteCache({str(self.path)!r}, max_bytes={self.max_bytes})"

    async def get(self, key: str) -> CacheEntry | None:
        """The entry under `key`, or None; raises `CorruptEntryError` for an undecodable row."""
        return await self._run(self._get, key)

    async def set(self, key: str, entry: CacheEntry) -> None:
        """Store or replace an entry, evicting least recently read ones past `max_bytes`."""
        await self._run(self._set, key, entry)

    async def delete(self, key: str) -> None:
        """Forget an entry (no error if absent)."""
        await self._run(self._delete, key)

    async def aclose(self) -> None:
        """Record pending reads and close the file; a later call reopens it."""
        await anyio.to_thread.run_sync(self.close)

    def close(self) -> None:
        """The blocking form of `aclose()`, for sync code (atexit hooks, fixtures)."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is None:
                return
            try:
                if self._touched:
                    conn.execute("BEGIN IMMEDIATE")
                    self._flush_touched(conn)
                    conn.execute("COMMIT")
            finally:
                self._touched.clear()
                conn.close()

    async def total_bytes(self) -> int:
        """Bytes held in the file's entries (sum of `CacheEntry.size`)."""
        return await self._run(lambda conn: int(_scalar(conn, _SUM)))

    async def count(self) -> int:
        """How many entries the file holds."""
        return await self._run(lambda conn: int(_scalar(conn, "SELECT COUNT(*) FROM entries")))

    # -- worker-thread side ------------------------------------------------------------------

    async def _run(self, fn: Callable[..., _T], *args: Any) -> _T:
        def call() -> _T:
            with self._lock:
                return fn(self._connection(), *args)

        return await anyio.to_thread.run_sync(call)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                self._conn = self._open()
            except sqlite3.DatabaseError as exc:
                if not self.path.exists() or "not a database" not in str(exc):
                    raise
                self._set_aside()
                self._conn = self._open()
        return self._conn

    def stored_key_secret(self) -> str:
        """A random secret kept in this file (made on first call), for `set_key_secret()`.

        Cache keys contain a keyed tag of the credential; a cache that outlives the process only
        hits again when the next process uses the same key secret. Without a configured one
        (`ASYNCDAM_KEY_SECRET`), call `set_key_secret(cache.stored_key_secret())` before
        creating clients, as `asyncdam phrase pull` does.
        """
        with self._lock:
            conn = self._connection()
            conn.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('key_secret', ?)",
                (new_key_secret(),),
            )
            return str(_scalar(conn, "SELECT value FROM meta WHERE name = 'key_secret'"))

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Created 0600 before sqlite opens it: sqlite gives -wal/-shm the database file's mode.
        _make_private(self.path, create=True)
        for suffix in _SIDE_FILES:
            _make_private(self.path.with_name(self.path.name + suffix), create=False)
        # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE) where several statements
        # must agree, which also keeps a concurrent process from interleaving.
        conn = sqlite3.connect(
            self.path, timeout=10.0, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = int(_scalar(conn, "PRAGMA user_version"))
                if version != SCHEMA_VERSION:
                    # A cache can always be rebuilt: drop an older (or newer) layout.
                    if version != 0:
                        _logger.info("asyncdam cache %s: schema %d replaced", self.path, version)
                    conn.execute("DROP TABLE IF EXISTS entries")
                    for statement in _SCHEMA:
                        conn.execute(statement)
                conn.execute(_META)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            self._seq = int(_scalar(conn, "SELECT COALESCE(MAX(accessed), 0) FROM entries"))
            self._total = int(_scalar(conn, _SUM))
        except BaseException:
            conn.close()
            raise
        return conn

    def _set_aside(self) -> None:
        # Never delete a file we cannot read: it might not be ours. Move it (and its journal) aside.
        n = 0
        while True:
            target = self.path.with_name(f"{self.path.name}.corrupt{'' if n == 0 else n}")
            if not target.exists():
                break
            n += 1
        _logger.warning(
            "asyncdam cache %s is not a SQLite database; moved to %s", self.path, target
        )
        self.path.rename(target)
        for suffix in _SIDE_FILES:
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))

    def _get(self, conn: sqlite3.Connection, key: str) -> CacheEntry | None:
        row = conn.execute(
            "SELECT status, headers, content, etag, last_modified, stored_at"
            " FROM entries WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        entry = decode_entry(*row)
        self._seq += 1
        self._touched[key] = self._seq
        return entry

    def _set(self, conn: sqlite3.Connection, key: str, entry: CacheEntry) -> None:
        size = entry.size
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._flush_touched(conn)
            old = conn.execute("SELECT size FROM entries WHERE key = ?", (key,)).fetchone()
            if old is not None:
                conn.execute("DELETE FROM entries WHERE key = ?", (key,))
                self._total -= int(old[0])
            if size <= self.max_bytes:
                self._seq += 1
                conn.execute(
                    "INSERT INTO entries (key, status, headers, content, etag, last_modified,"
                    " stored_at, size, accessed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        entry.status,
                        encode_headers(entry.headers),
                        entry.content,
                        entry.etag,
                        entry.last_modified,
                        entry.stored_at,
                        size,
                        self._seq,
                    ),
                )
                self._total += size
                if self._total > self.max_bytes:
                    self._evict(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            # The running total may be off after a rollback: recount it while we hold the lock.
            with contextlib.suppress(sqlite3.Error):
                self._total = int(_scalar(conn, _SUM))
            raise

    def _evict(self, conn: sqlite3.Connection) -> None:
        # Another process may share the file: trust the table, not the running total.
        self._total = int(_scalar(conn, _SUM))
        excess = self._total - self.max_bytes
        if excess <= 0:
            return
        doomed: list[tuple[str]] = []
        freed = 0
        for key, size in conn.execute("SELECT key, size FROM entries ORDER BY accessed, key"):
            if freed >= excess:
                break
            doomed.append((key,))
            freed += int(size)
        conn.executemany("DELETE FROM entries WHERE key = ?", doomed)
        self._total -= freed
        for (key,) in doomed:
            self._touched.pop(key, None)

    def _flush_touched(self, conn: sqlite3.Connection) -> None:
        if self._touched:
            conn.executemany(
                "UPDATE entries SET accessed = ? WHERE key = ?",
                [(seq, key) for key, seq in self._touched.items()],
            )
            self._touched.clear()

    def _delete(self, conn: sqlite3.Connection, key: str) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT size FROM entries WHERE key = ?", (key,)).fetchone()
            if row is not None:
                conn.execute("DELETE FROM entries WHERE key = ?", (key,))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if row is not None:
            self._total -= int(row[0])
        self._touched.pop(key, None)


def _scalar(conn: sqlite3.Connection, sql: str) -> Any:
    row = conn.execute(sql).fetchone()
    return None if row is None else row[0]
