"""v1 record routes: read, caption, metadata, status, embed, edits, delete."""

from __future__ import annotations

import time
from typing import Any

from asyncdam.emulator.phraseanet import guards
from asyncdam.emulator.phraseanet.context import Ctx
from asyncdam.emulator.phraseanet.envelope import ApiError
from asyncdam.emulator.phraseanet.media import SUBDEFS
from asyncdam.emulator.phraseanet.params import get_list, get_map, get_str
from asyncdam.emulator.phraseanet.seed import add_meta
from asyncdam.emulator.phraseanet.store import Record


def _rec(ctx: Ctx, edit: bool = False) -> Record:
    return guards.record(ctx, ctx.int_param("d"), ctx.int_param("r"), edit)


def apply_ttl(ctx: Ctx) -> None:
    """`subdef_url_ttl` from the query string sets the URL lifetime (negative = none)."""
    ttl = get_str(ctx.query, "subdef_url_ttl")
    if ttl is not None and ttl.lstrip("-").isdigit():
        ctx.view.url_ttl = int(ttl)


async def record_get(ctx: Ctx) -> Any:
    """GET /records/{d}/{r}/."""
    apply_ttl(ctx)
    return {"record": ctx.view.record(_rec(ctx))}


async def record_delete(ctx: Ctx) -> Any:
    """DELETE /records/{d}/{r}/: the edit check never runs on the real server, so none here."""
    rec = _rec(ctx)
    del ctx.store.records[rec.key]
    for other in ctx.store.records.values():
        if rec.key in other.children:
            other.children.remove(rec.key)
    return {}


async def record_caption(ctx: Ctx) -> Any:
    """GET /records/{d}/{r}/caption/."""
    return {"caption_metadatas": ctx.view.caption(_rec(ctx))}


async def record_metadatas(ctx: Ctx) -> Any:
    """GET /records/{d}/{r}/metadatas/."""
    return {"record_metadatas": ctx.view.record_metadatas(_rec(ctx))}


async def record_status(ctx: Ctx) -> Any:
    """GET /records/{d}/{r}/status/."""
    return {"status": ctx.view.record_status(_rec(ctx))}


async def record_related(ctx: Ctx) -> Any:
    """GET /records/{d}/{r}/related/: baskets and stories holding the record."""
    rec = _rec(ctx)
    baskets = [
        ctx.view.basket(b)
        for b in ctx.store.baskets.values()
        if b.owner_id == ctx.store.user.id and rec.key in b.elements
    ]
    stories = [
        ctx.view.story(s)
        for s in ctx.store.records.values()
        if s.is_story and rec.key in s.children and ctx.store.collections[s.base_id].access
    ]
    return {"baskets": baskets, "stories": stories}


async def record_embed(ctx: Ctx) -> Any:
    """GET /records/{d}/{r}/embed/ with optional `devices[]` and `mimes[]` filters."""
    apply_ttl(ctx)
    return {"embed": filter_subdefs(ctx, _rec(ctx))}


def filter_subdefs(ctx: Ctx, rec: Record) -> list[dict[str, Any]]:
    """Subdefs matching the `devices[]`/`mimes[]` filters."""
    devices = get_list(ctx.params, "devices")
    mimes = get_list(ctx.params, "mimes")
    out = []
    for sd in ctx.view.subdefs(rec):
        if devices and not set(devices) & set(SUBDEFS[sd["name"]][2]):
            continue
        if mimes and sd["mime_type"] not in mimes:
            continue
        out.append(sd)
    return out


def touch(rec: Record) -> None:
    """Mark a record updated now."""
    rec.updated_on = int(time.time())


async def record_setmetadatas(ctx: Ctx) -> Any:
    """POST /records/{d}/{r}/setmetadatas/: empty meta_id adds, empty value deletes."""
    rec = _rec(ctx, edit=True)
    metas = get_map(ctx.params, "metadatas")
    if metas is None:
        raise ApiError(400, "Metadatas should be an array")
    fields = ctx.store.databoxes[rec.databox_id].fields
    for item in metas.values():
        if not isinstance(item, dict):
            raise ApiError(400, "Each metadata value should be an array")
        sid_raw, mid_raw = item.get("meta_struct_id"), item.get("meta_id", "")
        value = item.get("value", "")
        if not isinstance(sid_raw, str) or not sid_raw.isdigit() or int(sid_raw) not in fields:
            raise ApiError(400, "Unknown meta_struct_id")
        if not isinstance(value, str) or not isinstance(mid_raw, str):
            raise ApiError(400, "Invalid metadata value")
        sid = int(sid_raw)
        if mid_raw == "":
            if value != "":
                if not fields[sid].multivalue:
                    for mid in [m for m, (s, _) in rec.metas.items() if s == sid]:
                        del rec.metas[mid]
                add_meta(ctx.store, rec, sid, value)
            continue
        if not mid_raw.isdigit() or int(mid_raw) not in rec.metas:
            raise ApiError(400, f"Unknown meta_id `{mid_raw}`")
        if value == "":
            del rec.metas[int(mid_raw)]
        else:
            rec.metas[int(mid_raw)] = (sid, value)
    if sid_title := [v for s, v in rec.metas.values() if s == 1]:
        rec.title = sid_title[0]
    touch(rec)
    return {"record_metadatas": ctx.view.record_metadatas(rec)}


async def record_setstatus(ctx: Ctx) -> Any:
    """POST /records/{d}/{r}/setstatus/: `status[bit]` = "0"/"1" for defined bits 4-31."""
    rec = _rec(ctx, edit=True)
    status = get_map(ctx.params, "status")
    if status is None:
        raise ApiError(400, "Status should be an array")
    defined = ctx.store.databoxes[rec.databox_id].status_bits
    changes: dict[int, bool] = {}
    for bit_raw, value in status.items():
        if not bit_raw.isdigit() or not 4 <= int(bit_raw) <= 31 or int(bit_raw) not in defined:
            raise ApiError(400, f"Status bit `{bit_raw}` is not defined")
        if value not in ("0", "1"):
            raise ApiError(400, "Status value should be 0 or 1")
        changes[int(bit_raw)] = value == "1"
    for bit, on in changes.items():
        rec.status = rec.status | (1 << bit) if on else rec.status & ~(1 << bit)
    touch(rec)
    return {"status": ctx.view.record_status(rec)}


async def record_setcollection(ctx: Ctx) -> Any:
    """POST /records/{d}/{r}/setcollection/: move to another collection of the same databox."""
    rec = _rec(ctx, edit=True)
    raw = get_str(ctx.params, "base_id")
    if raw is None or not raw.isdigit():
        raise ApiError(400, "Missing base_id parameter")
    coll = ctx.store.collections.get(int(raw))
    if coll is None or coll.databox_id != rec.databox_id:
        raise ApiError(400, f"Collection `{raw}` is not in databox `{rec.databox_id}`")
    if not coll.access or not coll.can_add:
        raise ApiError(401, guards.NOT_AUTHORIZED)
    rec.base_id = coll.base_id
    touch(rec)
    return {"record": ctx.view.record(rec)}


async def bad_id(ctx: Ctx) -> Any:
    """Twin routes turning non-numeric ids into a 400."""
    raise ApiError(400, "An error occurred")
