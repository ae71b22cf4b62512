"""v3 routes: hello, record read/patch, story and children, subdef structures."""

from __future__ import annotations

from typing import Any

from asyncdam.emulator.phraseanet import guards
from asyncdam.emulator.phraseanet.context import Ctx
from asyncdam.emulator.phraseanet.envelope import ApiError
from asyncdam.emulator.phraseanet.media import SUBDEFS
from asyncdam.emulator.phraseanet.params import get_list
from asyncdam.emulator.phraseanet.patch import apply_patch
from asyncdam.emulator.phraseanet.routes_records import apply_ttl, touch
from asyncdam.emulator.phraseanet.routes_search import v3_paging
from asyncdam.emulator.phraseanet.store import Record


async def hello(ctx: Ctx) -> Any:
    """ANY /api/v3/hello/: a one-element list."""
    return ["hello"]


def _v3_record(ctx: Ctx, rec: Record) -> dict[str, Any]:
    includes = set(get_list(ctx.params, "include") or [])
    out = ctx.view.record(rec)
    for part, make in (
        ("subdefs", ctx.view.subdefs),
        ("status", ctx.view.record_status),
        ("metadata", ctx.view.record_metadatas),
    ):
        if ctx.view.extended or part in includes:
            out[part] = make(rec)
    if ctx.view.extended or "dces" in includes:
        out["dces"] = []
    out["is_story"] = rec.is_story
    if rec.is_story:
        out["cover_record_id"] = rec.cover_record_id
        out["children_total"] = len(rec.children)
    return out


async def record_get(ctx: Ctx) -> Any:
    """GET /api/v3/records/{d}/{r}/: the record is the response itself."""
    apply_ttl(ctx)
    return _v3_record(ctx, guards.record(ctx, ctx.int_param("d"), ctx.int_param("r")))


async def record_patch(ctx: Ctx) -> Any:
    """PATCH /api/v3/records/{d}/{r}/ (JSON)."""
    rec = guards.record(ctx, ctx.int_param("d"), ctx.int_param("r"), edit=True)
    doc = ctx.json_body()
    if not isinstance(doc, dict):
        raise ApiError(400, "JSON schema validation failed: body must be an object")
    apply_patch(ctx, rec, doc)
    touch(rec)
    return _v3_record(ctx, rec)


async def story_get(ctx: Ctx) -> Any:
    """GET /api/v3/stories/{d}/{s}/ (404 when the id is a plain record)."""
    return _v3_record(ctx, guards.story(ctx, ctx.int_param("d"), ctx.int_param("s")))


async def story_children(ctx: Ctx) -> Any:
    """GET /api/v3/stories/{d}/{s}/children/: record URLs, v3 paging (errors are 400 here)."""
    story = guards.story(ctx, ctx.int_param("d"), ctx.int_param("s"))
    try:
        offset, limit = v3_paging(ctx.params)
    except ApiError as exc:
        raise ApiError(400, "An error occurred") from exc
    kids = story.children[offset : offset + limit]
    return [f"/api/v3/records/{d}/{r}/" for d, r in kids]


def _subdef_structure() -> dict[str, Any]:
    return {
        "image": {
            name: {"name": name, "class": cls, "devices": devices, "options": []}
            for name, (_size, cls, devices) in SUBDEFS.items()
        }
    }


async def databox_subdefs(ctx: Ctx) -> Any:
    """GET /api/v3/databoxes/{d}/subdefs/."""
    db = guards.databox(ctx, ctx.int_param("d"))
    return {
        "databoxes": {
            str(db.databox_id): {"databox_id": db.databox_id, "subdefs": _subdef_structure()}
        }
    }


async def all_subdefs(ctx: Ctx) -> Any:
    """GET /api/v3/databoxes/subdefs/."""
    out = {
        str(d): {"databox_id": d, "subdefs": _subdef_structure()}
        for d in ctx.store.databoxes
        if ctx.store.databox_accessible(d)
    }
    return {"databoxes": out or []}


async def setmetadatas_gone(ctx: Ctx) -> Any:
    """ANY /api/v3/records/*/*/setmetadatas/: refused."""
    raise ApiError(400, "Use PATCH /records/{databox_id}/{record_id}/")
