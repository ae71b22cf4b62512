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


# What accept/deny take: element ids (sent as the server reads them, `[{"id": n}, ...]`), or a
# body the caller shaped (a mapping or a list of mappings) sent as it is.
Elements = Sequence[int] | Sequence[Mapping[str, Any]] | Mapping[str, Any]


def _elements(elements: object) -> Any:
    if elements is None:
        raise InvalidRequestError("elements is required: the ids of the order elements to decide")
    if isinstance(elements, Mapping):
        return dict(elements)
    if isinstance(elements, str | bytes) or not isinstance(elements, Sequence):
        raise InvalidRequestError(
            f"elements must be a sequence of element ids, got {type(elements).__name__}"
        )
    if not elements:
        raise InvalidRequestError("elements is empty: name at least one order element")
    if all(isinstance(e, Mapping) for e in elements):
        return [dict(e) for e in elements]
    return [{"id": req_id(e, "elements[]")} for e in elements]


class Orders(ResourceGroup):
    """Orders (v2; JSON bodies; `/orders/{id}` routes have no trailing slash)."""

    @checked
    async def list(
        self, *, page: int = 1, per_page: int = 10, includes: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """One page of orders: v2 `GET /api/v2/orders/`.

        Returns the unwrapped page (plain JSON); it does not page on its own: ask for `page` >= 1
        with `per_page` 1-100 (checked before sending). No parameter is required. A GET: retried
        after transport errors and retryable statuses (429, most 5xx).
        """
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
        """Place an order: v2 `POST /api/v2/orders/` (JSON).

        Returns the order as sent back (plain JSON). Required: `body`, a mapping. A POST: not
        retried once sent, so it never runs twice.
        """
        return await self._payload(self._request("POST", "v2/orders/", json=_body(body)))

    @checked
    async def get(self, order_id: int) -> dict[str, Any]:
        """One order: v2 `GET /api/v2/orders/{order_id}`.

        Returns the order (plain JSON). Required: `order_id`. One request, no paging. A GET: retried
        after transport errors and retryable statuses (429, most 5xx).
        """
        return await self._payload(self._request("GET", "v2/orders/{order_id}", _o(order_id)))

    @checked
    async def accept(self, order_id: int, elements: Elements) -> dict[str, Any]:
        """Accept elements of an order: v2 `POST /api/v2/orders/{order_id}/accept` (JSON).

        Returns the unwrapped answer (plain JSON). Required: `order_id` and `elements`, the element
        ids (sent as `[{"id": n}, ...]`). A POST: not retried once sent, so it never runs twice.
        """
        request = self._request(
            "POST", "v2/orders/{order_id}/accept", _o(order_id), json=_elements(elements)
        )
        return await self._payload(request)

    @checked
    async def deny(self, order_id: int, elements: Elements) -> dict[str, Any]:
        """Deny elements of an order: v2 `POST /api/v2/orders/{order_id}/deny` (JSON).

        Returns the unwrapped answer (plain JSON). Required: `order_id` and `elements`, the element
        ids (sent as `[{"id": n}, ...]`). A POST: not retried once sent, so it never runs twice.
        """
        request = self._request(
            "POST", "v2/orders/{order_id}/deny", _o(order_id), json=_elements(elements)
        )
        return await self._payload(request)

    @checked
    async def archive(self, order_id: int) -> bytes:
        """The archive of an order's accepted documents: v2 `GET /api/v2/orders/{order_id}/archive`.

        Returns the archive's bytes (a zip), held in memory within the engine's
        `max_response_bytes`; `NotFound` before any element was accepted. Required: `order_id`.
        A GET: retried after transport errors and retryable statuses (429, most 5xx).
        """
        request = self._request("GET", "v2/orders/{order_id}/archive", _o(order_id))
        return (await self._send(request)).content
