"""`pn.orders`: v2 orders (ask a collection's order managers for documents).

The fact sheet records the routes and paging but not the order document's fields, so orders are
returned as the unwrapped `response` objects (plain dicts) rather than models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from asyncdam.engine.errors import InvalidRequestError
from asyncdam.phraseanet.params import checked, form, opt_int, req_id, str_list
from asyncdam.phraseanet.resource import ResourceGroup

__all__ = ["Orders"]

MAX_PER_PAGE = 100


def _o(order_id: object) -> dict[str, int]:
    return {"order_id": req_id(order_id, "order_id")}


def _body(body: object) -> dict[str, Any]:
    if not isinstance(body, Mapping):
        raise InvalidRequestError("body must be a mapping")
    return dict(body)


class Orders(ResourceGroup):
    """Orders (v2; JSON bodies; `/orders/{id}` routes have no trailing slash)."""

    @checked
    async def list(
        self, *, page: int = 1, per_page: int = 10, includes: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """`GET /api/v2/orders/`: one page (`page` >= 1, `per_page` 1-100)."""
        query = form(
            {
                "page": opt_int(page, "page", low=1),
                "per_page": opt_int(per_page, "per_page", low=1, high=MAX_PER_PAGE),
                "includes": str_list(includes, "includes"),
            }
        )
        return await self._payload(self._request("GET", "v2/orders/", query=query))

    @checked
    async def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /api/v2/orders/` (JSON)."""
        return await self._payload(self._request("POST", "v2/orders/", json=_body(body)))

    @checked
    async def get(self, order_id: int) -> dict[str, Any]:
        """`GET /api/v2/orders/{id}`."""
        return await self._payload(self._request("GET", "v2/orders/{order_id}", _o(order_id)))

    @checked
    async def accept(self, order_id: int, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """`POST /api/v2/orders/{id}/accept` (JSON, e.g. the elements to accept)."""
        request = self._request(
            "POST", "v2/orders/{order_id}/accept", _o(order_id), json=_body(body or {})
        )
        return await self._payload(request)

    @checked
    async def deny(self, order_id: int, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """`POST /api/v2/orders/{id}/deny` (JSON)."""
        request = self._request(
            "POST", "v2/orders/{order_id}/deny", _o(order_id), json=_body(body or {})
        )
        return await self._payload(request)

    @checked
    async def archive(self, order_id: int) -> dict[str, Any]:
        """`GET /api/v2/orders/{id}/archive`."""
        request = self._request("GET", "v2/orders/{order_id}/archive", _o(order_id))
        return await self._payload(request)
