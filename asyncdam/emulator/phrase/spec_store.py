"""Where the spec-driven handler keeps its data, and how it finds (or refuses) a request's parents.

Items live in `Store.collections` under their collection's concrete path (decoded segments, led
by "@branch" inside a project when a branch is named), one-of-a-kind objects in `Store.singletons`.
A parent served by a hand-built route exists when that route's GET answers 200; a parent served
here exists when its collection holds it. Collections the spec lists but never creates (webhook
deliveries, notifications, translation versions ...) hold a few made-up items from their first use;
collections the spec neither lists nor creates accept any id.
"""

from __future__ import annotations

import inspect
import json
from typing import Any
from urllib.parse import unquote

import attrs

from asyncdam.emulator.phrase import views
from asyncdam.emulator.phrase.context import ApiError, Ctx
from asyncdam.emulator.phrase.router import Router
from asyncdam.emulator.phrase.spec_model import (
    Collection,
    SpecOp,
    SpecTable,
    is_param,
    normalize,
    resource_name,
    singular,
)
from asyncdam.emulator.phrase.web import iso, not_found, project_data, read_form

SEEDED_ITEMS = 2
ITEM_KINDS = frozenset({"show", "update", "delete"})
USER_FIELDS = ("user", "creator", "owner", "author", "assignee", "created_by", "updated_by")

Record = dict[str, Any]


@attrs.define
class Place:
    """Where one request points: its raw and decoded path segments and the branch it names."""

    raw: list[str]
    segs: list[str]
    branch: str = ""

    def key(self, upto: int) -> tuple[str, ...]:
        """The storage key of the path made of the first `upto` segments."""
        return self.key_for(self.segs[:upto])

    def key_for(self, segs: list[str]) -> tuple[str, ...]:
        """The storage key of the path `segs` (decoded), on this request's branch."""
        if self.branch and segs[:1] == ["projects"]:
            return ("@" + self.branch, *segs)
        return tuple(segs)


NOUN = "_noun"  # what a record is (made-up names and URLs say it); never rendered


def new_record(ctx: Ctx, noun: str, fields: Record, rid: str | None = None) -> Record:
    """A stored `noun`: an id (fresh unless given), real timestamps and the accepted fields."""
    stamp = iso(ctx.now)
    record = {"id": rid or ctx.store.new_id(), "created_at": stamp, "updated_at": stamp}
    return {**record, **fields, NOUN: noun}


def branch_name(ctx: Ctx) -> str:
    """The branch whose data `project_data` selected for this request ("" for the main data)."""
    project = ctx.project
    if project is None or ctx.data is None or ctx.data is project.data:
        return ""
    return next((name for name, br in project.branches.items() if br.data is ctx.data), "")


async def _multipart_branch(ctx: Ctx) -> str | None:
    # A multipart body names its branch in a part; `project_data` only reads JSON bodies.
    if not ctx.headers.get("content-type", "").startswith("multipart/form-data"):
        return None
    part = (await read_form(ctx)).get("branch")
    return part if isinstance(part, str) and part else ctx.q("branch") or ""


