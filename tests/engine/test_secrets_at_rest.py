"""Secrets kept out of what outlives a request: exception headers, cache files, key names, caps.

Keyed tags (HMAC under the key secret) instead of plain hashes of credentials; the SQLite cache
and its side files owner-only; one header filter for cache entries and exceptions; the
concurrency cap of a scope shared by several clients is the smallest they ask for.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from asyncdam.engine import keys
from asyncdam.engine.cache import storable_headers
from asyncdam.engine.cache_storage import SQLiteCache
from asyncdam.engine.errors import APIStatusError, ConfigurationError, Unauthorized
from asyncdam.engine.keys import (
    KEY_SECRET_ENV,
    key_secret_is_shared,
    key_secret_source,
    set_key_secret,
    short_hash,
    using_key_secret,
)
from asyncdam.engine.protocols import CacheEntry
from asyncdam.engine.redact import is_secret_header, safe_headers
from asyncdam.engine.session import Engine

SECRET_A = "first-shared-key-secret"
SECRET_B = "second-shared-key-secret"

CREDENTIAL_HEADERS = {
    "Set-Cookie": "sid=abc",
    "X-SessionKey": "live-session-key",
    "Authorization": "token t0ps3cret",
    "Cookie": "sid=abc",
    "X-Api-Key": "k3y-value-1",
    "X-Auth-Token": "auth-token-value",
    "Proxy-Authorization": "Basic cHJveHk6cGFzcw==",
}
HARMLESS_HEADERS = {
    "Content-Type": "application/json",
    "X-Rate-Limit-Remaining": "0",
    "Retry-After": "3",
    "ETag": '"v1"',
}


@pytest.fixture(autouse=True)
def random_key_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts from the default (no configured secret) and leaves the process as it was."""
    monkeypatch.delenv(KEY_SECRET_ENV, raising=False)
    monkeypatch.setattr(keys, "_explicit", None)
    yield


# -- headers -------------------------------------------------------------------------------------


def test_exception_headers_keep_no_credential() -> None:
    exc = APIStatusError(
        "denied",
        status=401,
        method="GET",
        url="https://h/x",
        headers={**CREDENTIAL_HEADERS, **HARMLESS_HEADERS},
    )
    assert exc.headers == HARMLESS_HEADERS
    shown = repr(vars(exc)) + str(exc)
    for value in CREDENTIAL_HEADERS.values():
        assert value not in shown


def test_cache_and_exceptions_share_one_filter() -> None:
    everything = {**CREDENTIAL_HEADERS, **HARMLESS_HEADERS}
    stored = {name for name, _ in storable_headers(everything)}
    assert stored == {name.lower() for name in safe_headers(everything)}
    assert all(is_secret_header(name) for name in CREDENTIAL_HEADERS)
    assert not any(is_secret_header(name) for name in HARMLESS_HEADERS)


async def test_a_failed_call_through_the_engine_carries_no_session_key() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401,
            headers={"Set-Cookie": "sid=live", "X-SessionKey": "live-key", "X-Request-Id": "r1"},
            json={"message": "no"},
        )

    from asyncdam.phrase import Phrase

    async with Engine(transport=httpx.MockTransport(handler)) as engine:
        phrase = Phrase(token="t0ps3cret", base_url="http://127.0.0.1:9/v2", engine=engine)
        with pytest.raises(Unauthorized) as info:
            await phrase.projects.show("p1")
    assert info.value.headers.get("x-request-id") == "r1"
    assert not any(is_secret_header(name) for name in info.value.headers)
    assert "live" not in repr(info.value.headers)


# -- keyed tags ----------------------------------------------------------------------------------


def test_tags_are_keyed_not_plain_hashes() -> None:
    identity = "basic:someone@example.com:password1"
    plain = hashlib.sha256(identity.encode()).hexdigest()[:12]
    with using_key_secret(SECRET_A):
        under_a = short_hash(identity)
    with using_key_secret(SECRET_B):
        under_b = short_hash(identity)
    assert len(under_a) == 12 and under_a != plain and under_a != under_b


