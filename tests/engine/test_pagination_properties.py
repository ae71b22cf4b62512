"""Property test: any listing, page size, fetch-ahead and crash point: each item exactly once."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_pagination import STYLES, FakeServer, paginator


async def _crash_and_resume(
    n: int, size: int, style: str, fetch_ahead: int, crash_after: int, stream: bool, seed: int
) -> list[str]:
    server = FakeServer(n, style, seed=seed)
    delivered: list[str] = []
    saved: dict[str, Any] = paginator(server, size).cursor

    async def run(pager: Any, crash: int | None) -> None:
        nonlocal saved
        async for item in pager:
            if crash is not None and len(delivered) == crash:
                raise RuntimeError("crash")
            delivered.append(item)
            saved = json.loads(json.dumps(pager.cursor))

    for crash in (crash_after, None):
        pager = paginator(server, size, fetch_ahead=fetch_ahead, cursor=saved)
        try:
            if stream:
                async with pager:
                    await run(pager, crash)
            else:
                await run(pager, crash)
        except RuntimeError:
            pass
        assert server.in_flight == 0
    assert delivered == server.items
    return delivered


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(0, 40),
    size=st.integers(2, 12),
    style=st.sampled_from(STYLES),
    fetch_ahead=st.integers(0, 5),
    crash_fraction=st.floats(0, 1),
    stream=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_exactly_once_across_a_crash(
    backend: str,
    n: int,
    size: int,
    style: str,
    fetch_ahead: int,
    crash_fraction: float,
    stream: bool,
    seed: int,
) -> None:
    crash_after = int(n * crash_fraction)
    anyio.run(
        _crash_and_resume, n, size, style, fetch_ahead, crash_after, stream, seed, backend=backend
    )
