"""Resource groups: one per noun (`oa.keywords`), with list/count/get and the writes it allows."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from asyncdam.engine.errors import AsyncDamError, DecodeError, InvalidRequestError
from asyncdam.engine.page_strategies import OffsetLimitStrategy
from asyncdam.engine.pagination import ListingMonitor, Paginator
from asyncdam.engine.request import Request, Response
from asyncdam.openasset.bulk import (
    ADVISED_BATCH,
    BulkItem,
    BulkResult,
    ItemError,
    error_entry,
    run_batches,
)
from asyncdam.openasset.context import LONG_QUERY, Context, decode_list, decode_one, json_of
from asyncdam.openasset.converter import structure
from asyncdam.openasset.models import Model
from asyncdam.openasset.nouns import NounSpec
from asyncdam.openasset.query import Expansion, OrderKey, Query
from asyncdam.openasset.writes import WriteData, encode_body, ignored_fields

logger = logging.getLogger("asyncdam.openasset")
M = TypeVar("M", bound=Model)


class IgnoredFieldsError(AsyncDamError):
    """A write succeeded but the server skipped some fields (raised only with `strict=True`)."""

    def __init__(self, fields: Sequence[str], value: Any) -> None:
        self.fields = tuple(fields)
        self.value = value
        super().__init__(f"the server did not apply these fields: {', '.join(self.fields)}")


def check_id(value: Any, what: str = "id") -> int:
    """A positive integer id (numeric strings accepted); refuses anything else before sending."""
    # isdigit() alone admits "²" and other Unicode digits that int() rejects with ValueError.
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequestError(f"{what} must be a non-negative integer, got {value!r}")
    return value


def listing(
    ctx: Context,
    path: str,
    path_params: Mapping[str, object],
    params: list[tuple[str, str]],
    model: type[Any],
    *,
    features: Sequence[str] = (),
    page_size: int,
    fetch_ahead: int | None,
    cursor: dict[str, Any] | None,
    stable_order: bool = True,
    consistency: str = "repair",
) -> Paginator[Any]:
    """A paginator over offset/limit pages counted by `X-Full-Results-Count`.

    Guarded by id (see `Paginator`): pages overlap by one row, and the id tiebreak keeps the
    order total, so every row that exists for the whole listing comes out once.

    Queries too long for a URL are sent as `POST` + `X-HTTP-Method-Override: GET` with a form body
    (servers 9.0.0 and newer); the version check runs before the first page is requested.
    """
    if stable_order:
        params = _with_tiebreak(params)
    has_limit = any(k == "limit" for k, _ in params)
    long_query = len(urlencode(params)) > LONG_QUERY
    if long_query:
        request = Request(
            method="POST",
            path=path,
            path_params=path_params,
            data=params,
            headers={"X-HTTP-Method-Override": "GET"},
            idempotent=True,
            cacheable=False,
        )
        needed = [*features, "GET over POST"]
    else:
        request = Request(method="GET", path=path, path_params=path_params, query=params)
        needed = list(features)
    strategy = OffsetLimitStrategy(
        limit=None if has_limit else page_size, location="data" if long_query else "query"
    )

    named = _named_fields(params)

    async def fetch(req: Request) -> Response:
        for feature in needed:
            await ctx.require(feature)
        await ctx.require_fields(named)
        return await ctx.send(req)

    ahead = ctx.concurrency if fetch_ahead is None else fetch_ahead
    engine = ctx.client.engine
    return Paginator(
        fetch,
        request,
        strategy,
        lambda r: decode_list(r, model, ctx),
        fetch_ahead=ahead,
        cursor=cursor,
        identify=_row_id,
        # Rows without an id of their own (search results) cannot be checked: plain paging.
        consistency=consistency if stable_order else "off",
        monitor=ListingMonitor(engine.stats, engine.hooks, request.method, path),
    )


def _row_id(item: Any) -> object:
    """A row's id (None for rows without one: those are never deduplicated)."""
    return getattr(item, "id", None)


