"""Bulk writes: any number of items, split into batches of the advised maximum, sent concurrently.

The server answers each batch in input order with the written object or an error object, even
under a 200, and names skipped keys in `X-Ignored-Fields`. Every input item gets a `BulkItem`:
succeeded, failed (with the server's status and message), or failed because its whole batch
did. Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import anyio
import attrs

from asyncdam.engine.errors import APIStatusError, AsyncDamError, InvalidRequestError
from asyncdam.engine.request import Response

T = TypeVar("T")

ADVISED_BATCH = 100  # vendor advice: <= 100 objects per write, 200 as the ceiling
MAX_BATCH = 200


@attrs.frozen
class ItemError:
    """Why one item failed: the server's status and message, or the batch's exception."""

    status: int | None
    message: str
    exception: AsyncDamError | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class BulkItem(Generic[T]):
    """The outcome for the input item at `index`."""

    index: int
    value: T | None = None
    error: ItemError | None = None
    ignored_fields: tuple[str, ...] = ()
    raw: Any = attrs.field(default=None, eq=False, repr=False)

    @property
    def ok(self) -> bool:
        """Whether the server wrote this item."""
        return self.error is None


@attrs.frozen
class BulkResult(Generic[T]):
    """Outcomes of a bulk write, one per input item, in input order."""

    items: tuple[BulkItem[T], ...]

    @property
    def succeeded(self) -> list[BulkItem[T]]:
        """Items the server wrote."""
        return [i for i in self.items if i.ok]

    @property
    def failed(self) -> list[BulkItem[T]]:
        """Items that were not written, with the reason."""
        return [i for i in self.items if not i.ok]

    @property
    def ok(self) -> bool:
        """Whether every item was written."""
        return all(i.ok for i in self.items)

    @property
    def ignored_fields(self) -> tuple[str, ...]:
        """Every field name the server reported as not applied, in first-seen order."""
        seen: dict[str, None] = {}
        for item in self.items:
            seen.update(dict.fromkeys(item.ignored_fields))
        return tuple(seen)

    def __len__(self) -> int:
        return len(self.items)


def check_batch_size(batch_size: int) -> None:
    """Refuse batch sizes outside 1..200 (the vendor's stated ceiling)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size:
        raise InvalidRequestError("batch_size must be a positive integer")
    if batch_size > MAX_BATCH:
        raise InvalidRequestError(f"batch_size may be at most {MAX_BATCH} (vendor ceiling)")


def error_entry(entry: Any) -> ItemError | None:
    """An `{"error_message", "http_status_code"}` entry as an `ItemError`; None for objects."""
    if isinstance(entry, dict) and "error_message" in entry and "http_status_code" in entry:
        try:
            status: int | None = int(str(entry["http_status_code"]).strip())
        except ValueError:
            status = None
        return ItemError(status, str(entry["error_message"]))
    return None


BatchSender = Callable[[Sequence[Any]], Awaitable[Response]]
BatchReader = Callable[[Sequence[Any], Response, int], list[BulkItem[T]]]
GroupSender = Callable[[list[int]], Awaitable[Response]]
GroupReader = Callable[[list[int], Response], list[BulkItem[T]]]


async def run_groups(
    groups: Sequence[list[int]],
    send: GroupSender,
    read: GroupReader[T],
    *,
    concurrency: int,
) -> BulkResult[T]:
    """Send pre-formed groups of input indexes, at most `concurrency` at once; every index reported.

    `read(indexes, response)` returns one `BulkItem` per index (absolute positions). A group whose
    request fails reports that failure on each of its items.
    """
    results: list[BulkItem[T]] = []
    limiter = anyio.CapacityLimiter(max(1, concurrency))

    def fail_all(indexes: list[int], error: ItemError) -> None:
        results.extend(BulkItem(i, error=error) for i in indexes)

    async def one(indexes: list[int]) -> None:
        async with limiter:
            try:
                response = await send(indexes)
            except AsyncDamError as exc:
                status = exc.status if isinstance(exc, APIStatusError) else None
                fail_all(indexes, ItemError(status, f"batch failed: {exc}", exc))
                return
        try:
            items = read(indexes, response)
        except AsyncDamError as exc:
            # The batch was sent and may have been applied; say so rather than guess per item.
            fail_all(indexes, ItemError(response.status, f"outcome unknown: {exc}", exc))
            return
        results.extend(items)

    async with anyio.create_task_group() as tg:
        for group in groups:
            tg.start_soon(one, group)
    results.sort(key=lambda item: item.index)
    return BulkResult(tuple(results))


async def run_batches(
    bodies: Sequence[Any],
    send: BatchSender,
    read: BatchReader[T],
    *,
    batch_size: int,
    concurrency: int,
) -> BulkResult[T]:
    """Send `bodies` in consecutive batches; `read(batch, response, first_index)` reads one."""
    check_batch_size(batch_size)
    groups = [
        list(range(start, min(start + batch_size, len(bodies))))
        for start in range(0, len(bodies), batch_size)
    ]

    async def send_group(indexes: list[int]) -> Response:
        return await send([bodies[i] for i in indexes])

    def read_group(indexes: list[int], response: Response) -> list[BulkItem[T]]:
        return read([bodies[i] for i in indexes], response, indexes[0])

    return await run_groups(groups, send_group, read_group, concurrency=concurrency)
