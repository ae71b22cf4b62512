"""v1 feed and quarantine routes (plus the v2 quarantine actions)."""

from __future__ import annotations

from typing import Any

from asyncdam.emulator.phraseanet.context import Ctx
from asyncdam.emulator.phraseanet.envelope import ApiError
from asyncdam.emulator.phraseanet.params import get_list, get_str, php_int
from asyncdam.emulator.phraseanet.uploads import quarantine_item


async def feeds_list(ctx: Ctx) -> Any:
    """GET /feeds/list/: the feeds the user can read."""
    return {"feeds": [ctx.view.feed(f) for f in ctx.store.feeds.values() if f.accessible]}


async def feeds_aggregated(ctx: Ctx) -> Any:
    """GET /feeds/content/: newest entries of all (or `feeds[]`) readable feeds; per_page 1-20."""
    params = ctx.params
    offset = max(0, php_int(get_str(params, "offset_start"), 0))
    per_page = php_int(get_str(params, "per_page"), 5)
    if not 1 <= per_page <= 20:
        per_page = 20
    wanted = {int(x) for x in get_list(params, "feeds") or [] if x.isdigit()}
    feeds = [f for f in ctx.store.feeds.values() if f.accessible and (not wanted or f.id in wanted)]
    entries = [ctx.store.entries[e] for f in feeds for e in f.entries]
    entries.sort(key=lambda e: (e.created_on, e.id), reverse=True)
    page = entries[offset : offset + per_page]
    return {
        "total_entries": len(entries),
        "offset_start": offset,
        "per_page": per_page,
        "entries": [ctx.view.entry(e) for e in page],
    }


async def feed_content(ctx: Ctx) -> Any:
    """GET /feeds/{id}/content/: oldest first; per_page 1-100; inaccessible feed -> `{}`."""
    fid = ctx.int_param("id")
    feed = ctx.store.feeds.get(fid)
    if feed is None:
        raise ApiError(404, f"Feed `{fid}` not found")
    if not feed.accessible:
        return {}
    params = ctx.params
    offset = max(0, php_int(get_str(params, "offset_start"), 0))
    per_page = php_int(get_str(params, "per_page"), 5)
    if not 1 <= per_page <= 100:
        per_page = 100
    ids = feed.entries[offset : offset + per_page]
    items = [ctx.view.entry(ctx.store.entries[e]) for e in ids]
    # A key-preserving slice: from a non-zero offset PHP serialises an object keyed by position.
    entries: Any = items if offset == 0 else {str(offset + i): e for i, e in enumerate(items)}
    return {
        "feed": ctx.view.feed(feed),
        "offset_start": offset,
        "per_page": per_page,
        "entries": entries,
    }


async def feed_entry(ctx: Ctx) -> Any:
    """GET /feeds/entry/{id}/: 403 when the feed is not readable."""
    eid = ctx.int_param("id")
    entry = ctx.store.entries.get(eid)
    if entry is None:
        raise ApiError(404, f"Entry `{eid}` not found")
    if not ctx.store.feeds[entry.feed_id].accessible:
        raise ApiError(403, "You have not access to the parent feed")
    return {"entry": ctx.view.entry(entry)}


def _own_items(ctx: Ctx) -> list[Any]:
    return sorted(
        (q for q in ctx.store.quarantine.values() if q.usr_id == ctx.store.user.id),
        key=lambda q: (-q.created_on, -q.id),
    )


async def quarantine_list(ctx: Ctx) -> Any:
    """GET /quarantine/list/: per_page clamped to 1-1000 (default 10)."""
    params = ctx.params
    offset = max(0, php_int(get_str(params, "offset_start"), 0))
    per_page = min(1000, max(1, php_int(get_str(params, "per_page"), 10)))
    page = _own_items(ctx)[offset : offset + per_page]
    return {
        "offset_start": offset,
        "per_page": per_page,
        "quarantine_items": [ctx.view.quarantine_item(q) for q in page],
    }


async def quarantine_get(ctx: Ctx) -> Any:
    """GET /quarantine/item/{id}/."""
    return {"quarantine_item": ctx.view.quarantine_item(quarantine_item(ctx, ctx.int_param("id")))}


async def quarantine_deny(ctx: Ctx) -> Any:
    """DELETE /api/v2/quarantine/item/{id}/: drop the item."""
    item = quarantine_item(ctx, ctx.int_param("id"))
    del ctx.store.quarantine[item.id]
    return {"success": True, "message": "", "result": {}}


async def quarantine_empty(ctx: Ctx) -> Any:
    """DELETE /api/v2/quarantine/ with optional `max`."""
    mine = _own_items(ctx)
    limit = php_int(get_str(ctx.params, "max"), 0)
    todo = mine[:limit] if limit > 0 else mine
    for q in todo:
        del ctx.store.quarantine[q.id]
    result = {"max": limit, "tobedone": len(mine), "done": len(todo), "todo": len(mine) - len(todo)}
    return {"success": True, "message": "", "result": result}
