"""Phraseanet paging: `offset_start`/`per_page` (v1/v2) and `offset`/`limit` (v3), pure arithmetic.

The real server's page boundaries differ from a plain offset/limit listing:

- it may return fewer items than `per_page` in the middle of a listing (hits whose record cannot
  be loaded are dropped from the page but still counted), so the next offset is always
  `offset + per_page`, never `offset + items received`: advancing by items would repeat hits;
- `available_results` counts the hits of *this* page; only `total_results` (`total` in v3) is the
  listing size, and the listing ends when the next offset reaches it;
- it never clamps `per_page` (v1/v2), and `per_page=0` means 10, so the size is always sent;
- offsets past the index window (500 000) fail with a 500: paging stops at the window (with a
  logged warning) and the last page is shortened to end exactly on it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from asyncdam.engine.page_strategies import PageInfo, ParamLocation
from asyncdam.engine.request import Request, Response

__all__ = ["INDEX_WINDOW", "PhraseanetOffsetStrategy"]

logger = logging.getLogger("asyncdam.phraseanet")

INDEX_WINDOW = 500_000


def _get(request: Request, name: str, location: ParamLocation) -> Any:
    source: Any = request.query if location == "query" else request.data
    if location == "json":
        source = request.json
    if isinstance(source, Mapping):
        return source.get(name)
    for key, value in source or ():
        if key == name:
            return value
    return None


def _set(request: Request, values: Mapping[str, int], location: ParamLocation) -> Request:
    if location == "json":
        body = dict(request.json) if isinstance(request.json, Mapping) else {}
        body.update(values)
        return request.evolve(json=body)
    source: Any = request.query if location == "query" else request.data
    pairs = list(source.items()) if isinstance(source, Mapping) else list(source or ())
    merged = [(k, v) for k, v in pairs if k not in values] + [(k, v) for k, v in values.items()]
    return request.evolve(**{"query" if location == "query" else "data": merged})


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


@attrs.frozen(kw_only=True)
class PhraseanetOffsetStrategy:
    """Offset paging that steps by the requested page size and ends on the server's total.

    `total` reads the listing size from a response (None when the route gives none: then a
    short page ends the listing). `window` caps offset + size (the search index window).
    `overlap=1` starts each page on the previous page's last position, so a consistency-checking
    paginator can see that the two pages still meet.
    """

    name: str = "phraseanet-offset"
    offset_param: str = "offset_start"
    size_param: str = "per_page"
    size: int = 10
    total: Callable[[Response], int | None] | None = None
    window: int | None = INDEX_WINDOW
    location: ParamLocation = "data"
    overlap: int = attrs.field(default=0, validator=attrs.validators.in_((0, 1)))
    # The server drops hits it cannot load from a page: a short page is no sign of change.
    drops_hits: bool = True

    def fixed_page_size(self, request: Request) -> int:
        """The size this request asks for (never clamped by the server)."""
        return self._size(request)

    def _offset(self, request: Request) -> int:
        return _int(_get(request, self.offset_param, self.location)) or 0

    def _size(self, request: Request) -> int:
        return _int(_get(request, self.size_param, self.location)) or self.size

    def _at(self, request: Request, offset: int, size: int) -> Request | None:
        if self.window is not None:
            if offset >= self.window:
                logger.warning(
                    "stopping at the search index window (%d results); narrow the query to "
                    "reach the rest",
                    self.window,
                )
                return None
            size = min(size, self.window - offset)
        return _set(request, {self.offset_param: offset, self.size_param: size}, self.location)

    def first_request(self, base: Request) -> Request:
        """The base request with its offset and size made explicit."""
        request = self._at(base, self._offset(base), self._size(base))
        return request if request is not None else base

    def _step(self, size: int) -> int:
        return size - self.overlap if size > self.overlap else size

    def inspect(self, request: Request, response: Response, item_count: int) -> PageInfo:
        """Next offset = offset + size (less the overlap); end at the total or a short page."""
        offset, size = self._offset(request), self._size(request)
        reached = offset + size
        following = offset + self._step(size)
        total = self.total(response) if self.total is not None else None
        if total is not None:
            if reached >= total:
                return PageInfo(None, total, 0)
            nxt = self._at(request, following, size)
            if nxt is None:
                return PageInfo(None, total, 0)
            end = total if self.window is None else min(total, self.window)
            return PageInfo(nxt, total, max(1, math.ceil((end - reached) / self._step(size))))
        if item_count < size:
            return PageInfo(None, None, 0)
        return PageInfo(self._at(request, following, size), None, None)

    def skip_ahead(self, request: Request, pages: int) -> Request | None:
        """The page `pages` steps later (sizes are fixed, so pages are addressable)."""
        size = self._size(request)
        return self._at(request, self._offset(request) + pages * self._step(size), size)

    def cursor_for(self, request: Request) -> dict[str, Any]:
        """`{"offset": n, "size": m}`."""
        return {"offset": self._offset(request), "size": self._size(request)}

    def request_from_cursor(self, base: Request, position: Mapping[str, Any]) -> Request:
        """The base request at the cursor's offset and size."""
        offset, size = _int(position.get("offset")), _int(position.get("size"))
        if offset is None or offset < 0:
            raise ValueError("cursor has no valid offset")
        request = self._at(base, offset, size or self._size(base))
        if request is None:
            raise ValueError("cursor offset lies past the index window")
        return request
