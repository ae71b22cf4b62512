"""Fixtures for the Redis backend: a real `redis-server` on a free loopback port in a tmp dir.

The tests skip only when the binary is missing (CI installs it). Every server started here is
stopped (and waited for) before the fixture returns, so no redis-server outlives the tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from redis_proc import REDIS_SERVER, RedisServer

from asyncdam.engine.keys import KEY_SECRET_ENV


def _server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One server shared by the tests of a session (each test uses its own key prefix)."""
    yield from _server(tmp_path_factory)


@pytest.fixture
def own_redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A server for one test alone (restarts, shutdowns)."""
    yield from _server(tmp_path_factory)


@pytest.fixture
def key_prefix() -> str:
    """A fresh key prefix, so tests sharing a server never see each other's keys."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture(autouse=True)
def shared_key_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    """The key secret every worker shares (RedisBackend refuses to run without one)."""
    secret = "redis-tests-shared-key-secret"
    monkeypatch.setenv(KEY_SECRET_ENV, secret)  # worker subprocesses inherit it
    return secret
