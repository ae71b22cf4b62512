"""`pn.me`: the current user, what they can reach, and their account (JSON routes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from asyncdam.engine.errors import InvalidRequestError
from asyncdam.phraseanet import models as m
from asyncdam.phraseanet.converter import structure
from asyncdam.phraseanet.params import checked, id_list, req_str
from asyncdam.phraseanet.resource import ResourceGroup

__all__ = ["Me"]


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
        if not isinstance(fields, Mapping) or not fields:
            raise InvalidRequestError("fields must be a non-empty mapping")
        request = self._request("POST", "v1/me/update-account/", json=dict(fields))
        return await self._payload(request)

    @checked
    async def update_password(self, old_password: str, new_password: str) -> dict[str, Any]:
        """`POST /api/v1/me/update-password/` (JSON)."""
        body = {
            "oldPassword": req_str(old_password, "old_password"),
            "password": req_str(new_password, "new_password"),
        }
        return await self._payload(self._request("POST", "v1/me/update-password/", json=body))

    @checked
    async def request_collections(self, base_ids: Sequence[int]) -> dict[str, Any]:
        """`POST /api/v1/me/request-collections/` (JSON): ask for access to collections."""
        ids = id_list(base_ids, "base_ids") or []
        if not ids:
            raise InvalidRequestError("base_ids must not be empty")
        request = self._request("POST", "v1/me/request-collections/", json={"collections": ids})
        return await self._payload(request)

    async def delete_account(self) -> dict[str, Any]:
        """`DELETE /api/v1/me/`: delete the user's own account (irreversible)."""
        return await self._payload(self._request("DELETE", "v1/me/"))
