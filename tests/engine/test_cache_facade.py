"""ConditionalCache: the engine's flow (lookup, validators, store, 304) and storage failures."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from asyncdam.engine.cache import ConditionalCache, MemoryCache, SQLiteCache, cache_key
from asyncdam.engine.cache_storage import CorruptEntryError
from asyncdam.engine.protocols import CacheEntry, CacheStorage
from asyncdam.engine.request import Response

pytestmark = pytest.mark.anyio

URL = "https://acme.openasset.com/REST/1/Files?limit=100&offset=0"
KEY = cache_key("cred-hash", "GET", URL, "application/json")


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def ok(
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"[1,2,3]",
    status: int = 200,
    method: str = "GET",
) -> Response:
    h = headers if headers is not None else [("ETag", '"v1"'), ("Content-Type", "application/json")]
    return Response(status=status, headers=httpx.Headers(h), content=body, method=method, url=URL)


class Recording(MemoryCache):
    """A memory storage that counts writes."""

    def __init__(self) -> None:
        super().__init__()
        self.sets = 0
        self.deletes = 0

    async def set(self, key: str, entry: CacheEntry) -> None:
        self.sets += 1
        await super().set(key, entry)

    async def delete(self, key: str) -> None:
        self.deletes += 1
        await super().delete(key)


class Broken:
    """A storage whose every operation fails, like a full disk or an unreachable Redis."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc
        self.calls = 0

    async def get(self, key: str) -> CacheEntry | None:
        self.calls += 1
        raise self.exc

    async def set(self, key: str, entry: CacheEntry) -> None:
        self.calls += 1
        raise self.exc

    async def delete(self, key: str) -> None:
        self.calls += 1
        raise self.exc

    async def aclose(self) -> None:
        self.calls += 1
        raise self.exc


class CorruptOnce(MemoryCache):
    """Reports one corrupt read, as a storage does for an undecodable row."""

    async def get(self, key: str) -> CacheEntry | None:
        if key in self:
            raise CorruptEntryError("headers are not valid JSON")
        return None


@pytest.fixture(params=["memory", "sqlite"])
def cache(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConditionalCache]:
    if request.param == "memory":
        yield ConditionalCache(MemoryCache())
        return
    storage = SQLiteCache(tmp_path / "c.db")
    yield ConditionalCache(storage)
    storage.close()


async def test_full_revalidation_flow(cache: ConditionalCache) -> None:
    assert await cache.lookup(KEY) is None
    assert cache.conditional_headers(None) == {}

    first = ok(
        [
            ("ETag", '"v1"'),
            ("Last-Modified", "Wed, 28 Jan 2015 15:31:30 GMT"),
            ("X-Full-Results-Count", "250"),
            ("X-SessionKey", "live-session"),
        ]
    )
    assert await cache.store(KEY, first, now=100.0) is True

    entry = await cache.lookup(KEY)
    assert entry is not None and entry.content == b"[1,2,3]" and entry.stored_at == 100.0
    assert cache.conditional_headers(entry) == {
        "If-None-Match": '"v1"',
        "If-Modified-Since": "Wed, 28 Jan 2015 15:31:30 GMT",
    }

    not_modified = ok([("ETag", '"v1"'), ("X-Rate-Limit-Remaining", "7")], body=b"", status=304)
    served = cache.from_not_modified(entry, not_modified)
    assert (served.status, served.from_cache, served.content) == (200, True, b"[1,2,3]")
    assert served.headers["x-full-results-count"] == "250"
    assert served.headers["x-rate-limit-remaining"] == "7"
    assert "x-sessionkey" not in served.headers  # never stored, and this 304 did not send one

    # A new 200 replaces the entry.
    assert await cache.store(KEY, ok([("ETag", '"v2"')], body=b"[4]"), now=200.0)
    entry = await cache.lookup(KEY)
    assert entry is not None and (entry.etag, entry.content) == ('"v2"', b"[4]")


async def test_a_200_that_may_not_be_kept_drops_the_old_entry(cache: ConditionalCache) -> None:
    await cache.store(KEY, ok(), now=1.0)
    no_store = ok([("ETag", '"v2"'), ("Cache-Control", "no-store")])
    assert await cache.store(KEY, no_store, now=2.0) is False
    assert await cache.lookup(KEY) is None

    await cache.store(KEY, ok(), now=3.0)
    assert await cache.store(KEY, ok(headers=[]), now=4.0) is False  # no validator any more
    assert await cache.lookup(KEY) is None


async def test_other_answers_leave_the_entry_alone(cache: ConditionalCache) -> None:
    await cache.store(KEY, ok(), now=1.0)
    assert await cache.store(KEY, ok(status=404), now=2.0) is False
    assert await cache.store(KEY, ok(status=500), now=2.0) is False
    assert await cache.store(KEY, ok([("ETag", '"x"')]), now=2.0, cacheable=False) is False
    entry = await cache.lookup(KEY)
    assert entry is not None and entry.etag == '"v1"'


