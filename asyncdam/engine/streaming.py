"""A response whose body is read chunk by chunk, within its byte limit and the call's deadline;
and the one credential-free GET the engine offers (signed download links)."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx

from asyncdam.engine.body import iter_limited, split_chunk
from asyncdam.engine.clock import Clock
from asyncdam.engine.deadline import CallBudget
from asyncdam.engine.errors import InvalidRequestError, TimeoutError, UnexpectedRedirect
from asyncdam.engine.events import EngineStats
from asyncdam.engine.limits import Limits
from asyncdam.engine.redact import redact_url
from asyncdam.engine.redirects import REDIRECT_STATUSES
from asyncdam.engine.wire import RECEIVE_ERRORS, transport_error

__all__ = ["StreamedResponse", "open_external"]


class StreamedResponse:
    """A response whose body is read in chunks, never decoded as text.

    `aiter_bytes()` (for writing to a file) stops past `max_download_bytes`, `read()` (the body in
    memory) past `max_response_bytes`; both with `ResponseTooLarge`, counted after decompression.
    The call's deadline, when it has one, also bounds the body.
    """

    def __init__(
        self,
        raw: httpx.Response,
        url: str,
        stats: EngineStats,
        *,
        download_limit: int | None = None,
        memory_limit: int | None = None,
        budget: CallBudget | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Made by `Engine.stream` only."""
        self._raw = raw
        self.url = url
        self._stats = stats
        self._download_limit = download_limit
        self._memory_limit = memory_limit
        self._budget = budget
        self._clock = clock

    @property
    def status(self) -> int:
        """The HTTP status."""
        return self._raw.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The response headers."""
        return self._raw.headers

    def aiter_bytes(self, chunk_size: int = 65536) -> AsyncIterator[bytes]:
        """The decoded body chunk by chunk (at most `chunk_size` bytes each), for files."""
        return self._iter(chunk_size, self._download_limit, "max_download_bytes")

    async def read(self) -> bytes:
        """The whole body in memory (bounded by `max_response_bytes`)."""
        parts = [
            chunk async for chunk in self._iter(1 << 30, self._memory_limit, "max_response_bytes")
        ]
        return b"".join(parts)

    async def _iter(self, chunk_size: int, limit: int | None, setting: str) -> AsyncIterator[bytes]:
        method = self._raw.request.method
        source = iter_limited(self._raw, limit=limit, setting=setting, url=self.url)
        try:
            while True:
                left = self._remaining()
                with anyio.move_on_after(left) as scope:
                    try:
                        piece = await source.__anext__()
                    except StopAsyncIteration:
                        return
                if scope.cancelled_caught:
                    assert self._budget is not None
                    raise TimeoutError(
                        f"{self._budget.describe()} passed while reading the body",
                        limit="deadline",
                        method=method,
                        url=self.url,
                    )
                self._stats.bytes_received += len(piece)
                for part in split_chunk(piece, chunk_size):
                    yield part
        except RECEIVE_ERRORS as exc:
            raise transport_error(exc, method=method, url=self.url, attempts=1) from None
        finally:
            await source.aclose()

    def _remaining(self) -> float | None:
        if self._budget is None or self._budget.deadline is None or self._clock is None:
            return None
        return self._budget.remaining(self._clock.monotonic())


@asynccontextmanager
async def open_external(
    http: httpx.AsyncClient,
    url: str,
    *,
    limits: Limits,
    stats: EngineStats,
    clock: Clock,
) -> AsyncIterator[StreamedResponse]:
    """GET an absolute https URL with no credential at all (a signed download link on a CDN).

    Redirects may cross origins (nothing secret travels) but stay on https and within
    `max_redirects`; the body is bounded like any stream and the call by the engine's deadline.
    Any status is handed back: the caller decides what a 4xx means for its link.
    """
    budget = CallBudget.start(
        clock.monotonic(), deadline=limits.deadline, attempt_timeout=limits.attempt_timeout
    )
    target = httpx.URL(url)
    for hop in range(limits.max_redirects + 1):
        shown = redact_url(str(target))
        if target.scheme != "https":
            raise InvalidRequestError(f"refusing to fetch {shown} over plain http")
        step = budget.for_attempt(clock.monotonic())
        try:
            with anyio.fail_after(step.seconds if step.bounded else None):
                raw = await http.send(http.build_request("GET", target), stream=True)
        except builtins.TimeoutError:
            raise TimeoutError(
                f"no answer within {step.limit}", limit=step.limit, method="GET", url=shown
            ) from None
        except RECEIVE_ERRORS as exc:
            raise transport_error(exc, method="GET", url=shown, attempts=1) from None
        stats.requests += 1
        stats.count_status(raw.status_code)
        try:
            if raw.status_code not in REDIRECT_STATUSES:
                yield StreamedResponse(
                    raw,
                    shown,
                    stats,
                    download_limit=limits.max_download_bytes,
                    memory_limit=limits.max_response_bytes,
                    budget=budget,
                    clock=clock,
                )
                return
            location = raw.headers.get("location")
        finally:
            with anyio.CancelScope(shield=True):
                await raw.aclose()
        if not location or hop == limits.max_redirects:
            raise UnexpectedRedirect(
                "unexpected redirect: no Location or more than max_redirects hops",
                location=location,
                status=raw.status_code,
                method="GET",
                url=shown,
            )
        stats.redirects_followed += 1
        target = target.join(location)
