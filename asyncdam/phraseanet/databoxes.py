"""`pn.databoxes` and `pn.collections`: structures (collections, status bits, fields, terms)."""

from __future__ import annotations

import builtins
from typing import Any

from asyncdam.phraseanet import models as m
from asyncdam.phraseanet.params import checked, req_id
from asyncdam.phraseanet.resource import ResourceGroup

__all__ = ["Databoxes"]

D = "v1/databoxes/{databox_id}/"


def _d(databox_id: object) -> dict[str, int]:
    return {"databox_id": req_id(databox_id, "databox_id")}


class Databoxes(ResourceGroup):
    """Databoxes; collections/structures are id-keyed objects on current servers, lists on old."""

    async def list(self) -> builtins.list[m.Databox]:
        """Every mounted databox: `GET /api/v1/databoxes/list/`.

        Returns `list[Databox]`. No parameter is required. One request, no paging. A GET: retried
        after transport errors and retryable statuses (429, most 5xx).
        """
        return await self._many(self._request("GET", "v1/databoxes/list/"), "databoxes", m.Databox)

    @checked
    async def collections(self, databox_id: int) -> builtins.list[m.Collection]:
        """A databox's collections: `GET /api/v1/databoxes/{databox_id}/collections/`.

        Returns `list[Collection]` (current servers send an id-keyed object, old ones a list: both
        read). Required: `databox_id`. One request, no paging. A GET: retried after transport errors
        and retryable statuses (429, most 5xx).
        """
        request = self._request("GET", D + "collections/", _d(databox_id))
        return await self._many(request, "collections", m.Collection)

    @checked
    async def status(self, databox_id: int) -> builtins.list[m.StatusBitDefinition]:
        """The status bits a databox defines: `GET /api/v1/databoxes/{databox_id}/status/`.

        Returns `list[StatusBitDefinition]`; needs the structure right. Required: `databox_id`. One
        request, no paging. A GET: retried after transport errors and retryable statuses (429, most
        5xx).
        """
        request = self._request("GET", D + "status/", _d(databox_id))
        return await self._many(request, "status", m.StatusBitDefinition)

    @checked
    async def metadatas(self, databox_id: int) -> builtins.list[m.MetadataField]:
        """A databox's document structure: `GET /api/v1/databoxes/{databox_id}/metadatas/`.

        Returns `list[MetadataField]`; needs the structure right. Required: `databox_id`. One
        request, no paging. A GET: retried after transport errors and retryable statuses (429, most
        5xx).
        """
        request = self._request("GET", D + "metadatas/", _d(databox_id))
        return await self._many(request, "document_metadatas", m.MetadataField)

    @checked
    async def terms_of_use(self, databox_id: int) -> builtins.list[m.TermsOfUse]:
        """A databox's terms of use per locale: `GET /api/v1/databoxes/{databox_id}/termsOfUse/`.

        Returns `list[TermsOfUse]`. Required: `databox_id`. One request, no paging. A GET: retried
        after transport errors and retryable statuses (429, most 5xx).
        """
        request = self._request("GET", D + "termsOfUse/", _d(databox_id))
        return await self._many(request, "termsOfUse", m.TermsOfUse)

    @checked
    async def subdefs_v3(self, databox_id: int | None = None) -> dict[str, Any]:
        """Subdef definitions: v3 `GET /api/v3/databoxes/subdefs/`, or
        `.../databoxes/{databox_id}/subdefs/` for one.

        Returns a dict keyed by databox id (an old list shape is re-keyed). No parameter is
        required. One request, no paging. A GET: retried after transport errors and retryable
        statuses (429, most 5xx).
        """
        if databox_id is None:
            request = self._request("GET", "v3/databoxes/subdefs/")
        else:
            request = self._request("GET", "v3/databoxes/{databox_id}/subdefs/", _d(databox_id))
        value = (await self._payload(request)).get("databoxes", {})
        if isinstance(value, list):
            # Older shape or PHP's empty array: re-key by databox_id.
            return {str(v.get("databox_id")): v for v in value if isinstance(v, dict)}
        return dict(value) if isinstance(value, dict) else {}


class Collections(ResourceGroup):
    """Collections by global `base_id`."""

    @checked
    async def get(self, base_id: int) -> m.Collection:
        """One collection by its global id: `GET /api/v1/collections/{base_id}/`.

        Returns `Collection`. Required: `base_id`. One request, no paging. A GET: retried after
        transport errors and retryable statuses (429, most 5xx).
        """
        request = self._request(
            "GET", "v1/collections/{base_id}/", {"base_id": req_id(base_id, "base_id")}
        )
        return await self._one(request, "collection", m.Collection)