class SpecStore:
    """Parents, collections and singletons for the operations no hand-built route serves."""

    def __init__(self, table: SpecTable, built: Router) -> None:
        """Look parents up in `table` and, for hand-built resources, through `built`'s GETs."""
        self.table = table
        self.built = built
        self.built_gets = {normalize(t) for m, t in built.templates if m == "GET"}

    async def place(self, ctx: Ctx, op: SpecOp) -> Place:
        """Check every parent named in the path (404 if one is missing) and say where we are."""
        raw = ctx.path.strip("/").split("/")
        place = Place(raw, [unquote(part) for part in raw])
        segs = place.segs
        if segs[0] == "projects" and len(segs) > 1:
            project_data(ctx, segs[1], branch=await _multipart_branch(ctx))
            place.branch = branch_name(ctx)
        elif segs[0] == "accounts" and len(segs) > 1 and segs[1] not in ctx.store.accounts:
            raise not_found()
        last = len(segs) - 1 if op.kind in ITEM_KINDS else len(segs)
        for pos in range(2, last):
            if is_param(op.segments[pos]):
                await self._require(ctx, op, place, pos)
        return place

    async def _require(self, ctx: Ctx, op: SpecOp, place: Place, pos: int) -> None:
        if normalize("/" + "/".join(op.segments[: pos + 1])) in self.built_gets:
            await self.built_get(ctx, place, pos + 1)
        else:
            self.item(ctx, self.collection(op, pos), place, pos)

    def collection(self, op: SpecOp, pos: int) -> Collection | None:
        """The spec's facts on the collection holding the item at segment `pos` of `op`."""
        return self.table.collections.get(normalize("/" + "/".join(op.segments[:pos])))

    async def built_get(self, ctx: Ctx, place: Place, upto: int) -> Record:
        """The JSON a hand-built GET answers for the first `upto` segments (or its error)."""
        return await self.built_get_path(ctx, "/" + "/".join(place.raw[:upto]), place.branch)

    async def built_get_path(self, ctx: Ctx, path: str, branch: str = "") -> Record:
        """The JSON a hand-built GET answers for the raw `path` (or its error)."""
        found = self.built.match("GET", path)
        if found is None:
            raise not_found()
        handler, params = found
        sub = Ctx(
            method="GET",
            path=path,
            params=params,
            query=[("branch", branch)] if branch else [],
            headers=ctx.headers,
            body=b"",
            origin=ctx.origin,
            base=ctx.base,
            store=ctx.store,
            state=ctx.state,
            now=ctx.now,
            user_id=ctx.user_id,
            scheme=ctx.scheme,
        )
        result = handler(sub)
        reply = await result if inspect.isawaitable(result) else result
        if reply.status != 200:
            raise ApiError(reply)
        body = json.loads(reply.body) if reply.body else {}
        return body if isinstance(body, dict) else {}

    def items(
        self, ctx: Ctx, coll: Collection | None, place: Place, upto: int, keep: bool = False
    ) -> dict[str, Record]:
        """The items of the collection at the first `upto` segments (stored when `keep`)."""
        return self.items_at(ctx, coll, place.key(upto), keep)

    def items_at(
        self, ctx: Ctx, coll: Collection | None, key: tuple[str, ...], keep: bool = False
    ) -> dict[str, Record]:
        """The items stored under `key`; a listed-only collection gets its first items now."""
        found = ctx.store.collections.get(key)
        if found is not None:
            return found
        found = {}
        if coll is not None and coll.seeded:
            noun = resource_name(coll.norm.split("/"))
            for number in range(1, SEEDED_ITEMS + 1):
                record = new_record(ctx, noun, {})
                if coll.key_field == "name":
                    record["name"] = f"{noun} {number}"
                found[record[coll.key_field]] = record
            if self._of_people(coll):
                # A list of people starts with the seeded user, whom every token belongs to.
                me = views.current_user(ctx.store.user)
                found = {
                    me["id"]: new_record(ctx, noun, {**me, "role": "Owner"}, me["id"]),
                    **found,
                }
            keep = True
        if keep:
            ctx.store.collections[key] = found
        return found

    def _of_people(self, coll: Collection) -> bool:
        schema = self.table.schemas.resolve({"$ref": "#/components/schemas/" + coll.item_ref})
        props = schema.get("properties", {}) if coll.item_ref else {}
        return "email" in props or "username" in props

    def item(
        self, ctx: Ctx, coll: Collection | None, place: Place, pos: int
    ) -> tuple[dict[str, Record], str, Record]:
        """The item named by segment `pos` with its collection and key, or 404."""
        open_ = coll is not None and coll.open
        items = self.items(ctx, coll, place, pos, keep=open_)
        key = place.segs[pos]
        record = items.get(key)
        if record is None:
            if not open_:
                raise not_found()
            noun = resource_name(coll.norm.split("/")) if coll is not None else "Item"
            record = items[key] = new_record(ctx, noun, {}, key)
        return items, key, record

    def drop_below(self, ctx: Ctx, place: Place, upto: int) -> None:
        """Forget every collection and singleton under a deleted item."""
        prefix = place.key(upto)
        for table in (ctx.store.collections, ctx.store.singletons):
            for key in [k for k in table if len(k) > len(prefix) and k[: len(prefix)] == prefix]:
                del table[key]

    def known(self, ctx: Ctx, op: SpecOp, place: Place) -> Record:
        """Values the path and the seed already fix: parent ids, the project, account and user."""
        out: Record = {}
        last = len(op.segments) - 1 if op.kind in ITEM_KINDS else len(op.segments)
        for pos in range(1, last):
            if is_param(op.segments[pos]) and not is_param(op.segments[pos - 1]):
                out[singular(op.segments[pos - 1]) + "_id"] = place.segs[pos]
        store = ctx.store
        account = None
        if ctx.project is not None:
            out["project"] = views.project(store, ctx.project)
            account = store.accounts.get(ctx.project.account_id)
        elif place.segs[0] == "accounts" and len(place.segs) > 1:
            account = store.accounts.get(place.segs[1])
        if account is not None:
            out["account"] = views.account(account)
        preview = views.user_preview(store.user)
        for name in USER_FIELDS:
            out[name] = preview
        return out
