"""Pure next-page arithmetic for the services' paging styles (no I/O, nothing awaited).

A strategy turns a base `Request` into the request for the first page, reads a page's response
to find the next request and any totals, addresses a page some steps ahead directly (for
fetch-ahead), and converts a page's request to a JSON-able position and back (resume cursors).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlsplit

import attrs

from asyncdam.engine.request import Request, Response

__all__ = [
    "BodyOffsetStrategy",
    "LinkHeaderStrategy",
    "OffsetLimitStrategy",
    "PageInfo",
    "PageNumberStrategy",
    "PageStrategy",
    "ParamLocation",
    "header_total",
    "parse_link_header",
]

ParamLocation = Literal["query", "data", "json"]
TotalReader = Callable[[Response], "int | None"]


@attrs.frozen
class PageInfo:
    """What one page's response tells: the next request (None at the end) and any totals.

    `remaining_pages` counts the pages after this one when the server's totals make it certain;
    only then may a paginator fetch ahead.
    """

    next_request: Request | None
    total_items: int | None = None
    remaining_pages: int | None = None


@runtime_checkable
class PageStrategy(Protocol):
    """How one listing endpoint pages; every method is pure."""

    @property
    def name(self) -> str:
        """A stable tag for this paging style, stored in cursors."""
        ...

    def first_request(self, base: Request) -> Request:
        """The request for the first page (paging parameters filled in)."""
        ...

    def inspect(self, request: Request, response: Response, item_count: int) -> PageInfo:
        """Read a fetched page: next request, total items, pages left."""
        ...

    def skip_ahead(self, request: Request, pages: int) -> Request | None:
        """The request `pages` pages after `request`, or None when pages are not addressable."""
        ...

    def cursor_for(self, request: Request) -> dict[str, Any]:
        """A JSON-able position of the page `request` fetches."""
        ...

    def request_from_cursor(self, base: Request, position: Mapping[str, Any]) -> Request:
        """The inverse of `cursor_for`, applied to the listing's base request."""
        ...


# -- parameter plumbing ------------------------------------------------------------------------


def _get_param(request: Request, name: str, location: ParamLocation) -> Any:
    if location == "json":
        return request.json.get(name) if isinstance(request.json, Mapping) else None
    source: Any = request.query if location == "query" else request.data
    if source is None:
        return None
    if isinstance(source, Mapping):
        return source.get(name)
    for key, value in source:
        if key == name:
            return value
    return None


def _set_params(request: Request, values: Mapping[str, int], location: ParamLocation) -> Request:
    """A copy of the request with paging parameters replaced; every other parameter kept."""
    if location == "json":
        body = dict(request.json) if isinstance(request.json, Mapping) else {}
        body.update(values)
        return request.evolve(json=body)
    source: Any = request.query if location == "query" else request.data
    if source is None or isinstance(source, Mapping):
        merged: Any = {**(source or {}), **values}
    else:
        merged = [(k, v) for k, v in source if k not in values] + list(values.items())
    if location == "query":
        return request.evolve(query=merged)
    return request.evolve(data=merged)


