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
        """Queue an asynchronous upload: `POST /api/v1/upload/enqueue/` (JSON).

        Returns the reply's `data` (schema errors answer 422). Required: `body`, a mapping. A POST:
        not retried once sent, so it never runs twice.
        """
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
        """A subdef's file as a stream: `GET` on its permalink (or signed `/medias/` URL).

        Use as `async with pn.downloads.stream(subdef) as r:` then `async for chunk in
        r.aiter_bytes()`. The URL carries its own token, so no OAuth header is sent; it must be on
        the API's origin. Required: `target` (a `Subdef`, a `Permalink` or a URL). A GET: retried
        after transport errors and retryable statuses until the body starts, never in the middle of
        it.
        """
        url = self._url(target, download)
        request = Request(method="GET", url=url, authenticated=False, cacheable=False)
        async with self._client.stream(request) as response:
            yield response

    async def iter_bytes(
        self, target: Target, *, chunk_size: int = 65536, download: bool = False
    ) -> AsyncIterator[bytes]:
        """A subdef's file as an async iterator of byte chunks (`GET` on its permalink).

        Yields `bytes` of up to `chunk_size`. Required: `target`. Retried as for `stream`, never in
        the middle of the body.
        """
        async with self.stream(target, download=download) as response:
            async for chunk in response.aiter_bytes(chunk_size):
                yield chunk

    async def read(self, target: Target) -> bytes:
        """A subdef's whole file in memory (`GET` on its permalink).

        Returns `bytes`; for big files use `save` or `iter_bytes`. Required: `target`. Retried as
        for `stream`.
        """
        async with self.stream(target) as response:
            return await response.read()

    async def save(self, target: Target, path: str | os.PathLike[str]) -> int:
        """Write a subdef's file to `path` (`GET` on its download URL).

        Returns the number of bytes written. The bytes go to `path` + `.part`, renamed only when
        complete, so a failure leaves no partial file. Required: `target`, `path`. Retried as for
        `stream`.
        """
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
