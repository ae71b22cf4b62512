"""Nested lists below a parent (`/Files/{id}/Keywords`): list, get one, replace, add, remove.

PUT replaces the whole list, POST appends, DELETE removes; each write answers with the full
resulting list, which is what these methods return.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

import attrs

from asyncdam.engine.errors import InvalidRequestError
from asyncdam.engine.pagination import Paginator
from asyncdam.engine.request import Request
from asyncdam.openasset.context import Context, decode_list, decode_one
from asyncdam.openasset.nouns import NOUNS, NestedSpec, NounSpec
from asyncdam.openasset.query import Query
from asyncdam.openasset.resources import check_id, listing
from asyncdam.openasset.writes import encode_value

C = TypeVar("C")
# Nested paths that page like a top-level listing; the others answer their whole list at once.
_PAGED = {("Projects", "Files"): "Files", ("Searches", "Results"): None}


class Nested(Generic[C]):
    """One nested list type, e.g. the keywords of files (`oa.files.keywords`)."""

    def __init__(self, ctx: Context, parent: NounSpec, spec: NestedSpec) -> None:
        self._ctx = ctx
        self.parent = parent
        self.spec = spec
        self._path = parent.name + "/{parent_id}/" + spec.child

    def __repr__(self) -> str:
        return f"<Nested {self.parent.name}/{{id}}/{self.spec.child}>"

    @property
    def _model(self) -> type[C]:
        return self.spec.model  # type: ignore[return-value]

    async def _gate(self, verb: str) -> None:
        if verb not in self.spec.verbs:
            raise InvalidRequestError(
                f"{self.parent.name}/{{id}}/{self.spec.child} does not support {verb}"
            )
        if self.parent.feature:
            await self._ctx.require(self.parent.feature)
        if verb in self.spec.gated:
            await self._ctx.require("nested writes")

    def list(
        self,
        parent_id: int,
        query: Query | None = None,
        *,
        page_size: int | None = None,
        fetch_ahead: int | None = None,
        cursor: dict[str, Any] | None = None,
        consistency: str = "repair",
        **options: Any,
    ) -> Paginator[C]:
        """The nested items of one parent: `GET /REST/1/<Parent>/{parent_id}/<Child>`.

        Returns `Paginator`: paged by `offset`/`limit` where the server pages the list (a project's
        files, a search's results), otherwise the whole list in one answer (such lists take no
        query). `cursor` continues an earlier run's `.cursor`; `consistency` as for `Resource.list`
        (rows without an id of their own, such as search results, page plainly). Required:
        `parent_id`. A GET: retried after transport errors and retryable statuses (429, most 5xx).
        """
        params_for = {"parent_id": check_id(parent_id, "parent id")}
        features = [self.parent.feature] if self.parent.feature else []
        key = (self.parent.name, self.spec.child)
        if key in _PAGED:
            noun = _PAGED[key]
            built = Query.build(**options)
            q = query.merged(built) if query is not None else built
            params = q.to_params(NOUNS[noun] if noun else None)
            size = page_size or self._ctx.page_size
        else:
            if query is not None or options:
                raise InvalidRequestError(f"{self!r} takes no query: the server lists it whole")
            params, size = [("limit", "0")], 0
        return listing(
            self._ctx,
            self._path,
            params_for,
            params,
            self._model,
            features=features,
            page_size=size,
            fetch_ahead=fetch_ahead,
            cursor=cursor,
            consistency=consistency,
            # Search results have no `id` to sort on: they keep the order the search gives them.
            stable_order=_PAGED.get(key) is not None,
        )

    async def _list(self, request: Request) -> builtins.list[C]:
        """Send a write that answers with the resulting list, and read that list."""
        items = decode_list(await self._ctx.send(request), self._model, self._ctx)
        await items.finish_page(0)
        return items

    async def all(self, parent_id: int) -> builtins.list[C]:
        """The whole nested list as a Python list."""
        return [item async for item in self.list(parent_id)]

    async def get(self, parent_id: int, child_id: int) -> C:
        """One nested entry: `GET /REST/1/<Parent>/{parent_id}/<Child>/{child_id}`.

        Returns the child model. Required: `parent_id`, `child_id`. One request, no paging. A GET:
        retried after transport errors and retryable statuses (429, most 5xx).
        """
        await self._gate("GET")
        request = Request(
            method="GET",
            path=self._path + "/{child_id}",
            path_params={
                "parent_id": check_id(parent_id, "parent id"),
                "child_id": check_id(child_id, "child id"),
            },
        )
        return decode_one(await self._ctx.send(request), self._model)  # type: ignore[no-any-return]

    async def _write(self, method: str, parent_id: int, body: Any) -> builtins.list[C]:
        await self._gate(method)
        request = Request(
            method=method,
            path=self._path,
            path_params={"parent_id": check_id(parent_id, "parent id")},
            json=body,
        )
        return await self._list(request)

    async def replace(self, parent_id: int, items: Iterable[Any]) -> builtins.list[C]:
        """Replace the whole nested list: `PUT /REST/1/<Parent>/{parent_id}/<Child>` (JSON).

        Returns the resulting list. Required: `parent_id`, `items` (ids or objects). A PUT,
        idempotent: retried after transport errors and retryable statuses.
        """
        return await self._write("PUT", parent_id, _entries(items, self.spec.child))

    async def add(self, parent_id: int, items: Iterable[Any]) -> builtins.list[C]:
        """Append nested entries: `POST /REST/1/<Parent>/{parent_id}/<Child>` (JSON).

        Returns the resulting list. Required: `parent_id`, `items` (ids or objects). A POST: not
        retried once sent, so it never runs twice.
        """
        return await self._write("POST", parent_id, _entries(items, self.spec.child))

    async def remove(self, parent_id: int, child_ids: int | Iterable[int]) -> builtins.list[C]:
        """Remove nested entries: `DELETE .../<Child>/{child_id}` for one id, or `DELETE
        .../<Child>` with `[{"id": n}]` for several.

        Returns the resulting list. Required: `parent_id`, `child_ids` (one id or a non-empty
        iterable). A DELETE, idempotent: retried after transport errors and retryable statuses.
        """
        if isinstance(child_ids, int):
            await self._gate("DELETE")
            request = Request(
                method="DELETE",
                path=self._path + "/{child_id}",
                path_params={
                    "parent_id": check_id(parent_id, "parent id"),
                    "child_id": check_id(child_ids, "child id"),
                },
            )
            return await self._list(request)
        ids = [{"id": check_id(c, "child id")} for c in child_ids]
        if not ids:
            raise InvalidRequestError("nothing to remove")
        return await self._write("DELETE", parent_id, ids)


def _entries(items: Iterable[Any], what: str) -> builtins.list[Any]:
    """Ints become `{"id": n}`; mappings and models are sent field by field."""
    if isinstance(items, str | bytes | dict) or attrs.has(type(items)):
        raise InvalidRequestError(f"{what}: expected a list of ids or objects")
    out: builtins.list[Any] = []
    for item in items:
        if isinstance(item, bool):
            raise InvalidRequestError(f"{what}: {item!r} is not an id")
        if isinstance(item, int):
            out.append({"id": check_id(item)})
        else:
            value = encode_value(item, what)
            if not isinstance(value, dict):
                raise InvalidRequestError(f"{what}: entries are ids or objects, got {item!r}")
            out.append(value)
    return out
