"""A response whose body is read chunk by chunk, within its byte limit and the call's deadline;
and the one credential-free GET the engine offers (signed download links)."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx

from asyncdam._version import __version__
from asyncdam.engine.body import ACCEPT_ENCODING, iter_limited, split_chunk
from asyncdam.engine.checks import check_int
from asyncdam.engine.clock import Clock
from asyncdam.engine.deadline import CallBudget
from asyncdam.engine.errors import InvalidRequestError, TimeoutError, UnexpectedRedirect
from asyncdam.engine.events import EngineStats, Event, Hooks
from asyncdam.engine.limits import Limits
from asyncdam.engine.redirects import decide_redirect
from asyncdam.engine.wire import RECEIVE_ERRORS, transport_error

__all__ = ["StreamedResponse", "link_request", "open_external", "shown_link"]


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
        """Made by the engine only (`Engine.stream`, `open_external`)."""
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
        check_int("chunk_size", chunk_size)
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


def shown_link(url: httpx.URL | str) -> str:
    """A signed link as it may appear in logs and errors: its query (the signature, a bearer
    credential until it expires) and any userinfo are masked."""
    try:
        parsed = httpx.URL(str(url))
    except (httpx.InvalidURL, ValueError):
        return "<unparseable url>"
    shown = parsed.copy_with(query=None, fragment=None, userinfo=b"")
    return f"{shown}?***" if parsed.query else str(shown)


def link_request(http: httpx.AsyncClient, target: httpx.URL) -> httpx.Request:
    """The one request of a credential-free fetch: built directly (never `client.build_request`,
    which would add the pool's cookie jar), carrying no header that could identify the caller."""
    return httpx.Request(
        "GET",
        target,
        headers={
            "Accept": "*/*",
            "Accept-Encoding": ACCEPT_ENCODING,
            "User-Agent": f"asyncdam/{__version__}",
        },
        extensions={"timeout": http.timeout.as_dict()},
    )


def _checked_link(url: str) -> httpx.URL:
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise InvalidRequestError("a download link must be an absolute https URL") from None
    shown = shown_link(target)
    if target.scheme != "https" or not target.host:
        raise InvalidRequestError(f"refusing to fetch {shown}: not an absolute https URL")
    if target.userinfo:
        raise InvalidRequestError(f"refusing to fetch {shown}: it carries userinfo (a credential)")
    return target


@asynccontextmanager
async def open_external(
    http: httpx.AsyncClient,
    url: str,
    *,
    limits: Limits,
    stats: EngineStats,
    clock: Clock,
    hooks: Hooks | None = None,
) -> AsyncIterator[StreamedResponse]:
    """GET an absolute https URL with no credential at all (a signed download link on a CDN or
    a storage host), through the engine's pool (its proxy, `trust_env` and TLS settings).

    Nothing identifying is sent: no auth, no cookie, no header of an API's dialect, on the first
    request or any hop. Redirects follow `decide_redirect(cross_origin=True)`: 301/302/303/307/308
    to any https origin (S3 answers 307 to a regional endpoint), never to http or to a URL with
    userinfo, at most `max_redirects` hops, each counted in `stats.redirects_followed` and sent to
    the `redirect` hook; anything else is `UnexpectedRedirect`. Not throttled by the limiter (the
    host is no API) and not retried. The body is bounded like any stream and the whole call by the
    engine's `deadline`; each request by `attempt_timeout`. A 1xx/2xx/4xx/5xx is handed back: the
    caller decides what a 4xx means for its link. Errors show the link with its query masked.
    """
    budget = CallBudget.start(
        clock.monotonic(), deadline=limits.deadline, attempt_timeout=limits.attempt_timeout
    )
    target = _checked_link(url)
    hops = 0
    while True:
        shown = shown_link(target)
        step = budget.for_attempt(clock.monotonic())
        if step.exhausted:
            raise TimeoutError(
                f"{budget.describe()} passed before sending",
                limit="deadline",
                method="GET",
                url=shown,
            )
        try:
            with anyio.fail_after(step.seconds if step.bounded else None):
                raw = await http.send(link_request(http, target), auth=None, stream=True)
        except builtins.TimeoutError:
            raise TimeoutError(
                f"no answer within {step.limit}", limit=step.limit, method="GET", url=shown
            ) from None
        except RECEIVE_ERRORS as exc:
            stats.transport_errors += 1
            raise transport_error(exc, method="GET", url=shown, attempts=1) from None
        stats.requests += 1
        stats.count_status(raw.status_code)
        try:
            if not 300 <= raw.status_code < 400:
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
            decision = decide_redirect(
                method="GET",
                status=raw.status_code,
                current=target,
                location=raw.headers.get("location"),
                hops=hops,
                max_hops=limits.max_redirects,
                cross_origin=True,
            )
        finally:
            with anyio.CancelScope(shield=True):
                await raw.aclose()
        location = shown_link(decision.location) if decision.location else None
        if not decision.follow or decision.target is None:
            raise UnexpectedRedirect(
                f"unexpected redirect of a download link: {decision.reason}",
                location=location,
                status=raw.status_code,
                method="GET",
                url=shown,
            )
        stats.redirects_followed += 1
        hops += 1
        if hooks is not None and hooks.redirect:
            await hooks.emit(
                Event(
                    kind="redirect",
                    method="GET",
                    url=shown,
                    status=raw.status_code,
                    reason=decision.reason,
                    detail={"location": location, "hop": hops, "external": True},
                )
            )
        target = decision.target
