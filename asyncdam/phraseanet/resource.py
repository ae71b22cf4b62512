"""The base of every resource group: sending a request and unwrapping the envelope."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import httpx

from asyncdam.decoding import DEFAULT_ON_INVALID, DecodedItems, OnInvalid
from asyncdam.engine.errors import DecodeError
from asyncdam.engine.request import Files, Request, Response
from asyncdam.engine.session import ServiceClient
from asyncdam.phraseanet.converter import structure, structure_list
from asyncdam.phraseanet.envelope import field, payload, payload_dict

__all__ = ["EXTENDED", "ResourceGroup"]

T = TypeVar("T")

EXTENDED = "application/vnd.phraseanet.record-extended+json"
Pairs = Sequence[tuple[str, Any]]


class ResourceGroup:
    """Shared plumbing of `pn.records`, `pn.stories`, ...: one `ServiceClient`, one install root."""

    # What listings do with an item they cannot decode (set by `Phraseanet(on_invalid=...)`).
    _on_invalid: OnInvalid = DEFAULT_ON_INVALID

    def __init__(self, client: ServiceClient, root: httpx.URL) -> None:
        self._client = client
        self._root = root

    # -- requests ---------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, object] | None = None,
        *,
        query: Pairs | None = None,
        data: Pairs | None = None,
        json: Any = None,
        files: Files | None = None,
        extended: bool = False,
        idempotent: bool | None = None,
    ) -> Request:
        headers = {"Accept": EXTENDED} if extended else {}
        return Request(
            method=method,
            path=path,
            path_params=dict(params or {}),
            query=list(query or ()),
            data=list(data) if data is not None else ([] if files is not None else None),
            json=json,
            files=files,
            headers=headers,
            idempotent=idempotent,
            # The API sends no validators: revalidation would never hit.
            cacheable=False,
        )

    async def _send(self, request: Request) -> Response:
        return await self._client.send(request)

    async def _payload(self, request: Request) -> dict[str, Any]:
        return payload_dict(await self._send(request))

    async def _raw(self, request: Request) -> Any:
        return payload(await self._send(request))

    async def _one(self, request: Request, key: str, cls: type[T]) -> T:
        response = await self._send(request)
        return structure(self._absolute(field(response, key)), cls, what=f"response.{key}")

    async def _many(self, request: Request, key: str, cls: type[T]) -> list[T]:
        response = await self._send(request)
        items = self._items(field(response, key), cls, f"response.{key}", response)
        await items.finish_page(0)
        return items

    def _items(self, values: Any, cls: type[T], what: str, response: Response) -> DecodedItems[T]:
        """A list (or id-keyed object) of items, bad ones isolated by the client's policy and
        reported on its engine (a paginator reports them with the page index)."""
        items = structure_list(self._absolute(values), cls, what=what, on_invalid=self._on_invalid)
        return items.bind_response(self._client.engine, response)

    # -- URLs -------------------------------------------------------------------------------

    def absolute_url(self, url: str, version: str = "v1") -> str:
        """A server URL made absolute: `/api/...` against the install root, other relative
        paths (which omit the version prefix) against `/api/<version>/`."""
        if url.startswith(("http://", "https://")):
            return url
        if url.startswith("/api/"):
            return str(self._root.join(url.lstrip("/")))
        return str(self._root.join(f"api/{version}/" + url.lstrip("/")))

    def _absolute(self, value: Any) -> Any:
        """Resolve relative `url`/`feed_url` keys in nested payloads (permalinks are absolute)."""
        if isinstance(value, list):
            return [self._absolute(v) for v in value]
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k in ("url", "feed_url") and isinstance(v, str) and v.startswith("/"):
                    out[k] = self.absolute_url(v)
                else:
                    out[k] = self._absolute(v) if isinstance(v, dict | list) else v
            return out
        return value


def require_list(value: Any, what: str) -> list[Any]:
    """A JSON list (PHP `{}` meaning empty, or an id-keyed object, also accepted)."""
    if isinstance(value, dict):
        return list(value.values())
    if not isinstance(value, list):
        raise DecodeError(f"expected a list for {what}, got {type(value).__name__}")
    return value
