"""v1 basket routes and the v2 basket element routes (JSON)."""

from __future__ import annotations

import time
from typing import Any

from asyncdam.emulator.phraseanet import guards
from asyncdam.emulator.phraseanet.context import Ctx
from asyncdam.emulator.phraseanet.envelope import ApiError
from asyncdam.emulator.phraseanet.params import get_str
from asyncdam.emulator.phraseanet.store import Basket


def _own(ctx: Ctx) -> Basket:
    bid = ctx.int_param("id")
    basket = ctx.store.baskets.get(bid)
    if basket is None:
        raise ApiError(404, f"Basket `{bid}` not found")
    if basket.owner_id != ctx.store.user.id:
        raise ApiError(403, "You do not have access to this basket")
    return basket


def _mine(ctx: Ctx) -> list[dict[str, Any]]:
    return [
        ctx.view.basket(b) for b in ctx.store.baskets.values() if b.owner_id == ctx.store.user.id
    ]


async def baskets_list(ctx: Ctx) -> Any:
    """GET /baskets/list/."""
    return {"baskets": _mine(ctx)}


async def basket_add(ctx: Ctx) -> Any:
    """POST /baskets/add/ with `name` (blank -> 400)."""
    name = (get_str(ctx.params, "name") or "").strip()
    if not name:
        raise ApiError(400, "Missing basket name parameter")
    now = int(time.time())
    bid = ctx.store.next_basket_id
    ctx.store.next_basket_id += 1
    basket = Basket(bid, ctx.store.user.id, name, "", now, now)
    ctx.store.baskets[bid] = basket
    return {"basket": ctx.view.basket(basket)}


async def basket_content(ctx: Ctx) -> Any:
    """GET /baskets/{id}/content/."""
    basket = _own(ctx)
    return {"basket": ctx.view.basket(basket), "basket_elements": ctx.view.basket_elements(basket)}


async def basket_setname(ctx: Ctx) -> Any:
    """POST /baskets/{id}/setname/."""
    basket = _own(ctx)
    name = (get_str(ctx.params, "name") or "").strip()
    if not name:
        raise ApiError(400, "Missing basket name parameter")
    basket.name, basket.updated_on = name, int(time.time())
    return {"basket": ctx.view.basket(basket)}


async def basket_setdescription(ctx: Ctx) -> Any:
    """POST /baskets/{id}/setdescription/."""
    basket = _own(ctx)
    basket.description = get_str(ctx.params, "description") or ""
    basket.updated_on = int(time.time())
    return {"basket": ctx.view.basket(basket)}


async def basket_delete(ctx: Ctx) -> Any:
    """POST /baskets/{id}/delete/: the remaining baskets."""
    basket = _own(ctx)
    del ctx.store.baskets[basket.basket_id]
    return {"baskets": _mine(ctx)}


def _json_refs(ctx: Ctx) -> list[tuple[int, int]]:
    doc = ctx.json_body()
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list):
        raise ApiError(400, "JSON schema validation failed: `data` must be an array")
    refs = []
    for item in data:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), int) for k in ("databox_id", "record_id")
        ):
            raise ApiError(400, "JSON schema validation failed: bad element")
        refs.append((item["databox_id"], item["record_id"]))
    return refs


async def basket_records_add(ctx: Ctx) -> Any:
    """POST /api/v2/baskets/{id}/records/ (JSON `{data:[{databox_id,record_id}]}`)."""
    basket = _own(ctx)
    for d, r in _json_refs(ctx):
        guards.record(ctx, d, r)
        if (d, r) not in basket.elements:
            basket.elements.append((d, r))
    return {"elements": ctx.view.basket_elements(basket)}


async def basket_records_remove(ctx: Ctx) -> Any:
    """DELETE /api/v2/baskets/{id}/records/."""
    basket = _own(ctx)
    for ref in _json_refs(ctx):
        if ref in basket.elements:
            basket.elements.remove(ref)
    return {"elements": ctx.view.basket_elements(basket)}


async def basket_reorder(ctx: Ctx) -> Any:
    """PUT /api/v2/baskets/{id}/records/reorder: the real handler is empty and fails."""
    raise ApiError(500, "An error occurred")
