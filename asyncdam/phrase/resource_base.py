"""The base of every generated resource group: send, decode, page, stream."""

from __future__ import annotations

import operator
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import attrs

from asyncdam.decoding import DEFAULT_ON_INVALID, DecodedItems, OnInvalid
from asyncdam.engine.page_strategies import LinkHeaderStrategy
from asyncdam.engine.pagination import Paginator
from asyncdam.engine.request import Request, Response
from asyncdam.engine.session import ServiceClient
from asyncdam.phrase._runtime import Op, build_request, decode_many, decode_one

T = TypeVar("T")


class ResourceBase:
    """Holds the bound engine client; generated subclasses add one method per operation."""

    # What listings do with an item they cannot decode (set by `Phrase(on_invalid=...)`).
    _on_invalid: OnInvalid = DEFAULT_ON_INVALID

    def __init__(self, client: ServiceClient, otp: str | None = None) -> None:
        self._client = client
        self._otp = otp

    def _build(self, op: Op, args: dict[str, Any]) -> Request:
        return build_request(op, args, otp=self._otp)

    async def _send(self, op: Op, args: dict[str, Any]) -> Response:
        return await self._client.send(self._build(op, args))

    async def _one(self, op: Op, cls: type[T], /, **args: Any) -> T:
        return decode_one(await self._send(op, args), cls)

    async def _many(self, op: Op, cls: type[T], /, **args: Any) -> list[T]:
        response = await self._send(op, args)
        items = self._bound(decode_many(response, cls, self._on_invalid), response)
        await items.finish_page(0)
        return items

    def _bound(self, items: DecodedItems[T], response: Response) -> DecodedItems[T]:
        """Count and report the page's invalid items on this engine."""
        return items.bind_response(self._client.engine, response)

    async def _none(self, op: Op, /, **args: Any) -> None:
        await self._send(op, args)

    def _paginate(
        self,
        op: Op,
        cls: type[T],
        /,
        *,
        cursor: dict[str, Any] | None = None,
        consistency: str = "repair",
        **args: Any,
    ) -> Paginator[T]:
        """A guarded paginator over a paged operation (see `Paginator` for `consistency`)."""
        ordered = stable_order(op, args)
        request = self._build(op, ordered)
        on_invalid = self._on_invalid

        def decode(response: Response) -> list[T]:
            return self._bound(decode_many(response, cls, on_invalid), response)

        location: Any = "json" if op.paged == "body" else "query"
        strategy = LinkHeaderStrategy(per_page=100, max_per_page=100, location=location)
        # Only models with an id can be deduplicated and checked.
        guarded = attrs.has(cls) and "id" in attrs.fields_dict(cls)
        return self._client.paginate(
            request,
            strategy,
            decode,
            cursor=cursor,
            # Items are all models unless bad ones are yielded raw: then read ids leniently.
            identify=_item_id if on_invalid == "raw" else _model_id,
            consistency=consistency if guarded else "off",
            stable_order=ordered is not args,
            created=_item_created if ordered is not args else None,
        )

    async def _bytes(self, op: Op, /, **args: Any) -> bytes:
        # A whole-body send (not a stream) so the ETag cache applies: unchanged files are free.
        return (await self._send(op, args)).content

    @asynccontextmanager
    async def _stream(self, op: Op, /, **args: Any) -> AsyncIterator[Any]:
        request = self._build(op, args)
        async with self._client.stream(request) as response:
            yield response

    async def _download_to(self, op: Op, dest: str | os.PathLike[str], /, **args: Any) -> Path:
        target = Path(dest)
        fd, tmp = _temp_beside(target)
        try:
            with os.fdopen(fd, "wb") as fh:
                async with self._stream(op, **args) as response:
                    async for chunk in response.aiter_bytes():
                        fh.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            _discard(tmp)
            raise
        return target


# Lists whose order can be made stable, new items last: a full listing asks for it by default.
# Every order here is by `created_at`, which `_item_created` reads for the early anchor proof.
STABLE_ORDERS: dict[str, dict[str, str]] = {
    "keys/list": {"sort": "created_at", "order": "asc"},
}


def stable_order(op: Op, args: dict[str, Any]) -> dict[str, Any]:
    """`args` with the creation order added when the caller chose no order of their own."""
    order = STABLE_ORDERS.get(op.op_id)
    names = {p.name for p in op.params}
    if order is None or not set(order) <= names or any(args.get(k) is not None for k in order):
        return args
    return {**args, **order}


def _item_id(item: Any) -> object:
    return getattr(item, "id", None)


# The id of a model that has one, at C speed (the guard reads every item's id once).
_model_id = operator.attrgetter("id")


def _item_created(item: Any) -> object:
    return getattr(item, "created_at", None)


def _temp_beside(target: Path) -> tuple[int, str]:
    """A temporary file in the target's directory, so the final rename is atomic."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")


def _discard(path: str) -> None:
    Path(path).unlink(missing_ok=True)
