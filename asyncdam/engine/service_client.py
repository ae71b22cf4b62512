"""`ServiceClient`: an engine bound to one dialect, the object adapters call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, TypeVar

from asyncdam.engine.dialect import BaseDialect
from asyncdam.engine.pagination import ListingMonitor, Paginator
from asyncdam.engine.request import Request, Response
from asyncdam.engine.streaming import StreamedResponse

if TYPE_CHECKING:  # the engine imports this module: only its type is needed here
    from asyncdam.engine.session import Engine

T = TypeVar("T")

__all__ = ["ServiceClient"]


class ServiceClient:
    """An engine bound to one dialect: what adapters call."""

    def __init__(self, engine: Engine, dialect: BaseDialect) -> None:
        self.engine = engine
        self.dialect = dialect

    async def send(self, request: Request) -> Response:
        """Send one request (limited, revalidated, retried); raises typed errors."""
        return await self.engine.send(self.dialect, request)

    def stream(self, request: Request) -> AbstractAsyncContextManager[StreamedResponse]:
        """An async context manager yielding a `StreamedResponse` for binary downloads."""
        return self.engine.stream(self.dialect, request)

    def paginate(
        self,
        request: Request,
        strategy: Any,
        decode: Callable[[Response], Sequence[T]],
        *,
        fetch_ahead: int | None = None,
        cursor: dict[str, Any] | None = None,
        **guard: Any,
    ) -> Paginator[T]:
        """A `Paginator` over a listing; fetch-ahead defaults to the dialect's concurrency cap.

        `guard` takes the consistency options of `Paginator` (`identify`, `consistency`,
        `reconcile`, `reconcile_passes`); drift is counted in this engine's stats and hooks.
        """
        ahead = self.dialect.concurrency if fetch_ahead is None else fetch_ahead
        fetch: Callable[[Request], Awaitable[Response]] = self.send
        monitor = ListingMonitor(
            self.engine.stats, self.engine.hooks, request.method, request.rendered_path()
        )
        return Paginator(
            fetch,
            request,
            strategy,
            decode,
            fetch_ahead=ahead,
            cursor=cursor,
            monitor=monitor,
            **guard,
        )
