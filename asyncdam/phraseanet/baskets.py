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
        """`GET /api/v1/baskets/list/`: own and vote baskets."""
        return await self._many(self._request("GET", "v1/baskets/list/"), "baskets", m.Basket)

    @checked
    async def create(self, name: str) -> m.Basket:
        """`POST /api/v1/baskets/add/` (a blank name is refused)."""
        request = self._request("POST", "v1/baskets/add/", data=[("name", req_str(name, "name"))])
        return await self._one(request, "basket", m.Basket)

    @checked
    async def content(self, basket_id: int) -> m.BasketContent:
        """`GET .../content/`: the basket and its elements in order."""
        request = self._request("GET", B + "content/", _b(basket_id))
        return structure(
            self._absolute(await self._payload(request)), m.BasketContent, what="basket content"
        )

    @checked
    async def set_name(self, basket_id: int, name: str) -> m.Basket:
        """`POST .../setname/`."""
        request = self._request(
            "POST", B + "setname/", _b(basket_id), data=[("name", req_str(name, "name"))]
        )
        return await self._one(request, "basket", m.Basket)

    @checked
    async def set_description(self, basket_id: int, description: str) -> m.Basket:
        """`POST .../setdescription/`."""
        text = req_str(description, "description", allow_empty=True)
        request = self._request(
            "POST", B + "setdescription/", _b(basket_id), data=[("description", text)]
        )
        return await self._one(request, "basket", m.Basket)

    @checked
    async def delete(self, basket_id: int) -> builtins.list[m.Basket]:
        """`POST .../delete/`: returns the remaining baskets."""
        request = self._request("POST", B + "delete/", _b(basket_id))
        return await self._many(request, "baskets", m.Basket)

    @checked
    async def add_records(self, basket_id: int, records: Sequence[RecordRef]) -> Any:
        """v2 `POST /api/v2/baskets/{id}/records/` (JSON `{data: [...]}`): the new elements."""
        request = self._request(
            "POST", "v2/baskets/{basket_id}/records/", _b(basket_id), json={"data": _refs(records)}
        )
        return self._absolute((await self._payload(request)).get("elements"))

    @checked
    async def remove_records(self, basket_id: int, records: Sequence[RecordRef]) -> Any:
        """v2 `DELETE /api/v2/baskets/{id}/records/` (JSON body)."""
        request = self._request(
            "DELETE",
            "v2/baskets/{basket_id}/records/",
            _b(basket_id),
            json={"data": _refs(records)},
        )
        return self._absolute((await self._payload(request)).get("elements"))