async def test_non_get_and_streamed_bodies_are_not_stored() -> None:
    cache = ConditionalCache(MemoryCache())
    assert await cache.store(KEY, ok(method="POST"), now=1.0) is False

    async def chunks() -> object:
        yield b"x"

    streamed = Response(
        status=200,
        headers=httpx.Headers({"etag": '"a"'}),
        content=chunks(),  # type: ignore[arg-type]
        method="GET",
        url=URL,
    )
    assert await cache.store(KEY, streamed, now=1.0) is False
    assert await cache.lookup(KEY) is None


async def test_the_sqlite_file_holds_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "sync.db"
    cache = ConditionalCache(SQLiteCache(path))
    secret = "SESSION-abcdef-0123456789"
    response = ok(
        [
            ("ETag", '"v1"'),
            ("X-SessionKey", secret),
            ("Set-Cookie", f"OpenAsset_1={secret}"),
            ("WWW-Authenticate", f"Basic {secret}"),
        ]
    )
    assert await cache.store(KEY, response, now=1.0)
    await cache.aclose()
    raw = _read_files(tmp_path, "sync.db")
    assert b'"v1"' in raw  # the entry really is in there
    assert secret.encode() not in raw


async def test_refresh_writes_only_when_validators_move() -> None:
    storage = Recording()
    cache = ConditionalCache(storage)
    await cache.store(KEY, ok(), now=1.0)
    entry = await cache.lookup(KEY)
    assert entry is not None and storage.sets == 1

    await cache.refresh(KEY, entry, ok([("ETag", '"v1"'), ("Date", "d")], status=304), now=2.0)
    assert storage.sets == 1
    await cache.refresh(KEY, entry, ok([("ETag", 'W/"v1"')], status=304), now=3.0)
    assert storage.sets == 2
    updated = await cache.lookup(KEY)
    assert updated is not None and updated.etag == 'W/"v1"' and updated.content == b"[1,2,3]"


async def test_a_failing_storage_never_breaks_a_request(caplog: pytest.LogCaptureFixture) -> None:
    storage = Broken(OSError(28, "No space left on device"))
    cache = ConditionalCache(storage)
    caplog.set_level(logging.DEBUG, logger="asyncdam")

    assert await cache.lookup(KEY) is None
    assert await cache.store(KEY, ok(), now=1.0) is False
    assert await cache.store(KEY, ok(headers=[]), now=1.0) is False  # the drop fails too
    await cache.refresh(KEY, _entry(), ok([("ETag", '"new"')], status=304), now=1.0)
    await cache.invalidate(KEY)
    await cache.aclose()

    assert storage.calls == 6 and cache.errors == 6
    records = [r for r in caplog.records if r.name == "asyncdam"]
    assert len(records) == 6
    # One warning when the trouble starts, then quieter while it lasts.
    assert [r.levelno for r in records] == [logging.WARNING] + [logging.DEBUG] * 5
    assert "No space left on device" in records[0].getMessage()
    assert KEY not in records[0].getMessage() and KEY[:12] in records[0].getMessage()


async def test_warnings_resume_after_recovery(caplog: pytest.LogCaptureFixture) -> None:
    storage = Broken(OSError("down"))
    cache = ConditionalCache(storage)
    caplog.set_level(logging.WARNING, logger="asyncdam")
    await cache.lookup(KEY)
    await cache.lookup(KEY)
    cache.storage = MemoryCache()
    assert await cache.lookup(KEY) is None
    cache.storage = storage
    await cache.lookup(KEY)
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


async def test_a_corrupt_entry_is_dropped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    storage = CorruptOnce()
    cache = ConditionalCache(storage)
    await storage.set(KEY, _entry())
    with caplog.at_level(logging.WARNING, logger="asyncdam"):
        assert await cache.lookup(KEY) is None
    assert KEY not in storage
    assert any("corrupt" in r.getMessage() for r in caplog.records)


async def test_a_corrupt_sqlite_row_is_dropped(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "c.db"
    cache = ConditionalCache(SQLiteCache(path))
    await cache.store(KEY, ok(), now=1.0)
    await cache.aclose()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE entries SET content = 'text'")
    conn.close()

    storage = SQLiteCache(path)
    cache = ConditionalCache(storage)
    assert await cache.lookup(KEY) is None
    assert await storage.count() == 0
    # The next 200 stores cleanly again.
    assert await cache.store(KEY, ok(), now=2.0)
    assert await cache.lookup(KEY) is not None
    await cache.aclose()


async def test_default_storage_and_context_manager() -> None:
    async with ConditionalCache() as cache:
        assert isinstance(cache.storage, MemoryCache)
        assert isinstance(cache.storage, CacheStorage)
        await cache.store(KEY, ok(), now=1.0)
        assert await cache.lookup(KEY) is not None
    assert await cache.lookup(KEY) is None  # closing a memory cache frees it


def _entry() -> CacheEntry:
    return CacheEntry(
        status=200,
        headers=(("etag", '"v1"'),),
        content=b"x",
        etag='"v1"',
        last_modified=None,
        stored_at=0.0,
    )


def _read_files(folder: Path, prefix: str) -> bytes:
    # The database and its WAL/SHM companions: a secret must be in none of them.
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith(prefix))
