"""The hostile-deployment fault profiles met by the real client: what users will see with theirs.

Redirects to the same origin are followed (bounded) and end at the resource; a redirect to
another host, an oversized body, a gzip bomb and a dripping body end in the engine's typed errors
instead of hanging or exhausting memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.emulator.openasset import create_app
from asyncdam.emulator.transport import emulator_transport
from asyncdam.engine.errors import ResponseTooLarge, TimeoutError, UnexpectedRedirect
from asyncdam.engine.retry import RetryPolicy
from asyncdam.engine.session import Engine
from asyncdam.openasset import OpenAsset

TOKEN = ("7", "hostile-secret")


@asynccontextmanager
async def client(faults: FaultConfig, **engine: Any) -> AsyncIterator[tuple[OpenAsset, Engine]]:
    app = create_app(EmulatorConfig(token=":".join(TOKEN), size=0.05, faults=faults))
    retry = RetryPolicy(max_attempts=1)
    async with Engine(transport=emulator_transport(app), retry=retry, **engine) as eng:
        async with OpenAsset("http://127.0.0.1", engine=eng, token=TOKEN) as oa:
            yield oa, eng


async def test_same_origin_redirects_are_followed() -> None:
    async with client(FaultConfig(redirect_rate=0.4, seed=2)) as (oa, engine):
        names = [(await oa.keywords.get(i)).name for i in range(1, 21)]
    assert all(names)
    assert engine.stats.redirects_followed > 0


async def test_offsite_redirect_is_refused() -> None:
    faults = FaultConfig(offsite_redirect_rate=1.0, offsite_origin="https://evil.invalid")
    async with client(faults) as (oa, _engine):
        with pytest.raises(UnexpectedRedirect) as caught:
            await oa.keywords.get(1)
    assert caught.value.location is not None and "evil.invalid" in caught.value.location


@pytest.mark.parametrize("kind", ["oversize", "bomb"])
async def test_big_bodies_stop_at_the_byte_limit(kind: str) -> None:
    size = 8 * 1024 * 1024
    faults = FaultConfig(**{f"{kind}_rate": 1.0, f"{kind}_bytes": size})  # type: ignore[arg-type]
    async with client(faults, max_response_bytes=1024 * 1024) as (oa, _engine):
        with pytest.raises(ResponseTooLarge) as caught:
            await oa.keywords.get(1)
    assert caught.value.limit == 1024 * 1024


async def test_a_dripping_body_ends_at_the_deadline() -> None:
    faults = FaultConfig(drip_rate=1.0, drip_interval_ms=20.0)
    async with client(faults, deadline=0.3) as (oa, _engine):
        with pytest.raises(TimeoutError):
            await oa.keywords.get(1)
