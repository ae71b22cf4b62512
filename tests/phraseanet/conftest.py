"""Fixtures for the Phraseanet adapter tests: backends, emulator apps, respx-backed clients.

pytest-asyncio (auto mode) runs `async def` tests on asyncio only, so flows that must also run on
trio are plain tests handing a coroutine function to `run_async`, which runs it on each backend.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from starlette.applications import Starlette

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.phraseanet import create_app
from asyncdam.emulator.transport import emulator_transport
from asyncdam.engine.retry import RetryPolicy
from asyncdam.engine.session import Engine
from asyncdam.phraseanet import Phraseanet

BASE = "http://127.0.0.1"
TOKEN = "test-token"
RunAsync = Callable[[Callable[[], Awaitable[Any]]], Any]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Both anyio backends."""
    return str(request.param)


@pytest.fixture
def run_async(anyio_backend: str) -> RunAsync:
    """Run a coroutine function to completion on the parametrized backend."""

    def runner(fn: Callable[[], Awaitable[Any]]) -> Any:
        return anyio.run(fn, backend=anyio_backend)

    return runner


@pytest.fixture
def app() -> Starlette:
    """A fresh seeded Phraseanet emulator."""
    return create_app(EmulatorConfig(token=TOKEN))


@asynccontextmanager
async def emulator_client(app: Any, **options: Any) -> AsyncIterator[Phraseanet]:
    """A client talking to `app` in process (no retries unless asked, no sleeping)."""
    retry = options.pop("retry", RetryPolicy(max_attempts=1))
    async with Engine(transport=emulator_transport(app), retry=retry) as engine:
        options.setdefault("token", TOKEN)
        async with Phraseanet(BASE, engine=engine, **options) as pn:
            yield pn
