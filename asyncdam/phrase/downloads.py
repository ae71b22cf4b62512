"""The asynchronous locale export: create, poll with backoff, fetch the file; 410 is explicit."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import anyio
import httpx

from asyncdam.engine.errors import AsyncDamError, Gone, TimeoutError
from asyncdam.engine.request import Request
from asyncdam.engine.streaming import StreamedResponse, shown_link
from asyncdam.phrase import models
from asyncdam.phrase.polling import Backoff

if TYPE_CHECKING:
    from asyncdam.phrase.host import PhraseHost

__all__ = ["DownloadExpired", "DownloadFailed", "download_locale_async", "save_locale_async"]


class DownloadExpired(Gone):
    """The server forgot the async download (410 Gone): start a new one."""


class DownloadFailed(AsyncDamError):
    """The server reported the async download as failed."""


async def download_locale_async(
    phrase: PhraseHost,
    project_id: str,
    locale_id: str,
    *,
    file_format: str,
    backoff: Backoff | None = None,
    **options: Any,
) -> bytes:
    """Start an async export of one locale, wait for it to complete, return the file's bytes.

    The file is held in memory, so it is bounded by the engine's `max_response_bytes`; use
    `save_locale_async` to write a large export to disk instead.
    """
    url = await _result_url(phrase, project_id, locale_id, file_format, backoff, options)
    async with _open(phrase, url) as response:
        return await response.read()


async def save_locale_async(
    phrase: PhraseHost,
    project_id: str,
    locale_id: str,
    target: str | os.PathLike[str] | BinaryIO,
    *,
    file_format: str,
    backoff: Backoff | None = None,
    **options: Any,
) -> int:
    """Like `download_locale_async`, but write the file to `target` (a path or a binary file)
    chunk by chunk, bounded by `max_download_bytes`; returns the number of bytes written.

    A path appears only complete: the bytes go to a temporary `.part` file beside it, renamed over
    `target` on success and removed on any failure, cancellation included. File writes run in a
    worker thread, never on the event loop.
    """
    url = await _result_url(phrase, project_id, locale_id, file_format, backoff, options)
    async with _open(phrase, url) as response:
        if not isinstance(target, str | os.PathLike):
            return await _write_chunks(response, target)
        return await _save_atomically(response, Path(target))


async def _write_chunks(response: StreamedResponse, fh: BinaryIO) -> int:
    written = 0
    async for chunk in response.aiter_bytes():
        await anyio.to_thread.run_sync(fh.write, chunk)
        written += len(chunk)
    return written


async def _save_atomically(response: StreamedResponse, target: Path) -> int:
    fh, temp = await anyio.to_thread.run_sync(_open_beside, target)
    try:
        try:
            written = await _write_chunks(response, fh)
            await anyio.to_thread.run_sync(_flush_to_disk, fh)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(fh.close)
        await anyio.to_thread.run_sync(os.replace, temp, target)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_discard, temp)
        raise
    return written


def _open_beside(target: Path) -> tuple[BinaryIO, str]:
    """A new temporary file in the target's directory, so the final rename is atomic; created
    like `open(..., "wb")` would (the umask decides its mode), but never over an existing file."""
    temp = target.parent / f".{target.name}.{secrets.token_hex(8)}.part"
    return open(temp, "xb"), str(temp)


def _flush_to_disk(fh: BinaryIO) -> None:
    # Renamed before its bytes reach the disk, a crash could leave an empty file at `target`.
    fh.flush()
    os.fsync(fh.fileno())


def _discard(path: str) -> None:
    Path(path).unlink(missing_ok=True)


async def _result_url(
    phrase: PhraseHost,
    project_id: str,
    locale_id: str,
    file_format: str,
    backoff: Backoff | None,
    options: dict[str, Any],
) -> str:
    policy = backoff or Backoff(initial=1.0, maximum=5.0, timeout=1800.0)
    created = await phrase.locale_downloads.create(
        project_id, locale_id, file_format=file_format, **options
    )
    download = await _wait(phrase, project_id, locale_id, created, policy)
    url = download.result.url if download.result is not None else None
    if not url:
        raise DownloadFailed(f"download {download.id} completed without a result URL")
    return url


async def _wait(
    phrase: PhraseHost,
    project_id: str,
    locale_id: str,
    download: models.LocaleDownload,
    policy: Backoff,
) -> models.LocaleDownload:
    clock = phrase.engine.clock  # the engine's clock, so a fake clock drives polling in tests
    started = clock.monotonic()
    attempt = 0
    while download.status not in ("completed", "error"):
        if clock.monotonic() - started > policy.timeout:
            raise TimeoutError(f"async download {download.id} still {download.status!r}")
        await clock.sleep(policy.delay(attempt))
        attempt += 1
        if not download.id:
            raise DownloadFailed("the server returned a download without an id")
        try:
            download = await phrase.locale_downloads.show(project_id, locale_id, download.id)
        except Gone as exc:
            raise DownloadExpired(
                f"async download {download.id} expired; start a new one",
                status=exc.status,
                method=exc.method,
                url=exc.url,
                body=exc.body,
                headers=exc.headers,
                attempts=exc.attempts,
            ) from exc
    if download.status == "error":
        raise DownloadFailed(f"async download {download.id} failed: {download.error or 'unknown'}")
    return download


@asynccontextmanager
async def _open(phrase: PhraseHost, url: str) -> AsyncIterator[StreamedResponse]:
    """Same-origin result URLs go through the engine with credentials; others (signed links)
    through the engine's pool without any credential. Both are bounded by the engine's limits."""
    target = httpx.URL(url)
    base = phrase.dialect.base_url
    if (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port):
        async with phrase._client.stream(Request(method="GET", url=url)) as response:
            yield response
        return
    async with phrase.engine.stream_external(url) as response:
        if response.status == 410:
            raise DownloadExpired(
                "the download result URL has expired",
                status=410,
                method="GET",
                url=shown_link(url),  # the signature is a credential until it expires
            )
        if response.status >= 300:
            raise DownloadFailed(f"fetching the download result failed: {response.status}")
        yield response
