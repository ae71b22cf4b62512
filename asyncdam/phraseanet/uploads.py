"""`pn.uploads`: the upload queue (`POST /api/v1/upload/enqueue/`, JSON) and subdef downloads."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import anyio

from asyncdam.engine.errors import InvalidRequestError
from asyncdam.engine.request import Request
from asyncdam.engine.session import StreamedResponse
from asyncdam.phraseanet import models as m
from asyncdam.phraseanet.params import checked
from asyncdam.phraseanet.resource import ResourceGroup

__all__ = ["Downloads", "Uploads"]

Target = m.Subdef | m.Permalink | str


class Uploads(ResourceGroup):
    """The asynchronous upload queue."""

    @checked
    async def enqueue(self, body: Mapping[str, Any]) -> Any:
        """`POST /api/v1/upload/enqueue/` (JSON, schema errors answer 422): returns `data`."""
        if not isinstance(body, Mapping):
            raise InvalidRequestError("body must be a mapping")
        request = self._request("POST", "v1/upload/enqueue/", json=dict(body))
        return (await self._payload(request)).get("data")


class Downloads(ResourceGroup):
    """Subdef files by permalink (or signed `/medias/` URL) as bytes, a file or a byte stream.

    The URL carries its own token, so the OAuth header is not sent with it; it must be on the
    API's origin (the engine refuses to send elsewhere).
    """

    def _url(self, target: object, download: bool) -> str:
        if isinstance(target, str):
            return self.absolute_url(target)
        if isinstance(target, m.Subdef):
            link = target.permalink
            if link is not None and link.is_activated and (link.download_url or link.url):
                chosen = link.download_url if download else link.url
                return str(chosen or link.url or link.download_url)
            if target.url:
                return target.url
            raise InvalidRequestError(f"subdef {target.name!r} has no URL (no right, or none)")
        if isinstance(target, m.Permalink):
            chosen = target.download_url if download else target.url
            if not chosen:
                raise InvalidRequestError("permalink has no URL")
            return chosen
        raise InvalidRequestError("target must be a Subdef, a Permalink or a URL string")

    @asynccontextmanager
    async def stream(
        self, target: Target, *, download: bool = False
    ) -> AsyncIterator[StreamedResponse]:
        """`async with pn.downloads.stream(subdef) as r: async for chunk in r.aiter_bytes()`."""
        url = self._url(target, download)
        request = Request(method="GET", url=url, authenticated=False, cacheable=False)
        async with self._client.stream(request) as response:
            yield response

    async def iter_bytes(
        self, target: Target, *, chunk_size: int = 65536, download: bool = False
    ) -> AsyncIterator[bytes]:
        """The file as an async iterator of byte chunks."""
        async with self.stream(target, download=download) as response:
            async for chunk in response.aiter_bytes(chunk_size):
                yield chunk

    async def read(self, target: Target) -> bytes:
        """The whole file in memory."""
        async with self.stream(target) as response:
            return await response.read()

    async def save(self, target: Target, path: str | os.PathLike[str]) -> int:
        """Write the file to `path` (via a temporary name, renamed when complete); bytes written."""
        final = anyio.Path(path)
        partial = final.with_name(final.name + ".part")
        written = 0
        try:
            async with self.stream(target, download=True) as response:
                async with await anyio.open_file(partial, "wb") as out:
                    async for chunk in response.aiter_bytes():
                        await out.write(chunk)
                        written += len(chunk)
            await partial.rename(final)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await partial.unlink(missing_ok=True)
            raise
        return written