def test_default_secret_is_random_per_process_and_not_shared() -> None:
    assert key_secret_source() == "random" and not key_secret_is_shared()
    assert short_hash("x") == short_hash("x")  # stable within the process


def test_environment_then_explicit_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_SECRET_ENV, SECRET_A)
    from_env = short_hash("token:t")
    assert key_secret_source() == "environment" and key_secret_is_shared()
    with using_key_secret(SECRET_A):
        assert short_hash("token:t") == from_env  # same secret, same tag on every host
    set_key_secret(SECRET_B)
    assert key_secret_source() == "set_key_secret" and short_hash("token:t") != from_env
    set_key_secret(None)
    assert key_secret_source() == "environment"


def test_a_short_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="too short"):
        set_key_secret("short")
    monkeypatch.setenv(KEY_SECRET_ENV, "short")
    with pytest.raises(ConfigurationError, match=KEY_SECRET_ENV):
        short_hash("x")


def test_client_reprs_show_keyed_tags_only() -> None:
    from asyncdam.phrase import Phrase

    with using_key_secret(SECRET_A):
        client = Phrase(email="someone@example.com", password="password1")
    shown = repr(client)
    for identity in ("basic:someone@example.com:password1", "someone@example.com:password1"):
        assert hashlib.sha256(identity.encode()).hexdigest()[:12] not in shown
    assert "password1" not in shown
    assert client.dialect.credential_id in shown


def test_redis_backend_requires_a_shared_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("redis")
    from asyncdam.engine.redis import RedisBackend

    with pytest.raises(ConfigurationError, match=KEY_SECRET_ENV):
        RedisBackend("redis://127.0.0.1:1/0")
    monkeypatch.setenv(KEY_SECRET_ENV, SECRET_A)
    RedisBackend("redis://127.0.0.1:1/0")  # connects lazily: nothing to close
    monkeypatch.delenv(KEY_SECRET_ENV)
    RedisBackend("redis://127.0.0.1:1/0", key_secret=SECRET_B)
    assert key_secret_source() == "set_key_secret"


# -- files at rest -------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="file modes are a POSIX matter")
async def test_sqlite_cache_and_side_files_are_owner_only(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        cache = SQLiteCache(tmp_path / "c.sqlite")
        entry = CacheEntry(200, (("etag", '"1"'),), b"body", '"1"', None, 1.0)
        await cache.set("k", entry)
        files = [tmp_path / "c.sqlite", tmp_path / "c.sqlite-wal", tmp_path / "c.sqlite-shm"]
        assert all(f.exists() for f in files)
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        await cache.aclose()
    finally:
        os.umask(old_umask)


@pytest.mark.skipif(os.name != "posix", reason="file modes are a POSIX matter")
async def test_an_existing_world_readable_cache_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    path.touch()
    path.chmod(0o644)
    cache = SQLiteCache(path)
    assert await cache.count() == 0
    await cache.aclose()
    assert _mode(path) == 0o600


async def test_sqlite_cache_keeps_one_key_secret_across_opens(tmp_path: Path) -> None:
    cache = SQLiteCache(tmp_path / "c.sqlite")
    first = await anyio.to_thread.run_sync(cache.stored_key_secret)
    await cache.aclose()
    again = await anyio.to_thread.run_sync(SQLiteCache(tmp_path / "c.sqlite").stored_key_secret)
    assert first == again and len(first) >= keys.MIN_SECRET_LENGTH


# -- concurrency cap -----------------------------------------------------------------------------


async def test_two_clients_with_one_token_share_the_smaller_cap() -> None:
    in_flight = 0
    most = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await anyio.sleep(0.005)
        in_flight -= 1
        return httpx.Response(200, json={"id": "p1", "name": "one"})

    from asyncdam.phrase import Phrase

    async with Engine(transport=httpx.MockTransport(handler)) as engine:
        base = "http://127.0.0.1:9/v2"
        careful = Phrase(token="same", base_url=base, engine=engine, concurrency=2)
        greedy = Phrase(token="same", base_url=base, engine=engine, concurrency=50)
        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(careful.projects.show, "p1")
            await anyio.wait_all_tasks_blocked()
            for _ in range(20):
                tg.start_soon(greedy.projects.show, "p1")
    assert most == 2
