"""Record searches: v1 (all hits, or one page with facets), v2 light results, v3 offset/limit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal, overload

from asyncdam.engine.errors import InvalidRequestError
from asyncdam.engine.pagination import Paginator
from asyncdam.phraseanet import models as m
from asyncdam.phraseanet.converter import structure
from asyncdam.phraseanet.envelope import payload_dict
from asyncdam.phraseanet.paging import PhraseanetOffsetStrategy
from asyncdam.phraseanet.params import checked, form, id_list, opt_int, str_list
from asyncdam.phraseanet.search import (
    SearchMixin,
    _total_v3,
    item_key,
    search_fields,
    v3_paging,
)

__all__ = ["RecordSearch"]

DateLike = dt.date | str | None


class RecordSearch(SearchMixin):
    """The search half of `pn.records`."""

    @overload
    def search(
        self,
        query: str = "",
        *,
        bases: Sequence[int] | None = None,
        record_type: str | None = None,
        sort: str | None = None,
        ord: Literal["asc", "desc"] | None = None,
        date_field: Sequence[str] | None = None,
        date_min: DateLike = None,
        date_max: DateLike = None,
        status: Mapping[int, bool] | None = None,
        fields: Sequence[str] | None = None,
        stemme: bool | None = None,
        truncation: bool | None = None,
        subdef_url_ttl: int | None = None,
        per_page: int = 100,
        offset_start: int = 0,
        extended: bool = False,
        fetch_ahead: int | None = None,
        cursor: dict[str, Any] | None = None,
        search_type: Literal[0] = 0,
        consistency: str = "repair",
    ) -> Paginator[m.Record]: ...

    @overload
    def search(
        self,
        query: str = "",
        *,
        bases: Sequence[int] | None = None,
        record_type: str | None = None,
        sort: str | None = None,
        ord: Literal["asc", "desc"] | None = None,
        date_field: Sequence[str] | None = None,
        date_min: DateLike = None,
        date_max: DateLike = None,
        status: Mapping[int, bool] | None = None,
        fields: Sequence[str] | None = None,
        stemme: bool | None = None,
        truncation: bool | None = None,
        subdef_url_ttl: int | None = None,
        per_page: int = 100,
        offset_start: int = 0,
        extended: bool = False,
        fetch_ahead: int | None = None,
        cursor: dict[str, Any] | None = None,
        search_type: Literal[1],
        consistency: str = "repair",
    ) -> Paginator[m.Story]: ...

    @checked
    def search(
        self,
        query: str = "",
        *,
        bases: Sequence[int] | None = None,
        record_type: str | None = None,
        sort: str | None = None,
        ord: Literal["asc", "desc"] | None = None,
        date_field: Sequence[str] | None = None,
        date_min: DateLike = None,
        date_max: DateLike = None,
        status: Mapping[int, bool] | None = None,
        fields: Sequence[str] | None = None,
        stemme: bool | None = None,
        truncation: bool | None = None,
        subdef_url_ttl: int | None = None,
        per_page: int = 100,
        offset_start: int = 0,
        extended: bool = False,
        fetch_ahead: int | None = None,
        cursor: dict[str, Any] | None = None,
        search_type: Literal[0, 1] = 0,
        consistency: str = "repair",
    ) -> Paginator[m.Record] | Paginator[m.Story]:
        """Every matching record, each once, in the server's order: `POST /api/v1/search/`.

        Returns `Paginator[Record]` (`Paginator[Story]` with `search_type=1`, as
        `pn.stories.search()` does): pages by `offset_start`/`per_page` (default 100) in the form
        body until the reply's `total_results`, within the search index window; `fetch_ahead` pages
        may be in flight and `cursor` resumes a listing. `sort="random"` is refused here (each page
        would be reshuffled); `search_page()` takes it. Without a query or `sort`, records come
        oldest first (`created_on` ascending), so records added meanwhile land at the end.
        `consistency` (default `"repair"`): every record present for the whole listing comes out
        once even while the base changes; `"raise"` raises `ListingChanged` instead, `"off"` pages
        plainly. No parameter is required (an empty query matches everything). A read sent as POST
        and marked idempotent: retried after transport errors and retryable statuses.
        """
        if search_type not in (0, 1):
            raise InvalidRequestError("search_type must be 0 (records) or 1 (stories)")
        filters = search_fields(
            query=query,
            bases=bases,
            record_type=record_type,
            sort=sort,
            ord=ord,
            date_field=date_field,
            date_min=date_min,
            date_max=date_max,
            status=status,
            fields=fields,
            stemme=stemme,
            truncation=truncation,
        )
        if search_type == 1:
            return self._search_pages(
                "v1/search/",
                filters,
                stories=True,
                per_page=per_page,
                offset_start=offset_start,
                subdef_url_ttl=subdef_url_ttl,
                extended=extended,
                decode=self._decode_v1("stories", m.Story),
                fetch_ahead=fetch_ahead,
                cursor=cursor,
                consistency=consistency,
            )
        return self._search_pages(
            "v1/search/",
            filters,
            stories=False,
            per_page=per_page,
            offset_start=offset_start,
            subdef_url_ttl=subdef_url_ttl,
            extended=extended,
            decode=self._decode_v1("records", m.Record),
            fetch_ahead=fetch_ahead,
            cursor=cursor,
            consistency=consistency,
        )

    @checked
    async def search_page(
        self,
        query: str = "",
        *,
        bases: Sequence[int] | None = None,
        search_type: Literal[0, 1] = 0,
        record_type: str | None = None,
        sort: str | None = None,
        ord: Literal["asc", "desc"] | None = None,
        date_field: Sequence[str] | None = None,
        date_min: DateLike = None,
        date_max: DateLike = None,
        status: Mapping[int, bool] | None = None,
        fields: Sequence[str] | None = None,
        stemme: bool | None = None,
        truncation: bool | None = None,
        per_page: int = 10,
        offset_start: int = 0,
        extended: bool = False,
    ) -> m.SearchPage:
        """One page of `POST /api/v1/search/` with its counters, facets and suggestions.

        Returns `SearchPage`; it does not page on its own (`offset_start`, `per_page`). No parameter
        is required. A read sent as POST and marked idempotent: retried after transport errors and
        retryable statuses.
        """
        if search_type not in (0, 1):
            raise InvalidRequestError("search_type must be 0 (records) or 1 (stories)")
        filters = search_fields(
            query=query,
            bases=bases,
            record_type=record_type,
            sort=sort,
            ord=ord,
            date_field=date_field,
            date_min=date_min,
            date_max=date_max,
            status=status,
            fields=fields,
            stemme=stemme,
            truncation=truncation,
        )
        filters["search_type"] = search_type
        filters["offset_start"] = opt_int(offset_start, "offset_start", low=0)
        filters["per_page"] = opt_int(per_page, "per_page", low=1)
        request = self._request(
            "POST", "v1/search/", data=form(filters), extended=extended, idempotent=True
        )
        body = self._absolute(await self._payload(request))
        results = body.pop("results", None)
        if isinstance(results, dict):
            body["records"] = results.get("records", [])
            body["stories"] = results.get("stories", [])
        return structure(body, m.SearchPage, what="search page")

    @checked
    def search_light(
        self,
        query: str = "",
        *,
        bases: Sequence[int] | None = None,
        search_type: Literal[0, 1] = 0,
        record_type: str | None = None,
        sort: str | None = None,
        ord: Literal["asc", "desc"] | None = None,
        date_field: Sequence[str] | None = None,
        date_min: DateLike = None,
        date_max: DateLike = None,
        status: Mapping[int, bool] | None = None,
        fields: Sequence[str] | None = None,
        per_page: int = 100,
        offset_start: int = 0,
        fetch_ahead: int | None = None,
        cursor: dict[str, Any] | None = None,
        consistency: str = "repair",
    ) -> Paginator[m.LightResult]:
        """Light search results for sync jobs: v2 `POST /api/v2/search/` (ids, collection and
        `version`).

        Returns `Paginator[LightResult]`: pages by `offset_start`/`per_page` in the form body until
        the reply's total, like `search()`, with the same `consistency` choice. No parameter is
        required. A read sent as POST and marked idempotent: retried after transport errors and
        retryable statuses.
        """
        if search_type not in (0, 1):
            raise InvalidRequestError("search_type must be 0 (records) or 1 (stories)")
        filters = search_fields(
            query=query,
            bases=bases,
            record_type=record_type,
            sort=sort,
            ord=ord,
            date_field=date_field,
            date_min=date_min,
            date_max=date_max,
            status=status,
            fields=fields,
            stemme=None,
            truncation=None,
        )

        def decode(response: Any) -> list[m.LightResult]:
            results = payload_dict(response).get("results", [])
            return self._items(results, m.LightResult, "results", response)

        return self._search_pages(
            "v2/search/",
            filters,
            stories=search_type == 1,
            per_page=per_page,
            offset_start=offset_start,
            subdef_url_ttl=None,
            extended=False,
            decode=decode,
            fetch_ahead=fetch_ahead,
            cursor=cursor,
            consistency=consistency,
        )

    @checked
    def search_v3(
        self,
        query: str = "",
        *,
        bases: Sequence[int] | None = None,
        search_type: Literal[0, 1] = 0,
        include: Sequence[str] | None = None,
        story_children_limit: int | None = None,
        limit: int = 100,
        offset: int = 0,
        fetch_ahead: int | None = None,
        cursor: dict[str, Any] | None = None,
        consistency: str = "repair",
    ) -> Paginator[m.Record]:
        """Records (or, with `search_type=1`, stories in the v3 record shape): v3 `POST
        /api/v3/search/`.

        Returns `Paginator[Record]`: pages by `offset`/`limit` in the form body (limit 1-100,
        checked here: the server answers 500 otherwise) until the reply's total; `fetch_ahead`,
        `cursor` and `consistency` as for `search()`. No parameter is required. A read sent as POST
        and marked idempotent: retried after transport errors and retryable statuses.
        """
        if search_type not in (0, 1):
            raise InvalidRequestError("search_type must be 0 (records) or 1 (stories)")
        if not isinstance(query, str):
            raise InvalidRequestError("query must be a string")
        paging = v3_paging(page=None, per_page=None, offset=offset, limit=limit, cursor=None)
        limit = limit or 100
        fields = {
            "query": query,
            "bases": id_list(bases, "bases"),
            "search_type": search_type,
            "include": str_list(include, "include"),
            "story_children_limit": opt_int(
                story_children_limit, "story_children_limit", low=0, high=10
            ),
            "offset": paging["offset"] or 0,
            "limit": limit,
        }
        request = self._request("POST", "v3/search/", data=form(fields), idempotent=True)
        key = "stories" if search_type == 1 else "records"

        def decode(response: Any) -> list[m.Record]:
            results = payload_dict(response).get("results", {})
            items = results.get(key, []) if isinstance(results, dict) else []
            return self._items(items, m.Record, f"results.{key}", response)

        strategy = PhraseanetOffsetStrategy(
            name="phraseanet-v3",
            offset_param="offset",
            size_param="limit",
            size=limit,
            total=_total_v3,
        )
        return self._client.paginate(
            request,
            strategy,
            decode,
            fetch_ahead=fetch_ahead,
            cursor=cursor,
            identify=item_key,
            consistency=consistency,
        )
