"""`pn.quarantine`: files held back by collection checks; v2 accept, deny and empty."""

from __future__ import annotations

from typing import Any

from asyncdam.engine.pagination import Paginator
from asyncdam.engine.request import Response
from asyncdam.phraseanet import models as m
from asyncdam.phraseanet.envelope import payload_dict
from asyncdam.phraseanet.paging import PhraseanetOffsetStrategy
from asyncdam.phraseanet.params import checked, form, opt_int, req_id
from asyncdam.phraseanet.resource import ResourceGroup

__all__ = ["Quarantine"]

MAX_PER_PAGE = 1000  # the server clamps to 1..1000


def _item(item_id: object) -> dict[str, int]:
    return {"item_id": req_id(item_id, "item_id")}


class Quarantine(ResourceGroup):
    """The user's quarantine items."""

    def _decode(self, response: Response) -> list[m.QuarantineItem]:
        items = payload_dict(response).get("quarantine_items", [])
        return self._items(items, m.QuarantineItem, "quarantine_items", response)

    @checked
    def list(
        self,
        *,
        per_page: int = MAX_PER_PAGE,
        offset_start: int = 0,
        cursor: dict[str, Any] | None = None,
    ) -> Paginator[m.QuarantineItem]:
        """The user's quarantine items: `GET /api/v1/quarantine/list/`.

        Returns `Paginator[QuarantineItem]`: pages by `offset_start`/`per_page` in the query (at
        most 1000); the route sends no total, so pages are fetched one at a time until a short one,
        and `cursor` resumes a listing. No parameter is required. A GET: retried after transport
        errors and retryable statuses (429, most 5xx).
        """
        size = opt_int(per_page, "per_page", low=1, high=MAX_PER_PAGE) or MAX_PER_PAGE
        start = opt_int(offset_start, "offset_start", low=0) or 0
        request = self._request(
            "GET", "v1/quarantine/list/", query=form({"offset_start": start, "per_page": size})
        )
        strategy = PhraseanetOffsetStrategy(
            name="phraseanet-quarantine", size=size, total=None, window=None, location="query"
        )
        return self._client.paginate(request, strategy, self._decode, fetch_ahead=1, cursor=cursor)

    @checked
    async def get(self, item_id: int) -> m.QuarantineItem:
        """One quarantine item: `GET /api/v1/quarantine/item/{item_id}/`.

        Returns `QuarantineItem`. Required: `item_id`. One request, no paging. A GET: retried after
        transport errors and retryable statuses (429, most 5xx).
        """
        request = self._request("GET", "v1/quarantine/item/{item_id}/", _item(item_id))
        return await self._one(request, "quarantine_item", m.QuarantineItem)

    @checked
    async def accept(self, item_id: int) -> dict[str, Any]:
        """Make a quarantined file a record: v2 `POST /api/v2/quarantine/item/{item_id}/add/`.

        Returns the unwrapped answer (the new id in `result.record_id`). Required: `item_id`. A
        POST: not retried once sent, so it never runs twice.
        """
        request = self._request("POST", "v2/quarantine/item/{item_id}/add/", _item(item_id))
        return await self._payload(request)

    @checked
    async def deny(self, item_id: int) -> dict[str, Any]:
        """Drop a quarantined file: v2 `DELETE /api/v2/quarantine/item/{item_id}/`.

        Returns the unwrapped answer (plain JSON). Required: `item_id`. A DELETE, idempotent:
        retried after transport errors and retryable statuses.
        """
        request = self._request("DELETE", "v2/quarantine/item/{item_id}/", _item(item_id))
        return await self._payload(request)

    @checked
    async def empty(self, *, max: int | None = None) -> dict[str, Any]:
        """Drop up to `max` quarantine items (all when None): v2 `DELETE /api/v2/quarantine/`.

        Returns the unwrapped answer (plain JSON). No parameter is required. A DELETE, idempotent:
        retried after transport errors and retryable statuses.
        """
        query = form({"max": opt_int(max, "max", low=1)})
        request = self._request("DELETE", "v2/quarantine/", query=query)
        return await self._payload(request)
