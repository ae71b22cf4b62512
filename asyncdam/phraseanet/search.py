"""Building and decoding searches: v1 `/search/` (records or stories), v2 light, v3 paged."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from asyncdam.engine.errors import DecodeError, InvalidRequestError
from asyncdam.engine.pagination import Paginator
from asyncdam.engine.request import Response
from asyncdam.phraseanet.envelope import payload_dict
from asyncdam.phraseanet.paging import INDEX_WINDOW, PhraseanetOffsetStrategy
from asyncdam.phraseanet.params import form, id_list, opt_bool01, opt_int, opt_str, str_list
from asyncdam.phraseanet.resource import ResourceGroup

__all__ = ["SearchMixin", "item_key", "stable_order", "v3_paging"]

T = TypeVar("T")

V3_MAX_LIMIT = 100


def _date(value: object, name: str) -> str | None:
    """`YYYY/MM/DD` from a date or an already formatted string."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.strftime("%Y/%m/%d")
    if isinstance(value, str):
        try:
            dt.datetime.strptime(value, "%Y/%m/%d")
        except ValueError:
            raise InvalidRequestError(f"{name} must be a date or 'YYYY/MM/DD'") from None
        return value
    raise InvalidRequestError(f"{name} must be a date or 'YYYY/MM/DD'")


def _status(value: object, name: str = "status") -> dict[str, str] | None:
    """`{bit: bool}` -> `status[bit]=0|1`; bits 0-3 are reserved, 31 is the last."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidRequestError(f"{name} must be a mapping of bit number to bool")
    out: dict[str, str] = {}
    for bit, state in value.items():
        if isinstance(bit, bool) or not isinstance(bit, int) or not 4 <= bit <= 31:
            raise InvalidRequestError(f"{name} bits must be integers 4..31, got {bit!r}")
        flag = opt_bool01(state, f"{name}[{bit}]")
        assert flag is not None
        out[str(bit)] = flag
    return out


def search_fields(
    *,
    query: object,
    bases: object,
    record_type: object,
    sort: object,
    ord: object,
    date_field: object,
    date_min: object,
    date_max: object,
    status: object,
    fields: object,
    stemme: object,
    truncation: object,
) -> dict[str, object]:
    """The checked v1/v2 search filters (not paging), in the server's names."""
    if not isinstance(query, str):
        raise InvalidRequestError("query must be a string")
    date_fields = str_list(date_field, "date_field")
    return {
        "query": query,
        "bases": id_list(bases, "bases"),
        "record_type": opt_str(record_type, "record_type"),
        "sort": opt_str(sort, "sort"),
        "ord": opt_str(ord, "ord", choices=("asc", "desc")),
        "date_field": "|".join(date_fields) if date_fields else None,
        "date_min": _date(date_min, "date_min"),
        "date_max": _date(date_max, "date_max"),
        "status": _status(status),
        "fields": str_list(fields, "fields"),
        "stemme": opt_bool01(stemme, "stemme"),
        "truncation": opt_bool01(truncation, "truncation"),
    }


def _total_results(response: Response) -> int | None:
    value = payload_dict(response).get("total_results")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _total_v3(response: Response) -> int | None:
    value = payload_dict(response).get("total")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def v3_paging(
    *, page: object, per_page: object, offset: object, limit: object, cursor: object
) -> dict[str, object]:
    """Checked v3 paging: one family of page/per_page, offset/limit or cursor/limit.

    The server answers a mixed family or an out-of-range value with a 500, so it is refused here.
    """
    families = [
        name
        for name, used in (
            ("page", page is not None or per_page is not None),
            ("offset", offset is not None),
            ("cursor", cursor is not None),
        )
        if used
    ]
    if len(families) > 1:
        raise InvalidRequestError(f"v3 paging takes one of page/offset/cursor, got {families}")
    if families == ["page"]:
        if limit is not None:
            raise InvalidRequestError("page/per_page do not mix with limit")
        return {
            "page": opt_int(page, "page", low=1),
            "per_page": opt_int(per_page, "per_page", low=1, high=V3_MAX_LIMIT),
        }
    out: dict[str, object] = {"limit": opt_int(limit, "limit", low=1, high=V3_MAX_LIMIT)}
    if families == ["cursor"]:
        if not isinstance(cursor, str):
            raise InvalidRequestError("cursor must be a string")
        try:
            position = int(base64.b64decode(cursor, validate=True).decode())
        except ValueError:
            raise InvalidRequestError("cursor must be a base64 offset") from None
        if position < 0:
            raise InvalidRequestError("cursor must encode a non-negative offset")
        out["cursor"] = cursor
    else:
        out["offset"] = opt_int(offset, "offset", low=0)
    return out


