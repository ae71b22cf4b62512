"""v1 story routes: read, embed, create (JSON), add/remove children, set cover."""

from __future__ import annotations

from typing import Any

from asyncdam.emulator.phraseanet import guards
from asyncdam.emulator.phraseanet.context import Ctx
from asyncdam.emulator.phraseanet.envelope import ApiError
from asyncdam.emulator.phraseanet.routes_records import apply_ttl, filter_subdefs, touch
from asyncdam.emulator.phraseanet.seed import add_meta
from asyncdam.emulator.phraseanet.store import Record
from asyncdam.emulator.phraseanet.uploads import new_record


async def story_get(ctx: Ctx) -> Any:
    """GET /stories/{d}/{s}/."""
    apply_ttl(ctx)
    return {"story": ctx.view.story(guards.story(ctx, ctx.int_param("d"), ctx.int_param("s")))}


async def story_embed(ctx: Ctx) -> Any:
    """GET /stories/{d}/{s}/embed/."""
    apply_ttl(ctx)
    rec = guards.story(ctx, ctx.int_param("d"), ctx.int_param("s"))
    return {"embed": filter_subdefs(ctx, rec)}


def _object(doc: Any, key: str) -> list[Any]:
    if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
        raise ApiError(400, f"JSON schema validation failed: `{key}` must be an array")
    return list(doc[key])


def _child_refs(items: list[Any]) -> list[tuple[int, int]]:
    refs = []
    for item in items:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("databox_id"), int)
            or not isinstance(item.get("record_id"), int)
        ):
            raise ApiError(400, "JSON schema validation failed: bad story record")
        refs.append((item["databox_id"], item["record_id"]))
    return refs


def _add_children(ctx: Ctx, story: Record, refs: list[tuple[int, int]]) -> list[str]:
    added = []
    for d, r in refs:
        if d != story.databox_id:
            # The real server fails deep inside when a child comes from another databox.
            raise ApiError(500, "An error occurred")
        child = guards.record(ctx, d, r)
        if child.key not in story.children:
            story.children.append(child.key)
        added.append(f"{d}_{r}")
    touch(story)
    return added


async def stories_create(ctx: Ctx) -> Any:
    """POST /stories (JSON): create stories and return their relative URLs."""
    doc = ctx.json_body(require_type=True)
    specs = _object(doc, "stories")
    urls = []
    for spec in specs:
        if not isinstance(spec, dict) or not isinstance(spec.get("base_id"), int):
            raise ApiError(400, "JSON schema validation failed: base_id is required")
        coll = guards.collection(ctx, spec["base_id"])
        if not coll.can_add:
            raise ApiError(403, "You can not create a story in this collection")
        story = new_record(ctx, coll, f"story_{spec.get('title') or 'untitled'}", "", b"")
        story.is_story = True
        story.mime_type, story.phrasea_type = "", "unknown"
        story.title = str(spec.get("title") or "")
        story.metas = {}
        if story.title:
            add_meta(ctx.store, story, 1, story.title)
        refs = _child_refs(list(spec.get("story_records") or []))
        _add_children(ctx, story, refs)
        for item in spec.get("story_records") or []:
            if item.get("use_as_cover"):
                story.cover_record_id = item["record_id"]
        urls.append(f"/stories/{story.databox_id}/{story.record_id}/")
    return {"stories": urls}


async def story_addrecords(ctx: Ctx) -> Any:
    """POST /stories/{d}/{s}/addrecords (JSON)."""
    story = guards.story(ctx, ctx.int_param("d"), ctx.int_param("s"), edit=True)
    refs = _child_refs(_object(ctx.json_body(require_type=True), "story_records"))
    return {"records": _add_children(ctx, story, refs)}


async def story_delrecords(ctx: Ctx) -> Any:
    """DELETE /stories/{d}/{s}/delrecords (JSON)."""
    story = guards.story(ctx, ctx.int_param("d"), ctx.int_param("s"), edit=True)
    refs = _child_refs(_object(ctx.json_body(require_type=True), "story_records"))
    removed = []
    for d, r in refs:
        if (d, r) in story.children:
            story.children.remove((d, r))
        removed.append(f"{d}_{r}")
    touch(story)
    return {"records": removed}


async def story_setcover(ctx: Ctx) -> Any:
    """POST /stories/{d}/{s}/setcover (JSON): a one-element array."""
    story = guards.story(ctx, ctx.int_param("d"), ctx.int_param("s"), edit=True)
    doc = ctx.json_body(require_type=True)
    if not isinstance(doc, dict) or not isinstance(doc.get("record_id"), int):
        raise ApiError(400, "JSON schema validation failed: record_id is required")
    if (story.databox_id, doc["record_id"]) not in story.children:
        raise ApiError(404, "Record is not a child of the story")
    story.cover_record_id = doc["record_id"]
    touch(story)
    return [f"{story.databox_id}_{doc['record_id']}"]
