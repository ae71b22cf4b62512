"""`pn.feeds`: feeds, their entries (paged), single entries."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from asyncdam.engine.pagination import Paginator
from asyncdam.engine.request import Response
from asyncdam.phraseanet import models as m
from asyncdam.phraseanet.envelope import payload_dict
from asyncdam.phraseanet.paging import PhraseanetOffsetStrategy
from asyncdam.phraseanet.params import checked, form, id_list, opt_int, req_id
from asyncdam.phraseanet.resource import ResourceGroup

__all__ = ["Feeds"]

AGGREGATED_MAX = 20  # the server silently turns any other size into 20
FEED_MAX = 100  # ... and into 100 for one feed


def _aggregated_total(response: Response) -> int | None:
    value = payload_dict(response).get("total_entries")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _feed_total(response: Response) -> int | None:
    feed = payload_dict(response).get("feed")
    value = feed.get("total_entries") if isinstance(feed, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Feeds(ResourceGroup):
    """Publication feeds the user can read."""

    async def list(self) -> builtins.list[m.Feed]:
        """The publication feeds the user can read: `GET /api/v1/feeds/list/`.

        Returns `list[Feed]`. No parameter is required. One request, no paging. A GET: retried after
        transport errors and retryable statuses (429, most 5xx).
        """
        return await self._many(self._request("GET", "v1/feeds/list/"), "feeds", m.Feed)

    def _decode(self, response: Response) -> builtins.list[m.FeedEntry]:
        # With offset_start > 0 the server may keep slice keys: {"5": {...}}.
        entries = payload_dict(response).get("entries", [])
        return self._items(entries, m.FeedEntry, "entries", response)

    @checked
    def entries(
        self,
        *,
        feeds: Sequence[int] | None = None,
        per_page: int = AGGREGATED_MAX,
        offset_start: int = 0,
        fetch_ahead: int | None = None,
        cursor: dict[str, Any] | None = None,
    ) -> Paginator[m.FeedEntry]:
        """Entries of all feeds (or of `feeds`), newest first: `GET /api/v1/feeds/content/`.

        Returns `Paginator[FeedEntry]`: pages by `offset_start`/`per_page` in the query (at most 20,
        the server's cap for this route) until `total_entries`; `fetch_ahead` pages may be in
        flight, and `cursor` resumes a listing. No parameter is required. A GET: retried after
        transport errors and retryable statuses (429, most 5xx).
        """
        size = opt_int(per_page, "per_page", low=1, high=AGGREGATED_MAX) or AGGREGATED_MAX
        start = opt_int(offset_start, "offset_start", low=0) or 0
        query = form({"feeds": id_list(feeds, "feeds"), "offset_start": start, "per_page": size})
        request = self._request("GET", "v1/feeds/content/", query=query)
        strategy = PhraseanetOffsetStrategy(
            name="phraseanet-feed",
            size=size,
            total=_aggregated_total,
            window=None,
            location="query",
        )
        return self._client.paginate(
            request, strategy, self._decode, fetch_ahead=fetch_ahead, cursor=cursor
        )

    @checked
    def feed_entries(
        self,
        feed_id: int,
        *,
        per_page: int = FEED_MAX,
        offset_start: int = 0,
        fetch_ahead: int | None = None,
        cursor: dict[str, Any] | None = None,
    ) -> Paginator[m.FeedEntry]:
        """One feed's entries (the server sends them oldest first): `GET
        /api/v1/feeds/{feed_id}/content/`.

        Returns `Paginator[FeedEntry]`: pages by `offset_start`/`per_page` in the query (at most
        100) until the feed's `total_entries`; `fetch_ahead` and `cursor` as for `entries`.
        Required: `feed_id`. A GET: retried after transport errors and retryable statuses (429, most
        5xx).
        """
        size = opt_int(per_page, "per_page", low=1, high=FEED_MAX) or FEED_MAX
        start = opt_int(offset_start, "offset_start", low=0) or 0
        request = self._request(
            "GET",
            "v1/feeds/{feed_id}/content/",
            {"feed_id": req_id(feed_id, "feed_id")},
            query=form({"offset_start": start, "per_page": size}),
        )
        strategy = PhraseanetOffsetStrategy(
            name="phraseanet-feed", size=size, total=_feed_total, window=None, location="query"
        )
        return self._client.paginate(
            request, strategy, self._decode, fetch_ahead=fetch_ahead, cursor=cursor
        )

    @checked
    async def entry(self, entry_id: int) -> m.FeedEntry:
        """One feed entry: `GET /api/v1/feeds/entry/{entry_id}/`.

        Returns `FeedEntry`. Required: `entry_id`. One request, no paging. A GET: retried after
        transport errors and retryable statuses (429, most 5xx).
        """
        request = self._request(
            "GET", "v1/feeds/entry/{entry_id}/", {"entry_id": req_id(entry_id, "entry_id")}
        )
        return await self._one(request, "entry", m.FeedEntry)
