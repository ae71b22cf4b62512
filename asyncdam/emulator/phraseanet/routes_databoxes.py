"""v1 databox, collection and /me routes."""

from __future__ import annotations

from typing import Any

from asyncdam.emulator.phraseanet import guards
from asyncdam.emulator.phraseanet.context import Ctx
from asyncdam.emulator.phraseanet.serialize import keyed


async def databoxes_list(ctx: Ctx) -> Any:
    """GET /databoxes/list/: every mounted databox."""
    items = [ctx.view.databox(db) for db in ctx.store.databoxes.values()]
    return {"databoxes": keyed(items, "databox_id", ctx.view.keyed_objects)}


async def databox_collections(ctx: Ctx) -> Any:
    """GET /databoxes/{d}/collections/."""
    d = ctx.int_param("d")
    guards.databox(ctx, d)
    items = [
        ctx.view.collection(c)
        for c in ctx.store.collections.values()
        if c.databox_id == d and c.access
    ]
    return {"collections": keyed(items, "base_id", ctx.view.keyed_objects)}


async def databox_status(ctx: Ctx) -> Any:
    """GET /databoxes/{d}/status/ (structure right)."""
    db = guards.databox(ctx, ctx.int_param("d"), structure=True)
    return {"status": ctx.view.status_structure(db)}


async def databox_metadatas(ctx: Ctx) -> Any:
    """GET /databoxes/{d}/metadatas/ (structure right)."""
    db = guards.databox(ctx, ctx.int_param("d"), structure=True)
    items = ctx.view.meta_structure(db)
    return {"document_metadatas": keyed(items, "id", ctx.view.keyed_objects)}


async def databox_terms(ctx: Ctx) -> Any:
    """GET /databoxes/{d}/termsOfUse/."""
    db = guards.databox(ctx, ctx.int_param("d"))
    terms = [{"locale": lang, "terms": f"Terms of {db.name} ({lang})"} for lang in ("en", "fr")]
    return {"termsOfUse": terms}


async def collection_get(ctx: Ctx) -> Any:
    """GET /collections/{base_id}/."""
    coll = guards.collection(ctx, ctx.int_param("base_id"))
    return {"collection": ctx.view.collection(coll)}


async def me(ctx: Ctx) -> Any:
    """GET /me/: the user with the collections and databoxes it can reach."""
    colls = [ctx.view.collection(c) for c in ctx.store.collections.values() if c.access]
    dbs = [
        ctx.view.databox(db)
        for db in ctx.store.databoxes.values()
        if ctx.store.databox_accessible(db.databox_id)
    ]
    return {"user": ctx.view.user(), "collections": colls, "databoxes": dbs}


async def me_collections(ctx: Ctx) -> Any:
    """GET /me/collections/."""
    return {
        "collections": [ctx.view.collection(c) for c in ctx.store.collections.values() if c.access]
    }


async def me_structures(ctx: Ctx) -> Any:
    """GET /me/structures/: fields of the reachable databoxes."""
    fields: list[dict[str, Any]] = []
    for db in ctx.store.databoxes.values():
        if ctx.store.databox_accessible(db.databox_id):
            fields += ctx.view.meta_structure(db)
    technical = [{"id": n, "name": n, "type": "number"} for n in ("width", "height")]
    return {"meta_fields": fields, "aggregable_fields": [], "technical_fields": technical}


async def me_subdefs(ctx: Ctx) -> Any:
    """GET /me/subdefs/."""
    return {"subdefs": {"image": ["document", "preview", "thumbnail"]}}