def _as_int(value: object) -> int | None:
    """A non-negative integer from a header, body or query value; None when it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value >= 0 and value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        return int(text) if text.isdigit() else None
    return None


def header_total(name: str) -> TotalReader:
    """A total reader for a header carrying the item count (e.g. `X-Full-Results-Count`)."""

    def read(response: Response) -> int | None:
        return _as_int(response.headers.get(name))

    return read


def _position_int(position: Mapping[str, Any], key: str) -> int | None:
    value = position.get(key)
    if value is None:
        return None
    number = _as_int(value)
    if number is None:
        raise ValueError(f"cursor field {key!r} must be a non-negative integer, got {value!r}")
    return number


# -- Link header --------------------------------------------------------------------------------

_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*?\s*)*)(?:,|$)")
_LINK_PARAM = re.compile(r';\s*([A-Za-z*-]+)\s*=\s*(?:"([^"]*)"|([^;,\s]*))')


def parse_link_header(value: str | None) -> dict[str, str]:
    """Map each rel of an RFC 5988 Link header to its URL; rels may be quoted or bare, any order."""
    links: dict[str, str] = {}
    if not value:
        return links
    for match in _LINK.finditer(value):
        url, params = match.group(1).strip(), match.group(2)
        for pmatch in _LINK_PARAM.finditer(params):
            if pmatch.group(1).lower() != "rel":
                continue
            rels = pmatch.group(2) if pmatch.group(2) is not None else pmatch.group(3)
            for rel in rels.split():
                links.setdefault(rel.lower(), url)
    return links


def _query_int(url: str, name: str) -> int | None:
    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if key == name:
            return _as_int(value)
    return None


# -- page-number strategies --------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class PageNumberStrategy:
    """Numbered pages (`page=1,2,...`) with an optional total from a header or the body.

    `per_page` is sent when the base request has no page size of its own. `total` reads the
    total item count from a response (see `header_total`); `max_per_page` is the server's clamp,
    so a page shorter than the request asked for is not mistaken for the last one. `location`
    says where the paging parameters travel: the query (default), a form body or a JSON body.
    Without a total, paging stops at the first empty or short page.
    """

    name: str = "page-number"
    page_param: str = "page"
    per_page_param: str = "per_page"
    per_page: int | None = None
    first_page: int = 1
    max_per_page: int | None = None
    total: TotalReader | None = None
    location: ParamLocation = "query"

    def first_request(self, base: Request) -> Request:
        """The base request on page `first_page`, with `per_page` if it had no size."""
        values = {self.page_param: self._page_of(base)}
        if self.per_page is not None and self._size_of(base) is None:
            values[self.per_page_param] = self.per_page
        return _set_params(base, values, self.location)

    def _page_of(self, request: Request) -> int:
        page = _as_int(_get_param(request, self.page_param, self.location))
        return self.first_page if page is None else page

    def _size_of(self, request: Request) -> int | None:
        size = _as_int(_get_param(request, self.per_page_param, self.location))
        if size is not None and self.max_per_page is not None:
            size = min(size, self.max_per_page)
        return size if size else None

    def _with_page(self, request: Request, page: int) -> Request:
        return _set_params(request, {self.page_param: page}, self.location)

    def inspect(self, request: Request, response: Response, item_count: int) -> PageInfo:
        """Next page unless this one is empty, short, or the last by the total."""
        total = self.total(response) if self.total is not None else None
        return self._numbered(request, item_count, total=total, size=self._size_of(request))

    def _numbered(
        self,
        request: Request,
        item_count: int,
        *,
        total: int | None,
        size: int | None,
        total_pages: int | None = None,
        page: int | None = None,
    ) -> PageInfo:
        page = self._page_of(request) if page is None else page
        if total_pages is None and total is not None and size:
            total_pages = math.ceil(total / size)
        if total_pages is not None:
            remaining = max(total_pages - (page - self.first_page + 1), 0)
            # An empty page ends the listing whatever the count said (items deleted meanwhile).
            if item_count == 0:
                remaining = 0
            following = self._with_page(request, page + 1) if remaining else None
            return PageInfo(following, total, remaining)
        if item_count == 0 or (size is not None and item_count < size):
            return PageInfo(None, total, 0)
        return PageInfo(self._with_page(request, page + 1), total, None)

    def skip_ahead(self, request: Request, pages: int) -> Request | None:
        """The same request `pages` page numbers later."""
        return self._with_page(request, self._page_of(request) + pages)

    def cursor_for(self, request: Request) -> dict[str, Any]:
        """`{"page": n, "per_page": m}` (m None when the server's default size is used)."""
        size = _as_int(_get_param(request, self.per_page_param, self.location))
        return {"page": self._page_of(request), "per_page": size}

    def request_from_cursor(self, base: Request, position: Mapping[str, Any]) -> Request:
        """The base request at the cursor's page and page size."""
        page = _position_int(position, "page")
        if page is None:
            raise ValueError("cursor has no page number")
        values = {self.page_param: page}
        size = _position_int(position, "per_page")
        if size is not None:
            if size == 0 or (self.max_per_page is not None and size > self.max_per_page):
                raise ValueError(
                    f"cursor page size {size} is outside 1..{self.max_per_page or 'any'}"
                )
            values[self.per_page_param] = size
        return _set_params(self.first_request(base), values, self.location)


@attrs.frozen(kw_only=True)
class LinkHeaderStrategy(PageNumberStrategy):
    """Phrase style: RFC 5988 `Link` rels plus the `Pagination` JSON header.

    Only the page number is taken from a `next` link; the request itself is rebuilt from the
    original, so `per_page`, branch and filters survive whatever the link carries. Totals come
    from `Pagination` (`total_count`, `total_pages_count`, `current_per_page`) when sent. With
    neither header (some POST searches) it pages on until an empty or short page.
    """

    name: str = "link-header"
    pagination_header: str = "Pagination"

    def inspect(self, request: Request, response: Response, item_count: int) -> PageInfo:
        """Trust the server's Pagination totals, then its Link rels, then page arithmetic."""
        meta = self._pagination(response)
        size = _as_int(meta.get("current_per_page")) or self._size_of(request)
        total = _as_int(meta.get("total_count"))
        if total is None and self.total is not None:
            total = self.total(response)
        page = _as_int(meta.get("current_page")) or self._page_of(request)
        total_pages = _as_int(meta.get("total_pages_count"))
        if total_pages is not None or (total is not None and size):
            return self._numbered(
                request, item_count, total=total, size=size, total_pages=total_pages, page=page
            )
        if "next_page" in meta:
            following = _as_int(meta.get("next_page"))
            if following is None or item_count == 0:
                return PageInfo(None, total, 0)
            return PageInfo(self._with_page(request, following), total, None)
        links_raw = response.headers.get("link")
        if links_raw:
            links = parse_link_header(links_raw)
            target = links.get("next")
            if target is None or item_count == 0:
                return PageInfo(None, total, 0)
            following = _query_int(target, self.page_param)
            return PageInfo(self._with_page(request, following or page + 1), total, None)
        return self._numbered(request, item_count, total=total, size=size, page=page)

    def _pagination(self, response: Response) -> dict[str, Any]:
        raw = response.headers.get(self.pagination_header)
        if not raw:
            return {}
        try:
            meta = json.loads(raw)
        except ValueError:
            return {}
        return meta if isinstance(meta, dict) else {}


# -- offset strategies -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class OffsetLimitStrategy:
    """Offset/limit paging (OpenAsset: `offset`, `limit`, total in `X-Full-Results-Count`).

    The next offset advances by the items actually received, so a server that clamps the page
    size loses nothing; fetch-ahead is offered only after a full page proves the size. `limit` is
    sent when the base request has none. A limit of 0 (OpenAsset: all rows) is a single page.
    `overlap=1` starts each page on the previous page's last item, so a consistency-checking
    paginator can see that no item slipped between the two (it applies when a page holds more
    items than the overlap).
    """

    name: str = "offset-limit"
    offset_param: str = "offset"
    limit_param: str = "limit"
    limit: int | None = None
    total: TotalReader | None = attrs.field(factory=lambda: header_total("X-Full-Results-Count"))
    location: ParamLocation = "query"
    overlap: int = attrs.field(default=0, validator=attrs.validators.in_((0, 1)))

    def first_request(self, base: Request) -> Request:
        """The base request at its offset (0 if none), with `limit` if it had none."""
        values = {self.offset_param: self._offset_of(base)}
        if self.limit is not None and self._limit_of(base) is None:
            values[self.limit_param] = self.limit
        return _set_params(base, values, self.location)

    def _offset_of(self, request: Request) -> int:
        return _as_int(_get_param(request, self.offset_param, self.location)) or 0

    def _limit_of(self, request: Request) -> int | None:
        return _as_int(_get_param(request, self.limit_param, self.location))

    def _total(self, response: Response) -> int | None:
        return self.total(response) if self.total is not None else None

    def _step(self, limit: int | None) -> int | None:
        """New items per full page: the limit less the overlap (None when not addressable)."""
        if not limit:
            return None
        return limit - self.overlap if limit > self.overlap else limit

    def inspect(self, request: Request, response: Response, item_count: int) -> PageInfo:
        """Advance by the items received; stop when empty, short, or past the total."""
        total = self._total(response)
        offset, limit = self._offset_of(request), self._limit_of(request)
        reached = offset + item_count
        if item_count == 0 or limit == 0:
            return PageInfo(None, total, 0)
        back = self.overlap if item_count > self.overlap else 0
        following = _set_params(request, {self.offset_param: reached - back}, self.location)
        if total is not None:
            if reached >= total:
                return PageInfo(None, total, 0)
            step = self._step(limit)
            if limit is not None and item_count == limit and step:
                return PageInfo(following, total, math.ceil((total - reached) / step))
            return PageInfo(following, total, None)
        if limit is not None and item_count < limit:
            return PageInfo(None, None, 0)
        return PageInfo(following)

    def skip_ahead(self, request: Request, pages: int) -> Request | None:
        """The request `pages` full pages later; None without a known page size."""
        step = self._step(self._limit_of(request))
        if not step:
            return None
        offset = self._offset_of(request) + pages * step
        return _set_params(request, {self.offset_param: offset}, self.location)

    def cursor_for(self, request: Request) -> dict[str, Any]:
        """`{"offset": n, "limit": m}` (m None when the server's default size is used)."""
        return {"offset": self._offset_of(request), "limit": self._limit_of(request)}

    def request_from_cursor(self, base: Request, position: Mapping[str, Any]) -> Request:
        """The base request at the cursor's offset and limit."""
        offset = _position_int(position, "offset")
        if offset is None:
            raise ValueError("cursor has no offset")
        values = {self.offset_param: offset}
        limit = _position_int(position, "limit")
        if limit is not None:
            values[self.limit_param] = limit
        return _set_params(self.first_request(base), values, self.location)


def _require_total(instance: Any, attribute: Any, value: TotalReader | None) -> None:
    if value is None:
        raise ValueError("BodyOffsetStrategy needs total=, a reader of total_results")


@attrs.frozen(kw_only=True)
class BodyOffsetStrategy(OffsetLimitStrategy):
    """Phraseanet v1/v2 style: `offset_start` and `per_page`, total read from the decoded body.

    `total` is required: a callable returning `total_results` from a response, e.g.
    `lambda r: r.json()["response"]["total_results"]`. Phraseanet v1 reads the parameters from
    the query or a form body (`location="data"`).
    """

    name: str = "body-offset"
    offset_param: str = "offset_start"
    limit_param: str = "per_page"
    total: TotalReader | None = attrs.field(default=None, validator=_require_total)
