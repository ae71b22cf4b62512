"""`pn.baskets`: list, create, read, rename, describe, delete baskets; v2 add/remove records."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from asyncdam.phraseanet import models as m
from asyncdam.phraseanet.converter import structure
from asyncdam.phraseanet.params import checked, req_id, req_str
from asyncdam.phraseanet.resource import ResourceGroup
from asyncdam.phraseanet.stories import RecordRef, _refs

__all__ = ["Baskets"]

B = "v1/baskets/{basket_id}/"


def _b(basket_id: object) -> dict[str, int]:
    return {"basket_id": req_id(basket_id, "basket_id")}


class Baskets(ResourceGroup):
    """The user's baskets (failures on someone else's basket are 403)."""

    async def list(self) -> builtins.list[m.Basket]:
        """The user's own and vote baskets: `GET /api/v1/baskets/list/`.

        Returns `list[Basket]`. No parameter is required. One request, no paging. A GET: retried
        after transport errors and retryable statuses (429, most 5xx).
        """
        return await self._many(self._request("GET", "v1/baskets/list/"), "baskets", m.Basket)

    @checked
    async def create(self, name: str) -> m.Basket:
        """Create a basket: `POST /api/v1/baskets/add/`.

        Returns the new `Basket`. Required: `name` (a blank name is refused before sending). One
        request, no paging. A POST: not retried once sent, so it never runs twice.
        """
        request = self._request("POST", "v1/baskets/add/", data=[("name", req_str(name, "name"))])
        return await self._one(request, "basket", m.Basket)

    @checked
    async def content(self, basket_id: int) -> m.BasketContent:
        """A basket and its elements in order: `GET /api/v1/baskets/{basket_id}/content/`.

        Returns `BasketContent`. Required: `basket_id`. One request, no paging. A GET: retried after
        transport errors and retryable statuses (429, most 5xx).
        """
        request = self._request("GET", B + "content/", _b(basket_id))
        return structure(
            self._absolute(await self._payload(request)), m.BasketContent, what="basket content"
        )

    @checked
    async def set_name(self, basket_id: int, name: str) -> m.Basket:
        """Rename a basket: `POST /api/v1/baskets/{basket_id}/setname/`.

        Returns the updated `Basket`. Required: `basket_id`, `name` (not blank). A POST: not retried
        once sent, so it never runs twice.
        """
        request = self._request(
            "POST", B + "setname/", _b(basket_id), data=[("name", req_str(name, "name"))]
        )
        return await self._one(request, "basket", m.Basket)

    @checked
    async def set_description(self, basket_id: int, description: str) -> m.Basket:
        """Set a basket's description: `POST /api/v1/baskets/{basket_id}/setdescription/`.

        Returns the updated `Basket`. Required: `basket_id`, `description` (may be empty). A POST:
        not retried once sent, so it never runs twice.
        """
        text = req_str(description, "description", allow_empty=True)
        request = self._request(
            "POST", B + "setdescription/", _b(basket_id), data=[("description", text)]
        )
        return await self._one(request, "basket", m.Basket)

    @checked
    async def delete(self, basket_id: int) -> builtins.list[m.Basket]:
        """Delete a basket: `POST /api/v1/baskets/{basket_id}/delete/`.

        Returns the remaining baskets (`list[Basket]`). Required: `basket_id`. A POST: not retried
        once sent, so it never runs twice.
        """
        request = self._request("POST", B + "delete/", _b(basket_id))
        return await self._many(request, "baskets", m.Basket)

    @checked
    async def add_records(self, basket_id: int, records: Sequence[RecordRef]) -> Any:
        """Add records to a basket: v2 `POST /api/v2/baskets/{basket_id}/records/` (JSON `{data:
        [...]}`).

        Returns the new elements as the server sends them (plain JSON). Required: `basket_id`,
        `records` (non-empty `(databox_id, record_id)` pairs). A POST: not retried once sent, so it
        never runs twice.
        """
        request = self._request(
            "POST", "v2/baskets/{basket_id}/records/", _b(basket_id), json={"data": _refs(records)}
        )
        return self._absolute((await self._payload(request)).get("elements"))

    @checked
    async def remove_records(self, basket_id: int, records: Sequence[RecordRef]) -> Any:
        """Remove records from a basket: v2 `DELETE /api/v2/baskets/{basket_id}/records/` (JSON
        body).

        Returns the remaining elements as the server sends them (plain JSON). Required: `basket_id`,
        `records` (non-empty `(databox_id, record_id)` pairs). A DELETE, idempotent: retried after
        transport errors and retryable statuses.
        """
        request = self._request(
            "DELETE",
            "v2/baskets/{basket_id}/records/",
            _b(basket_id),
            json={"data": _refs(records)},
        )
        return self._absolute((await self._payload(request)).get("elements"))
