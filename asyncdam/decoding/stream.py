"""A decoded page: its items, how many the server sent, and the invalid ones to report."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, TypeVar

from asyncdam.decoding.problems import InvalidItem, InvalidItemError, OnInvalid
from asyncdam.engine.events import EngineStats, Event, Hooks
from asyncdam.engine.redact import redact_url

if TYPE_CHECKING:
    from asyncdam.engine.request import Response
    from asyncdam.engine.session import Engine

__all__ = ["DecodedItems"]

T = TypeVar("T")
logger = logging.getLogger("asyncdam")
LOGGED_PER_PAGE = 3  # warnings per page; every item is still counted and sent to the hooks


class DecodedItems(list[T]):
    """The items of one page (a plain list to its readers) plus what decoding isolated.

    `source_count` is the number of items the server sent, so a paginator never mistakes a page
    with skipped items for a short last page. Invalid items are reported once, with the page
    index, by `finish_page` (the paginator calls it; direct callers do too).
    """

    def __init__(self, *, on_invalid: OnInvalid, source_count: int) -> None:
        super().__init__()
        self.on_invalid: OnInvalid = on_invalid
        self.source_count = source_count
        self.invalid: list[InvalidItem] = []
        # Whether the first / last item the server sent was set aside (kept after reporting):
        # a listing guard cannot check a page boundary through an item without identity.
        self.set_aside_edges = (False, False)
        self._stats: EngineStats | None = None
        self._hooks: Hooks | None = None
        self._method = ""
        self._url = ""

    def bind(
        self, *, stats: EngineStats | None, hooks: Hooks | None, method: str = "", url: str = ""
    ) -> DecodedItems[T]:
        """Say where to count and report invalid items (the engine's stats and hooks)."""
        self._stats = stats
        self._hooks = hooks
        self._method = method
        self._url = url  # redacted only if there is something to report (the common case: not)
        return self

    def bind_response(self, engine: Engine, response: Response) -> DecodedItems[T]:
        """`bind` to `engine`'s stats and hooks, naming the request `response` answers."""
        return self.bind(
            stats=engine.stats, hooks=engine.hooks, method=response.method, url=response.url
        )

    async def finish_page(self, page: int) -> None:
        """Count, log and emit `invalid_item` for each invalid item; raise under "raise"."""
        if not self.invalid:
            return
        url = redact_url(self._url) if self._url else ""
        for number, bad in enumerate(self.invalid):
            if self._stats is not None:
                self._stats.invalid_items += 1
            if number < LOGGED_PER_PAGE:
                logger.warning(
                    "asyncdam: invalid item (page %d, item %d, policy %s): %s",
                    page,
                    bad.index,
                    self.on_invalid,
                    bad.reason,
                )
            elif number == LOGGED_PER_PAGE:
                # A page of garbage must not flood the log: the counter and hooks see them all.
                logger.warning(
                    "asyncdam: %d more invalid items on page %d (policy %s)",
                    len(self.invalid) - LOGGED_PER_PAGE,
                    page,
                    self.on_invalid,
                )
            if self._hooks is not None:
                detail: dict[str, Any] = {
                    "page": page,
                    "index": bad.index,
                    "reason": bad.reason,
                    "policy": self.on_invalid,
                }
                await self._hooks.emit(
                    Event(
                        "invalid_item",
                        self._method,
                        url,
                        reason=bad.reason,
                        detail=detail,
                    )
                )
        if self.on_invalid == "raise":
            first = self.invalid[0]
            raise InvalidItemError(
                first.reason, page=page, index=first.index, method=self._method, url=url
            )
        self.invalid = []  # reported once, even if a caller finishes the page twice
