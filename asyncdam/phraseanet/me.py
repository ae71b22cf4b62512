"""`pn.me`: the current user, what they can reach, and their account (JSON routes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asyncdam.engine.errors import InvalidRequestError
from asyncdam.phraseanet import models as m
from asyncdam.phraseanet.converter import structure
from asyncdam.phraseanet.params import checked
from asyncdam.phraseanet.resource import ResourceGroup

__all__ = ["Me"]


def _mapping(body: object) -> dict[str, Any]:
    if not isinstance(body, Mapping) or not body:
        raise InvalidRequestError("body must be a non-empty mapping")
    return dict(body)


class Me(ResourceGroup):
    """The authenticated user."""

    async def get(self) -> m.Me:
        """`GET /api/v1/me/`: profile, reachable collections and databoxes."""
        body = await self._payload(self._request("GET", "v1/me/"))
        return structure(self._absolute(body), m.Me, what="me")

    async def structures(self) -> m.Structures:
        """`GET /api/v1/me/structures/`: visible metadata, aggregable and technical fields."""
        body = await self._payload(self._request("GET", "v1/me/structures/"))
        return structure(body, m.Structures, what="structures")

    async def subdefs(self) -> Any:
        """`GET /api/v1/me/subdefs/`: subdef definitions the user can see (`[]` when none)."""
        return (await self._payload(self._request("GET", "v1/me/subdefs/"))).get("subdefs", {})

    async def collections(self) -> list[m.Collection]:
        """`GET /api/v1/me/collections/`."""
        return await self._many(
            self._request("GET", "v1/me/collections/"), "collections", m.Collection
        )

    @checked
    async def update_account(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /api/v1/me/update-account/` (JSON profile fields)."""
        request = self._request("POST", "v1/me/update-account/", json=_mapping(fields))
        return await self._payload(request)

    # The fact sheet records these routes as JSON but not their schemas, so the document is the
    # caller's; the server answers a schema miss with 400 and undecodable JSON with 422.

    @checked
    async def update_password(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /api/v1/me/update-password/` with the JSON document the server's schema asks."""
        return await self._payload(
            self._request("POST", "v1/me/update-password/", json=_mapping(body))
        )

    @checked
    async def request_collections(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /api/v1/me/request-collections/` (JSON): ask for access to collections."""
        request = self._request("POST", "v1/me/request-collections/", json=_mapping(body))
        return await self._payload(request)

    async def delete_account(self) -> dict[str, Any]:
        """`DELETE /api/v1/me/`: delete the user's own account (irreversible)."""
        return await self._payload(self._request("DELETE", "v1/me/"))
