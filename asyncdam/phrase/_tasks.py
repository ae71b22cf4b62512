"""Run a few coroutines concurrently and surface the first real error itself, not a group."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import anyio


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        out: list[BaseException] = []
        for inner in error.exceptions:
            out.extend(_leaves(inner))
        return out
    return [error]


async def run_all(jobs: Sequence[Callable[[], Coroutine[Any, Any, None]]]) -> None:
    """Run every job; on failure the others are cancelled and the first error is raised as is."""
    try:
        async with anyio.create_task_group() as tg:
            for job in jobs:
                tg.start_soon(job)
    except BaseExceptionGroup as group:
        cancelled = anyio.get_cancelled_exc_class()
        leaves = _leaves(group)
        real = [e for e in leaves if not isinstance(e, cancelled)] or leaves
        raise real[0] from None
