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
        """The authenticated user: `GET /api/v1/me/`.

        Returns `Me` (profile, reachable collections and databoxes). No parameter is required. One
        request, no paging. A GET: retried after transport errors and retryable statuses (429, most
        5xx).
        """
        body = await self._payload(self._request("GET", "v1/me/"))
        return structure(self._absolute(body), m.Me, what="me")

    async def structures(self) -> m.Structures:
        """The fields the user can see: `GET /api/v1/me/structures/`.

        Returns `Structures` (metadata, aggregable and technical fields). No parameter is required.
        One request, no paging. A GET: retried after transport errors and retryable statuses (429,
        most 5xx).
        """
        body = await self._payload(self._request("GET", "v1/me/structures/"))
        return structure(body, m.Structures, what="structures")

    async def subdefs(self) -> Any:
        """The subdef definitions the user can see: `GET /api/v1/me/subdefs/`.

        Returns the `subdefs` value as sent (`[]` when there are none). No parameter is required.
        One request, no paging. A GET: retried after transport errors and retryable statuses (429,
        most 5xx).
        """
        return (await self._payload(self._request("GET", "v1/me/subdefs/"))).get("subdefs", {})

    async def collections(self) -> list[m.Collection]:
        """The collections the user can reach: `GET /api/v1/me/collections/`.

        Returns `list[Collection]`. No parameter is required. One request, no paging. A GET: retried
        after transport errors and retryable statuses (429, most 5xx).
        """
        return await self._many(
            self._request("GET", "v1/me/collections/"), "collections", m.Collection
        )

    @checked
    async def update_account(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Change the user's profile fields: `POST /api/v1/me/update-account/` (JSON).

        Returns the unwrapped answer (plain JSON). Required: `fields`, a non-empty mapping. A POST:
        not retried once sent, so it never runs twice.
        """
        request = self._request("POST", "v1/me/update-account/", json=_mapping(fields))
        return await self._payload(request)

    # The fact sheet records these routes as JSON but not their schemas, so the document is the
    # caller's; the server answers a schema miss with 400 and undecodable JSON with 422.

    @checked
    async def update_password(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Change the user's password: `POST /api/v1/me/update-password/` (JSON).

        `body` is the document the server's schema asks for (a miss answers 400). Returns the
        unwrapped answer. Required: `body`, a non-empty mapping. A POST: not retried once sent, so
        it never runs twice.
        """
        return await self._payload(
            self._request("POST", "v1/me/update-password/", json=_mapping(body))
        )

    @checked
    async def request_collections(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Ask for access to collections: `POST /api/v1/me/request-collections/` (JSON).

        Returns the unwrapped answer (plain JSON). Required: `body`, a non-empty mapping. A POST:
        not retried once sent, so it never runs twice.
        """
        request = self._request("POST", "v1/me/request-collections/", json=_mapping(body))
        return await self._payload(request)

    async def delete_account(self) -> dict[str, Any]:
        """Delete the user's own account (irreversible): `DELETE /api/v1/me/`.

        Returns the unwrapped answer (plain JSON). No parameter is required. A DELETE, idempotent:
        retried after transport errors and retryable statuses.
        """
        return await self._payload(self._request("DELETE", "v1/me/"))
