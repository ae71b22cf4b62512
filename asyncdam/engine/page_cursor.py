"""A paginator's resume cursor: writing its plain part and restoring a saved one.

Functions over the paginator (as `page_iterators` and `guard_reads` are), kept apart so the
paginator stays about fetching pages in order; the guard's own part is `ListingGuard.export`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from asyncdam.engine.consistency import InvalidCursorError

__all__ = ["CURSOR_VERSION", "plain_cursor", "restore_cursor"]

CURSOR_VERSION = 1


def plain_cursor(p: Any) -> dict[str, Any]:
    """The paginator's position without the guard's part: done, or page index, skip and `at`."""
    head: dict[str, Any] = {"v": CURSOR_VERSION, "strategy": p._strategy.name}
    if p._finished:
        return {**head, "done": True}
    if p._replay is not None:
        # first_page() fetched it, but none of its items went out yet.
        position = p._strategy.cursor_for(p._replay.request)
        return {**head, "index": p._replay.page.index, "skip": p._skip, "at": position}
    current = p._current
    if current is not None and p._served < len(current.page.items):
        position = p._strategy.cursor_for(current.request)
        return {**head, "index": current.page.index, "skip": p._served, "at": position}
    if p._exhausted or p._next_request is None:
        if p._guard is None or current is None:
            return {**head, "done": True}
        # The pass is over but not closed yet: resume just after its last page.
        assert current is not None
        position = p._strategy.cursor_for(current.request)
        return {**head, "index": current.page.index, "skip": p._served, "at": position}
    position = p._strategy.cursor_for(p._next_request)
    return {**head, "index": p._next_index, "skip": p._skip, "at": position}


def restore_cursor(p: Any, cursor: Mapping[str, Any]) -> None:
    """Set the paginator to a saved cursor, refusing anything malformed (`InvalidCursorError`)."""
    if not isinstance(cursor, Mapping):
        raise InvalidCursorError("a cursor must be a JSON object")
    if cursor.get("v") != CURSOR_VERSION:
        raise InvalidCursorError(f"unsupported cursor version {cursor.get('v')!r}")
    if cursor.get("strategy") != p._strategy.name:
        raise InvalidCursorError(
            f"cursor is for {cursor.get('strategy')!r} paging, not {p._strategy.name!r}"
        )
    if cursor.get("done"):
        if cursor.get("done") is not True or set(cursor) - {"v", "strategy", "done"}:
            raise InvalidCursorError("a finished cursor holds nothing but 'done': true")
        p._exhausted = p._finished = True
        p._next_request = None
        return
    index, skip, position = cursor.get("index"), cursor.get("skip"), cursor.get("at")
    if not (_count(index) and _count(skip)):
        raise InvalidCursorError("cursor needs non-negative integers 'index' and 'skip'")
    if not isinstance(position, Mapping):
        raise InvalidCursorError("cursor needs a position 'at'")
    try:
        p._next_request = p._strategy.request_from_cursor(p._base, position)
    except InvalidCursorError:
        raise
    except ValueError as exc:
        raise InvalidCursorError(str(exc)) from None
    size = next((position[k] for k in ("per_page", "limit", "size") if k in position), None)
    if _count(size) and size and skip > size:
        raise InvalidCursorError(f"cursor skips {skip} items of a page of {size}")
    p._next_index = index
    p._skip = skip
    if p._guard is not None:
        p._guard.restore(cursor.get("guard"), index=index, skip=skip, at=position)


def _count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10**9
