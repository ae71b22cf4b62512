"""Search routes: v1 `/search/` and `/records/search/`, v2 light search, v3 paged search."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from asyncdam.emulator.phraseanet.context import Ctx
from asyncdam.emulator.phraseanet.envelope import ApiError
from asyncdam.emulator.phraseanet.params import get_list, get_str, php_int
from asyncdam.emulator.phraseanet.routes_records import apply_ttl
from asyncdam.emulator.phraseanet.search import check_window, facets, select
from asyncdam.emulator.phraseanet.store import Record


def _index_name(ctx: Ctx) -> str:
    return f"phraseanet_{ctx.store.instance}"


def _query_time(hits: int) -> int:
    # Elasticsearch `took`: whole milliseconds.
    return 1 + hits // 1000


def _v1_page(ctx: Ctx) -> tuple[dict[str, Any], list[Record], bool]:
    params = ctx.params
    offset = php_int(get_str(params, "offset_start"), 0)
    per_page = php_int(get_str(params, "per_page"), 10) or 10
    check_window(offset, per_page)
    stories = php_int(get_str(params, "search_type"), 0) in (1, 2)
    hits = select(ctx.store, params, stories, ctx.settings.seed)
    page = hits[offset : offset + per_page]
    head = {
        "offset_start": offset,
        "per_page": per_page,
        "available_results": len(page),
        "total_results": len(hits),
        "error": "",
        "warning": "",
        "query_time": _query_time(len(hits)),
        "search_indexes": _index_name(ctx),
        "suggestions": [],
        "facets": facets(ctx.store, hits),
        "query": get_str(params, "query") or "",
    }
    return head, page, stories


async def search_v1(ctx: Ctx) -> Any:
    """ANY /api/v1/search/: records or stories, `results{stories,records}` both present."""
    apply_ttl(ctx)
    head, page, stories = _v1_page(ctx)
    if stories:
        head["results"] = {"stories": [ctx.view.story(s) for s in page], "records": []}
    else:
        head["results"] = {"stories": [], "records": [ctx.view.record(r) for r in page]}
    return head


async def records_search_v1(ctx: Ctx) -> Any:
    """ANY /api/v1/records/search/ (deprecated): `results` is a record list."""
    apply_ttl(ctx)
    head, page, _ = _v1_page(ctx)
    head["results"] = [ctx.view.record(r) for r in page]
    return head


async def search_v2(ctx: Ctx) -> Any:
    """ANY /api/v2/search/: light results with a `version` (update time)."""
    head, page, stories = _v1_page(ctx)
    del head["suggestions"], head["query"]
    head["search_type"] = 1 if stories else 0
    head["results"] = [
        {
            "databox_id": r.databox_id,
            "record_id": r.record_id,
            "collection_id": ctx.store.collections[r.base_id].collection_id,
            "version": r.updated_on,
        }
        for r in page
    ]
    return head


def _bounded(raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    if not raw.lstrip("-").isdigit() or not low <= int(raw) <= high:
        raise ApiError(500, "An error occurred")
    return int(raw)


def v3_paging(params: dict[str, Any]) -> tuple[int, int]:
    """(offset, limit) from page/per_page, offset/limit or cursor/limit; violations are 500s."""
    page_family = "page" in params or "per_page" in params
    offset_family = "offset" in params
    cursor_family = "cursor" in params
    if page_family and (offset_family or cursor_family or "limit" in params):
        raise ApiError(500, "Can't mix page/per_page with offset/cursor/limit")
    if offset_family and cursor_family:
        raise ApiError(500, "Can't mix offset and cursor")
    if page_family:
        per_page = _bounded(get_str(params, "per_page"), 10, 1, 100)
        page = _bounded(get_str(params, "page"), 1, 1, 10**9)
        return (page - 1) * per_page, per_page
    limit = _bounded(get_str(params, "limit"), 10, 1, 100)
    if cursor_family:
        cursor = get_str(params, "cursor") or ""
        try:
            offset = int(base64.b64decode(cursor, validate=True).decode())
        except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
            raise ApiError(500, "Invalid cursor") from exc
        if offset < 0:
            raise ApiError(500, "Invalid cursor")
        return offset, limit
    return _bounded(get_str(params, "offset"), 0, 0, 10**9), limit


def v3_record(ctx: Ctx, rec: Record, includes: set[str], prefix: str) -> dict[str, Any]:
    """A v3 record, with the optional parts named by `include[]`."""
    out = ctx.view.record(rec)
    for part, make in (
        ("subdefs", ctx.view.subdefs),
        ("caption", ctx.view.caption),
        ("metadata", ctx.view.record_metadatas),
        ("status", ctx.view.record_status),
    ):
        if ctx.view.extended or f"{prefix}.{part}" in includes:
            out[part] = make(rec)
    return out


async def search_v3(ctx: Ctx) -> Any:
    """ANY /api/v3/search/."""
    params = ctx.params
    offset, limit = v3_paging(params)
    check_window(offset, limit)
    stype = get_str(params, "search_type") or "0"
    if stype not in ("0", "1"):
        raise ApiError(500, "Invalid search_type")
    stories = stype == "1"
    children_limit = _bounded(get_str(params, "story_children_limit"), 0, 0, 10)
    if stories and children_limit == 0:
        children_limit = 10
    includes = set(get_list(params, "include") or [])
    hits = select(ctx.store, params, stories, ctx.settings.seed)
    page = hits[offset : offset + limit]
    out: dict[str, Any] = {
        "query": get_str(params, "query") or "",
        "offset": offset,
        "limit": limit,
        "count": len(page),
        "total": len(hits),
        "error": "",
        "warning": "",
        "query_time": _query_time(len(hits)),
        "search_indexes": f"phraseanet_{ctx.store.instance}",
    }
    if "facets" in includes:
        out["facets"] = facets(ctx.store, hits)
    if "suggestions" in includes:
        out["suggestions"] = []
    records: list[dict[str, Any]] = []
    story_list: list[dict[str, Any]] = []
    if stories:
        for s in page:
            item = v3_record(ctx, s, includes, "results.stories")
            kids = [ctx.store.records[k] for k in s.children if k in ctx.store.records]
            shown = kids[:children_limit]
            item.update(
                children_offset=0,
                children_limit=children_limit,
                children_count=len(shown),
                children_total=len(kids),
            )
            if "results.stories.children" in includes:
                item["children"] = [
                    v3_record(ctx, k, includes, "results.stories.children") for k in shown
                ]
            story_list.append(item)
    else:
        records = [v3_record(ctx, r, includes, "results.records") for r in page]
    out["results"] = {"records": records, "stories": story_list}
    return out


async def searchraw_v3(ctx: Ctx) -> Any:
    """ANY /api/v3/searchraw/: raw engine hits."""
    params = ctx.params
    offset, limit = v3_paging(params)
    check_window(offset, limit)
    hits = select(ctx.store, params, get_str(params, "search_type") == "1", ctx.settings.seed)
    page = hits[offset : offset + limit]
    raw = [
        {
            "_index": f"phraseanet_{ctx.store.instance}",
            "_type": "record",
            "_id": f"{r.databox_id}_{r.record_id}",
            "_score": 1,
            "_source": {
                "databox_id": r.databox_id,
                "record_id": r.record_id,
                "base_id": r.base_id,
                "title": r.title,
                "sha256": r.sha256,
            },
        }
        for r in page
    ]
    return {
        "results": raw,
        "took": _query_time(len(hits)),
        "count": len(page),
        "total": len(hits),
        "facets": facets(ctx.store, hits),
        "offset": offset,
        "limit": limit,
    }
