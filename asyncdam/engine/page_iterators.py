"""The two ways to consume a `Paginator`: item by item, or page by page (and `Page` itself)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import attrs

from asyncdam.engine.request import Response

T = TypeVar("T")


@attrs.frozen
class Page(Generic[T]):
    """One page of a listing: its decoded items, 0-based position, and the raw response."""

    items: Sequence[T]
    index: int
    response: Response


class _ItemIterator(Generic[T]):
    """Items of a paginator, one at a time; a plain object, so dropping it mid-way is harmless."""

    def __init__(self, paginator: Any) -> None:
        self._p = paginator

    def __aiter__(self) -> _ItemIterator[T]:
        return self

    async def __anext__(self) -> T:
        p = self._p
        current = p._current
        # The per-item path: the next item of the page being served, no guard skips to check.
        if current is not None and not current.skips and not p._closed:
            position = p._served
            items = current.page.items
            if position < len(items):
                p._served = position + 1
                item: T = items[position]
                return item
        return await self._advance()

    async def _advance(self) -> T:
        """The next item when the current page is exhausted, has skips, or there is none yet."""
        p = self._p
        if p._closed:
            raise StopAsyncIteration
        while True:
            current = p._current
            if current is not None and p._served < len(current.page.items):
                position = p._served
                p._served = position + 1
                if current.skips and position in current.skips:
                    continue  # handed out before (a guarded listing)
                item: T = current.page.items[position]
                return item
            fetched = await p._next_page()
            if fetched is None:
                raise StopAsyncIteration
            p._current, p._served = fetched, min(p._skip, len(fetched.page.items))
            p._skip = 0

    async def aclose(self) -> None:
        """Stop iterating (for `contextlib.aclosing`)."""
        await self._p.aclose()


class _PageIterator(Generic[T]):
    """Pages of a paginator in order; a resumed cursor's already-served items are left out."""

    def __init__(self, paginator: Any) -> None:
        self._p = paginator

    def __aiter__(self) -> _PageIterator[T]:
        return self

    async def __anext__(self) -> Page[T]:
        p = self._p
        if p._closed:
            raise StopAsyncIteration
        current = p._current
        if current is not None and p._served < len(current.page.items):
            # Switching from items to pages mid-page: hand out the rest of that page first.
            served = p._served
            p._served = len(current.page.items)
            rest = current.page.items[served:]
            return _admitted(attrs.evolve(current.page, items=rest), current.skips, served)
        fetched = await p._next_page()
        if fetched is None:
            raise StopAsyncIteration
        skip = min(p._skip, len(fetched.page.items))
        p._current, p._served, p._skip = fetched, len(fetched.page.items), 0
        if skip:
            rest = fetched.page.items[skip:]
            return _admitted(attrs.evolve(fetched.page, items=rest), fetched.skips, skip)
        return _admitted(fetched.page, fetched.skips, 0)

    async def aclose(self) -> None:
        """Stop iterating (for `contextlib.aclosing`)."""
        await self._p.aclose()


def _admitted(page: Page[T], skips: frozenset[int], offset: int) -> Page[T]:
    """The page without the items a guarded listing handed out before (`skips`: positions in
    the whole page; `page` starts at position `offset`)."""
    if not skips:
        return page
    kept = [item for i, item in enumerate(page.items, offset) if i not in skips]
    return page if len(kept) == len(page.items) else attrs.evolve(page, items=kept)
