"""Shared fixtures for the OpenAsset adapter tests: an emulator app and clients bound to it.

pytest-asyncio's auto mode claims every `async def` test and runs it on asyncio only, so flow
tests that must also run on trio are plain functions handing a coroutine function to `run_async`,
which runs it on each anyio backend (`anyio_backend` is parametrized over asyncio and trio).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.openasset import create_app
from asyncdam.emulator.transport import emulator_transport
from asyncdam.engine.session import Engine
from asyncdam.openasset import OpenAsset

BASE = "http://127.0.0.1"
TOKEN_ID = "7"
SECRET = "s3cr3t-Token_value-abcdefghijklmnopqrstuvwxyz0"
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
def app() -> Any:
    """A fresh emulator seeded with the default data set (3,000 files before soft deletes)."""
    return create_app(EmulatorConfig(seed=3, token=f"{TOKEN_ID}:{SECRET}"))


@asynccontextmanager
async def client(
    app: Any, engine_options: dict[str, Any] | None = None, **options: Any
) -> AsyncIterator[OpenAsset]:
    """A client on the in-process emulator (token auth unless `basic=`/`token=` is given)."""
    if "basic" not in options and "token" not in options:
        options["token"] = (TOKEN_ID, SECRET)
    async with Engine(transport=emulator_transport(app), **(engine_options or {})) as engine:
        async with OpenAsset(BASE, engine=engine, **options) as oa:
            yield oa