def item_key(item: Any) -> str | None:
    """`databox_id:record_id` (or story id) of a hit, or of its JSON form: the id a guarded
    listing dedupes on."""
    if isinstance(item, Mapping):
        key: Any = (item.get("databox_id"), item.get("record_id") or item.get("story_id"))
    else:
        key = getattr(item, "key", None)
    if not isinstance(key, tuple):
        key = (getattr(item, "databox_id", None), getattr(item, "record_id", None))
    if not all(isinstance(part, int) and part > 0 for part in key):
        return None
    return f"{key[0]}:{key[1]}"


def stable_order(filters: dict[str, object]) -> dict[str, object]:
    """A full listing (no query, no sort) sorted by creation, oldest first, so that records
    added during it land at its end; any other search keeps the order the caller chose."""
    if filters.get("sort") is None and not filters.get("query"):
        return {**filters, "sort": "created_on", "ord": "asc"}
    return filters


class SearchMixin(ResourceGroup):
    """The v1 search pager shared by `pn.records` and `pn.stories`."""

    def _search_pages(
        self,
        path: str,
        filters: dict[str, object],
        *,
        stories: bool,
        per_page: object,
        offset_start: object,
        subdef_url_ttl: object,
        extended: bool,
        decode: Callable[[Response], Sequence[T]],
        fetch_ahead: int | None,
        cursor: dict[str, Any] | None,
        consistency: str = "repair",
    ) -> Paginator[T]:
        size = opt_int(per_page, "per_page", low=1, high=INDEX_WINDOW)
        start = opt_int(offset_start, "offset_start", low=0, high=INDEX_WINDOW - 1)
        if filters.get("sort") == "random":
            raise InvalidRequestError(
                "sort='random' reshuffles every page; use search_page() for a random sample"
            )
        fields = {**stable_order(filters), "search_type": 1 if stories else 0}
        data = form(fields)
        data += [("offset_start", str(start or 0)), ("per_page", str(size or 100))]
        ttl = opt_int(subdef_url_ttl, "subdef_url_ttl", low=-1)
        # subdef_url_ttl is read from the query string only.
        query = [("subdef_url_ttl", str(ttl))] if ttl is not None else None
        # POST keeps long filters out of the URL; it is a read, so retrying it is safe.
        request = self._request(
            "POST", path, query=query, data=data, extended=extended, idempotent=True
        )
        strategy = PhraseanetOffsetStrategy(size=size or 100, total=_total_results)
        return self._client.paginate(
            request,
            strategy,
            decode,
            fetch_ahead=fetch_ahead,
            cursor=cursor,
            identify=item_key,
            consistency=consistency,
        )

    def _decode_v1(self, key: str, cls: type[T]) -> Callable[[Response], list[T]]:
        def decode(response: Response) -> list[T]:
            results = payload_dict(response).get("results")
            if isinstance(results, list) and key == "records":
                items: Any = results  # /records/search/ sends the record list itself
            elif isinstance(results, dict):
                items = results.get(key, [])
            else:
                raise DecodeError(
                    "search reply lacks 'results'", method=response.method, url=response.url
                )
            return self._items(items, cls, f"results.{key}", response)

        return decode