def _with_tiebreak(params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Offset paging needs a total order: sort by id, or append id as the last sort key."""
    for i, (key, value) in enumerate(params):
        if key == "orderBy":
            if any(OrderKey.parse(v).field == "id" for v in value.split(",")):
                return params
            return [*params[:i], (key, value + ",id"), *params[i + 1 :]]
    return [*params, ("orderBy", "id")]


def _named_fields(params: Sequence[tuple[str, str]]) -> set[str]:
    """Field names a query filters or sorts on (a missing field in displayFields is harmless)."""
    names: set[str] = set()
    for key, value in params:
        if key == "displayFields":
            continue
        if key == "orderBy":
            names.update(OrderKey.parse(v).field for v in value.split(","))
        else:
            names.add(key)
    return names


def _full_count(response: Response) -> int:
    raw = response.headers.get("X-Full-Results-Count", "").strip()
    if not raw.isdigit():
        raise DecodeError(
            "the server sent no X-Full-Results-Count", method=response.method, url=response.url
        )
    return int(raw)


class Resource(Generic[M]):
    """The operations of one noun; verbs the noun does not allow raise `InvalidRequestError`."""

    def __init__(self, ctx: Context, spec: NounSpec) -> None:
        self._ctx = ctx
        self.spec = spec

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec.name}>"

    @property
    def _model(self) -> type[M]:
        return self.spec.model  # type: ignore[return-value]

    def _allow(self, verb: str) -> None:
        allowed = verb in self.spec.verbs or (verb == "MERGE" and self.spec.merge)
        if not allowed:
            raise InvalidRequestError(f"{self.spec.name} does not support {verb}")

    async def _gate(self, write: bool) -> None:
        if self.spec.feature:
            await self._ctx.require(self.spec.feature)
        if write and self.spec.write_feature:
            await self._ctx.require(self.spec.write_feature)

    def _features(self) -> list[str]:
        return [self.spec.feature] if self.spec.feature else []

    # -- reads ----------------------------------------------------------------------------------

    def query(self, query: Query | None = None, **options: Any) -> Query:
        """A validated `Query` for this noun from a Query and/or keyword options and filters."""
        built = Query.build(**options)
        merged = query.merged(built) if query is not None else built
        merged.to_params(self.spec)  # validate now, not at the first page
        return merged

    def list(
        self,
        query: Query | None = None,
        *,
        page_size: int | None = None,
        fetch_ahead: int | None = None,
        cursor: dict[str, Any] | None = None,
        consistency: str = "repair",
        **options: Any,
    ) -> Paginator[M]:
        """Every matching item of the noun: `GET /REST/1/<Noun>` with the query's filters.

        Returns `Paginator[Model]`: pages by `offset`/`limit` (`page_size`, default the client's)
        until `X-Full-Results-Count`, sorted by `order_by` with the id as the last key (by id when
        no order is given), so the order is total; up to `fetch_ahead` pages (default: the
        concurrency cap) are in flight. `consistency` (default `"repair"`): every item that exists
        for the whole listing comes out exactly once even while the collection changes; `"raise"`
        raises `ListingChanged` instead, `"off"` pages plainly. `cursor`: the `.cursor` of an
        earlier run of the same listing, to continue after it. A query too long for a URL goes as
        `POST` with `X-HTTP-Method-Override: GET` (servers 9.0.0 and newer). Options: `order_by`,
        `display_fields`, `expand`, filters. No parameter is required. A GET (or that read-only
        POST, marked idempotent): retried after transport errors and retryable statuses.
        """
        q = self.query(query, **options)
        size = page_size if page_size is not None else self._ctx.page_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InvalidRequestError("page_size must be a positive integer")
        return listing(
            self._ctx,
            self.spec.name,
            {},
            q.to_params(self.spec),
            self._model,
            features=self._features(),
            page_size=size,
            fetch_ahead=fetch_ahead,
            cursor=cursor,
            consistency=consistency,
        )

    async def count(self, query: Query | None = None, **options: Any) -> int:
        """How many items match: one `HEAD /REST/1/<Noun>?limit=1`, read from `X-Full-Results-
        Count`.

        Returns `int`; no rows are transferred. No parameter is required. A HEAD (or, for a long
        query, a read-only POST marked idempotent): retried after transport errors and retryable
        statuses.
        """
        await self._gate(write=False)
        q = self.query(query, **options)
        params = [(k, v) for k, v in q.to_params(self.spec) if k not in {"limit", "offset"}]
        params.append(("limit", "1"))
        await self._ctx.require_fields(_named_fields(params))
        if len(urlencode(params)) > LONG_QUERY:
            await self._ctx.require("GET over POST")
            request = Request(
                method="POST",
                path=self.spec.name,
                data=params,
                idempotent=True,
                cacheable=False,
                headers={"X-HTTP-Method-Override": "GET"},
            )
        else:
            request = Request(method="HEAD", path=self.spec.name, query=params)
        return _full_count(await self._ctx.send(request))

    async def get(
        self,
        ident: int,
        *,
        expand: Mapping[str, Expansion] | None = None,
        display_fields: Sequence[str] | None = None,
    ) -> M:
        """One item by id: `GET /REST/1/<Noun>/{id}`.

        Returns the noun's model; `NotFound` when it does not exist. Required: `ident`. One request,
        no paging. A GET: retried after transport errors and retryable statuses (429, most 5xx).
        """
        await self._gate(write=False)
        q = Query.build(expand=expand, display_fields=display_fields)
        request = Request(
            method="GET",
            path=self.spec.name + "/{id}",
            path_params={"id": check_id(ident)},
            query=q.to_params(self.spec),
        )
        return decode_one(await self._ctx.send(request), self._model)  # type: ignore[no-any-return]

    # -- single writes --------------------------------------------------------------------------

    def _finish(self, response: Response, strict: bool) -> M:
        value: M = decode_one(response, self._model)
        skipped = ignored_fields(response.headers)
        if skipped:
            if strict:
                raise IgnoredFieldsError(skipped, value)
            logger.warning("%s: the server ignored fields %s", self.spec.name, ", ".join(skipped))
        return value

    async def create(self, data: WriteData, *, strict: bool = False) -> M:
        """Create one item: `POST /REST/1/<Noun>` (JSON).

        Returns the created model. Fields the server skipped are logged, or raise
        `IgnoredFieldsError` with `strict=True`. Required: `data`. A POST: not retried once sent, so
        it never runs twice.
        """
        self._allow("POST")
        body = encode_body(self.spec, data, with_id=False)
        await self._gate(write=True)
        await self._ctx.require_fields(body)
        request = Request(method="POST", path=self.spec.name, json=body)
        return self._finish(await self._ctx.send(request), strict)

    async def update(self, ident: int, data: WriteData, *, strict: bool = False) -> M:
        """Update fields of one item: `PUT /REST/1/<Noun>/{id}` (JSON; a partial body is fine).

        Returns the updated model; skipped fields as for `create`. Required: `ident`, `data`. A PUT,
        idempotent: retried after transport errors and retryable statuses.
        """
        self._allow("PUT")
        body = encode_body(self.spec, data)
        body.pop("id", None)
        await self._gate(write=True)
        await self._ctx.require_fields(body)
        request = Request(
            method="PUT",
            path=self.spec.name + "/{id}",
            path_params={"id": check_id(ident)},
            json=body,
        )
        return self._finish(await self._ctx.send(request), strict)

    async def delete(self, ident: int) -> None:
        """Delete one item: `DELETE /REST/1/<Noun>/{id}`.

        Returns None. Required: `ident`. A DELETE, idempotent: retried after transport errors and
        retryable statuses.
        """
        self._allow("DELETE")
        await self._gate(write=True)
        request = Request(
            method="DELETE", path=self.spec.name + "/{id}", path_params={"id": check_id(ident)}
        )
        await self._ctx.send(request)

    async def merge(self, target: int, sources: Iterable[int]) -> M:
        """Fold duplicate items `sources` into `target`: `MERGE /REST/1/<Noun>/{target}` (JSON).

        Returns the merged target's model. Required: `target`, `sources` (non-empty, without the
        target). Not idempotent: not retried once sent.
        """
        self._allow("MERGE")
        ids = [check_id(s, "source id") for s in sources]
        target_id = check_id(target, "target id")
        if not ids:
            raise InvalidRequestError("merge needs at least one source id")
        if target_id in ids:
            raise InvalidRequestError("a merge target cannot also be a source")
        await self._gate(write=True)
        request = Request(
            method="MERGE",
            path=self.spec.name + "/{id}",
            path_params={"id": target_id},
            json=[{"id": i} for i in ids],
            idempotent=False,
        )
        return decode_one(await self._ctx.send(request), self._model)  # type: ignore[no-any-return]

    # -- bulk writes ----------------------------------------------------------------------------

    def _read_objects(
        self, batch: Sequence[Any], response: Response, start: int
    ) -> builtins.list[BulkItem[M]]:
        body = json_of(response)
        if isinstance(body, dict) and len(batch) == 1:
            body = [body]
        if not isinstance(body, list):
            raise DecodeError(
                "expected a JSON array",
                method=response.method,
                url=response.url,
                body=response.content,
            )
        skipped = ignored_fields(response.headers)
        out: builtins.list[BulkItem[M]] = []
        for i in range(len(batch)):
            if i >= len(body):
                missing = ItemError(response.status, "the server returned no result for this item")
                out.append(BulkItem(start + i, error=missing))
                continue
            entry = body[i]
            error = error_entry(entry)
            if error is not None:
                out.append(BulkItem(start + i, error=error, raw=entry))
                continue
            try:
                value = structure(entry, self._model)
            except Exception as exc:
                bad = ItemError(response.status, f"unreadable result entry: {exc}")
                out.append(BulkItem(start + i, error=bad, raw=entry))
                continue
            out.append(BulkItem(start + i, value=value, ignored_fields=skipped, raw=entry))
        return out

    async def _bulk(
        self, method: str, bodies: builtins.list[dict[str, Any]], batch_size: int
    ) -> BulkResult[M]:
        await self._gate(write=True)
        await self._ctx.require_fields({k for body in bodies for k in body})

        async def send(batch: Sequence[Any]) -> Response:
            return await self._ctx.send(
                Request(method=method, path=self.spec.name, json=list(batch))
            )

        return await run_batches(
            bodies,
            send,
            self._read_objects,
            batch_size=batch_size,
            concurrency=self._ctx.concurrency,
        )

    async def create_many(
        self, items: Iterable[WriteData], *, batch_size: int = ADVISED_BATCH
    ) -> BulkResult[M]:
        """Create any number of items: `POST /REST/1/<Noun>` with a JSON array per batch.

        Returns `BulkResult`: one `BulkItem` per input, in input order, failures kept per item.
        Batches of `batch_size` run up to the concurrency cap at once. Required: `items`. Each batch
        is a POST: not retried once sent, so it never runs twice.
        """
        self._allow("POST")
        bodies = [
            encode_body(self.spec, d, with_id=False, what=f"item {i}") for i, d in enumerate(items)
        ]
        return await self._bulk("POST", bodies, batch_size)

    async def update_many(
        self, items: Iterable[WriteData], *, batch_size: int = ADVISED_BATCH
    ) -> BulkResult[M]:
        """Update any number of items (each with its `id`): `PUT /REST/1/<Noun>` with a JSON array
        per batch.

        Returns `BulkResult`, one `BulkItem` per input in order. Required: `items`. Each batch is a
        PUT, idempotent: retried after transport errors and retryable statuses.
        """
        self._allow("PUT")
        bodies = [
            encode_body(self.spec, d, with_id=True, what=f"item {i}") for i, d in enumerate(items)
        ]
        return await self._bulk("PUT", bodies, batch_size)

    async def delete_many(
        self, ids: Iterable[int], *, batch_size: int = ADVISED_BATCH
    ) -> BulkResult[int]:
        """Delete any number of items by id: `DELETE /REST/1/<Noun>` with `[{"id": n}]` per batch.

        Returns `BulkResult[int]`; failures are matched back to inputs by id. Required: `ids`. Each
        batch is a DELETE, idempotent: retried after transport errors and retryable statuses.
        """
        self._allow("DELETE")
        wanted = [check_id(i) for i in ids]
        await self._gate(write=True)

        async def send(batch: Sequence[Any]) -> Response:
            return await self._ctx.send(
                Request(method="DELETE", path=self.spec.name, json=[{"id": i} for i in batch])
            )

        return await run_batches(
            wanted,
            send,
            _read_deletions,
            batch_size=batch_size,
            concurrency=self._ctx.concurrency,
        )


def _read_deletions(batch: Sequence[Any], response: Response, start: int) -> list[BulkItem[int]]:
    """`[]` = all deleted; otherwise error entries, matched to inputs by their `id`."""
    body = json_of(response) if response.content.strip() else []
    if not isinstance(body, list):
        raise DecodeError("expected a JSON array", method=response.method, url=response.url)
    by_id: dict[int, ItemError] = {}
    unmatched: list[ItemError] = []
    for entry in body:
        error = error_entry(entry) or ItemError(None, f"unexpected entry {entry!r}")
        raw_id = entry.get("id") if isinstance(entry, dict) else None
        try:
            by_id[int(raw_id)] = error  # type: ignore[arg-type]
        except (TypeError, ValueError):
            unmatched.append(error)
    out: list[BulkItem[int]] = []
    for i, ident in enumerate(batch):
        if ident in by_id:
            out.append(BulkItem(start + i, error=by_id[ident]))
        elif unmatched:
            # An error we cannot attribute: no item of this batch can be called a success.
            note = ItemError(unmatched[0].status, "outcome unknown: " + unmatched[0].message)
            out.append(BulkItem(start + i, error=note))
        else:
            out.append(BulkItem(start + i, value=ident))
    return out
