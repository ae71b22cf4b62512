"""Suite-wide test setup: every coroutine test runs through anyio's plugin.

pytest-asyncio's auto mode would claim `@pytest.mark.anyio` tests and run their trio variants on
asyncio, so it stays in strict mode and each un-marked coroutine test gets the anyio marker here,
before anyio's own collection hook looks for it. Modules that define a parametrized
`anyio_backend` fixture then really run on asyncio and on trio; the rest run on asyncio.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: Any) -> None:
    """Mark coroutine test functions for anyio unless they already chose a runner."""
    if not (isinstance(collector, pytest.Module | pytest.Class) and collector.funcnamefilter(name)):
        return
    inner = getattr(getattr(obj, "hypothesis", None), "inner_test", obj)
    if not inspect.iscoroutinefunction(inner):
        return
    names = {m.name for m in getattr(obj, "pytestmark", ())}
    if collector.get_closest_marker("anyio") or "anyio" in names or "asyncio" in names:
        return
    pytest.mark.anyio(obj)


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """Asyncio by default; a module that parametrizes its own `anyio_backend` adds trio."""
    return "asyncio"
