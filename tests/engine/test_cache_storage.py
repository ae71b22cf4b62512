"""Cache storages: LRU by bytes, SQLite persistence, corruption, concurrency; asyncio and trio."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from asyncdam.engine.cache_storage import CorruptEntryError, MemoryCache, SQLiteCache
from asyncdam.engine.protocols import CacheEntry, CacheStorage

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def entry(body: bytes, etag: str | None = '"e"', stored_at: float = 1.0) -> CacheEntry:
    return CacheEntry(
        status=200,
        headers=(("content-type", "application/json"), ("link", "<a>"), ("link", "<b>")),
        content=body,
        etag=etag,
        last_modified="Wed, 28 Jan 2015 15:31:30 UTC",
        stored_at=stored_at,
    )


SIZE = entry(b"").size  # bytes an entry takes besides its body


# A sync fixture: pytest-asyncio would run an async one on asyncio even for the trio tests.
@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CacheStorage]:
    if request.param == "memory":
        yield MemoryCache()
        return
    store = SQLiteCache(tmp_path / "c.db")
    yield store
    store.close()


# -- both storages ---------------------------------------------------------------------------


async def test_round_trip_replace_and_delete(storage: CacheStorage) -> None:
    assert isinstance(storage, CacheStorage)
    assert await storage.get("k") is None
    first = entry(b"one", etag='"1"')
    await storage.set("k", first)
    assert await storage.get("k") == first
    second = entry(b"two", etag=None, stored_at=2.5)
    await storage.set("k", second)
    assert await storage.get("k") == second
    await storage.delete("k")
    assert await storage.get("k") is None
    await storage.delete("k")  # deleting what is absent is fine


async def test_many_concurrent_gets_and_sets_stay_consistent(storage: CacheStorage) -> None:
    keys = [f"k{i}" for i in range(20)]

    async def worker(n: int) -> None:
        key = keys[n % len(keys)]
        await storage.set(key, entry(key.encode() * (n % 7 + 1), etag=f'"{n}"'))
        got = await storage.get(keys[(n * 7) % len(keys)])
        if got is not None:
            # Whatever version won, a body always belongs to its own key: no torn entries.
            name = keys[(n * 7) % len(keys)].encode()
            assert got.content == name * (len(got.content) // len(name))

    async with anyio.create_task_group() as tg:
        for n in range(300):
            tg.start_soon(worker, n)
    for key in keys:
        got = await storage.get(key)
        assert got is not None and got.content.startswith(key.encode())


# -- memory ----------------------------------------------------------------------------------


async def test_memory_evicts_least_recently_used_by_bytes() -> None:
    cache = MemoryCache(max_bytes=3 * (SIZE + 100))
    for key in "abc":
        await cache.set(key, entry(b"x" * 100))
    assert cache.total_bytes == 3 * (SIZE + 100)
    await cache.get("a")  # a is now the most recent; b is the oldest
    await cache.set("d", entry(b"x" * 100))
    assert "b" not in cache and {"a", "c", "d"} <= {k for k in "abcd" if k in cache}
    # A bigger entry pushes out as many old ones as it needs.
    await cache.set("e", entry(b"y" * (SIZE + 150)))
    assert [k for k in "acde" if k in cache] == ["d", "e"]
    assert cache.total_bytes == (SIZE + 100) + (2 * SIZE + 150)
    assert cache.total_bytes <= cache.max_bytes


async def test_memory_skips_an_entry_bigger_than_the_bound_and_drops_the_old_one() -> None:
    cache = MemoryCache(max_bytes=SIZE + 10)
    await cache.set("k", entry(b"small"))
    await cache.set("k", entry(b"z" * 11))
    assert await cache.get("k") is None
    assert cache.total_bytes == 0 and len(cache) == 0


def test_max_bytes_must_be_positive(tmp_path: Path) -> None:
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError):
            MemoryCache(max_bytes=bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            SQLiteCache(tmp_path / "x.db", max_bytes=bad)  # type: ignore[arg-type]


# -- sqlite ----------------------------------------------------------------------------------


async def test_sqlite_persists_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "sync.db"
    stored = entry(b'{"id": 1}', etag='W/"abc"')
    first = SQLiteCache(path)
    await first.set("key-1", stored)
    await first.aclose()

    second = SQLiteCache(path)
    try:
        assert await second.get("key-1") == stored
        assert await second.count() == 1
        assert await second.total_bytes() == stored.size
    finally:
        await second.aclose()


async def test_sqlite_reopens_after_close(tmp_path: Path) -> None:
    cache = SQLiteCache(tmp_path / "c.db")
    await cache.set("k", entry(b"1"))
    await cache.aclose()
    await cache.aclose()  # twice is harmless
    assert await cache.get("k") == entry(b"1")
    await cache.aclose()


async def test_sqlite_evicts_least_recently_read(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    cache = SQLiteCache(path, max_bytes=3 * (SIZE + 100))
    for key in "abc":
        await cache.set(key, entry(b"x" * 100))
    assert await cache.get("a") is not None
    # Reads are remembered across a restart (flushed at close).
    await cache.aclose()
    cache = SQLiteCache(path, max_bytes=3 * (SIZE + 100))
    await cache.set("d", entry(b"x" * 100))
    assert await cache.get("b") is None
    assert all([await cache.get(k) is not None for k in "acd"])
    assert await cache.total_bytes() <= cache.max_bytes
    await cache.get("c")
    await cache.get("d")
    await cache.set("e", entry(b"y" * (SIZE + 150)))  # needs two slots: a (oldest read) and c go
    assert [k for k in "acde" if await cache.get(k) is not None] == ["d", "e"]
    await cache.set("huge", entry(b"h" * cache.max_bytes))
    assert await cache.get("huge") is None
    assert await cache.count() == 2
    await cache.aclose()


async def test_sqlite_corrupt_row_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    cache = SQLiteCache(path)
    await cache.set("good", entry(b"ok"))
    await cache.set("bad", entry(b"ok"))
    await cache.aclose()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE entries SET headers = '{not json' WHERE key = 'bad'")
    conn.close()

    cache = SQLiteCache(path)
    with pytest.raises(CorruptEntryError):
        await cache.get("bad")
    assert await cache.get("good") == entry(b"ok")
    await cache.delete("bad")
    assert await cache.get("bad") is None
    await cache.aclose()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("headers", '[["a"]]'),
        ("headers", '{"a": "b"}'),
        ("headers", '[["a", 1]]'),
        ("content", "text, not bytes"),
        ("status", "'two hundred'"),
        ("etag", "x'00'"),
    ],
)
async def test_sqlite_rejects_each_malformed_column(
    tmp_path: Path, column: str, value: str
) -> None:
    path = tmp_path / "c.db"
    cache = SQLiteCache(path)
    await cache.set("k", entry(b"ok"))
    await cache.aclose()
    literal = value if column in {"status", "etag"} else f"'{value}'"
    with sqlite3.connect(path) as conn:
        conn.execute(f"UPDATE entries SET {column} = {literal}")  # noqa: S608 - test data
    conn.close()
    cache = SQLiteCache(path)
    with pytest.raises(CorruptEntryError):
        await cache.get("k")
    await cache.aclose()


async def test_sqlite_sets_aside_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    cache = SQLiteCache(path)
    await cache.set("k", entry(b"ok"))
    assert await cache.get("k") == entry(b"ok")
    await cache.aclose()
    assert (tmp_path / "c.db.corrupt").read_bytes().startswith(b"this is not sqlite")


async def test_sqlite_rebuilds_on_another_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    cache = SQLiteCache(path)
    await cache.set("k", entry(b"ok"))
    await cache.aclose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    cache = SQLiteCache(path)
    assert await cache.get("k") is None
    await cache.set("k", entry(b"new"))
    assert await cache.get("k") == entry(b"new")
    await cache.aclose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


async def test_sqlite_failed_store_rolls_back_and_keeps_the_old_entry(tmp_path: Path) -> None:
    cache = SQLiteCache(tmp_path / "c.db", max_bytes=10 * SIZE)
    await cache.set("a", entry(b"1"))
    unbindable = CacheEntry(
        status=object(),  # type: ignore[arg-type]
        headers=(),
        content=b"2",
        etag=None,
        last_modified=None,
        stored_at=0.0,
    )
    with pytest.raises(sqlite3.Error):
        await cache.set("a", unbindable)
    # The delete of the old row was part of the failed transaction, so it is still there.
    assert await cache.get("a") == entry(b"1")
    assert await cache.total_bytes() == entry(b"1").size
    for n in range(12):  # the running total still drives eviction correctly afterwards
        await cache.set(f"k{n}", entry(b"x" * 10))
    assert await cache.total_bytes() <= cache.max_bytes
    assert await cache.count() == 10 * SIZE // (SIZE + 10)
    await cache.aclose()


async def test_cancelled_operations_leave_the_file_consistent(tmp_path: Path) -> None:
    cache = SQLiteCache(tmp_path / "c.db", max_bytes=20 * (SIZE + 50))

    async def writer(n: int) -> None:
        # Cancelled at once or mid-flight: a worker thread always finishes its transaction.
        with anyio.move_on_after((0, 0.0005, 0.002, 5)[n % 4]):
            await cache.set(f"k{n % 30}", entry(b"z" * 50))
            await cache.get(f"k{(n + 1) % 30}")

    async with anyio.create_task_group() as tg:
        for n in range(120):
            tg.start_soon(writer, n)
    present = [k for k in (f"k{i}" for i in range(30)) if await cache.get(k) is not None]
    assert await cache.count() == len(present) > 0
    assert await cache.total_bytes() == len(present) * (SIZE + 50) <= cache.max_bytes
    await cache.set("after", entry(b"ok"))
    assert await cache.get("after") == entry(b"ok")
    await cache.aclose()
