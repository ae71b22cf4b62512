"""v2 orders: a user asks the order managers of collections for documents (JSON, Fractal shapes).

Replies follow the server's order transformers: an order is `{id, owner_id, created, usage,
deadline?}` plus `elements` when included (`{id, record{databox_id, record_id}, status,
validator_id?}`); one order travels as `{"data": {...}}`, a page as `{"data": [...],
"meta": {"pagination": {...}}}`. `per_page` is clamped to 10-100, `page` to >= 1. Accept and deny
take a JSON array of `{"id": element_id}` and answer `{}`; the user may decide elements of
collections it manages (Photos and Archives in the seed). The archive of an order with accepted
elements is a zip download; before any acceptance it does not exist (404).
"""

from __future__ import annotations

import io
import math
import time
import zipfile
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from asyncdam.emulator.phraseanet import guards
from asyncdam.emulator.phraseanet.context import Ctx
from asyncdam.emulator.phraseanet.envelope import ApiError
from asyncdam.emulator.phraseanet.media import file_bytes
from asyncdam.emulator.phraseanet.params import get_list, get_str, php_int
from asyncdam.emulator.phraseanet.serialize import atom
from asyncdam.emulator.phraseanet.store import Order, OrderElement

MIN_PER_PAGE, MAX_PER_PAGE = 10, 100


def _element(e: OrderElement) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": e.id,
        "record": {"databox_id": e.databox_id, "record_id": e.record_id},
        "status": e.status,
    }
    if e.validator_id is not None:
        out["validator_id"] = e.validator_id
    return out


def _order(order: Order, with_elements: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": order.id,
        "owner_id": order.owner_id,
        "created": atom(order.created_on),
        "usage": order.usage,
    }
    if order.deadline is not None:
        out["deadline"] = atom(order.deadline)
    if with_elements:
        out["elements"] = {"data": [_element(e) for e in order.elements]}
    return out


def _includes(ctx: Ctx) -> bool:
    return "elements" in (get_list(ctx.params, "includes") or [])


def _own(ctx: Ctx) -> Order:
    oid = ctx.int_param("id")
    order = ctx.store.orders.get(oid)
    if order is None:
        raise ApiError(404, f"Order `{oid}` not found")
    if order.owner_id != ctx.store.user.id:
        raise ApiError(403, f'Cannot access order "{oid}"')
    return order


async def orders_list(ctx: Ctx) -> Any:
    """GET /api/v2/orders/: the user's orders, one page."""
    page = max(php_int(get_str(ctx.params, "page"), 1), 1)
    per_page = min(max(php_int(get_str(ctx.params, "per_page"), 10), MIN_PER_PAGE), MAX_PER_PAGE)
    mine = [o for o in ctx.store.orders.values() if o.owner_id == ctx.store.user.id]
    shown = mine[(page - 1) * per_page : page * per_page]
    pages = max(1, math.ceil(len(mine) / per_page))
    links: dict[str, str] = {}
    if page > 1:
        links["previous"] = f"/api/v2/orders/?page={page - 1}&per_page={per_page}"
    if page < pages:
        links["next"] = f"/api/v2/orders/?page={page + 1}&per_page={per_page}"
    with_elements = _includes(ctx)
    return {
        "data": [_order(o, with_elements) for o in shown],
        "meta": {
            "pagination": {
                "total": len(mine),
                "count": len(shown),
                "per_page": per_page,
                "current_page": page,
                "total_pages": pages,
                "links": links,
            }
        },
    }


def _deadline(raw: Any) -> int | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ApiError(400, "JSON schema validation failed: deadline must be a date-time")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(400, "JSON schema validation failed: deadline must be a date-time") from exc
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


async def order_create(ctx: Ctx) -> Any:
    """POST /api/v2/orders/ `{"data": {"usage", "deadline"?, "records": [{databox_id,
    record_id}]}}`: the orderable records become a new order (with its elements)."""
    doc = ctx.json_body()
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("usage"), str):
        raise ApiError(400, "JSON schema validation failed: data.usage is required")
    refs = data.get("records")
    if not isinstance(refs, list) or not all(
        isinstance(x, dict)
        and isinstance(x.get("databox_id"), int)
        and isinstance(x.get("record_id"), int)
        for x in refs
    ):
        raise ApiError(400, "JSON schema validation failed: data.records must list records")
    deadline = _deadline(data.get("deadline"))
    records = [guards.record(ctx, x["databox_id"], x["record_id"]) for x in refs]
    if not records:
        raise ApiError(400, "No orderable records")
    if any(not ctx.store.collections[r.base_id].order_master for r in records):
        raise ApiError(400, "Some records belong to collections without an order manager")
    now = int(time.time())
    order = Order(ctx.store.next_order_id, ctx.store.user.id, now, data["usage"], deadline)
    ctx.store.next_order_id += 1
    for rec in records:
        order.elements.append(
            OrderElement(ctx.store.next_order_element_id, rec.databox_id, rec.record_id)
        )
        ctx.store.next_order_element_id += 1
    ctx.store.orders[order.id] = order
    return {"data": _order(order, with_elements=True)}


async def order_get(ctx: Ctx) -> Any:
    """GET /api/v2/orders/{id}: one of the user's orders."""
    return {"data": _order(_own(ctx), _includes(ctx))}


def _decide(ctx: Ctx, status: str) -> Any:
    oid = ctx.int_param("id")
    order = ctx.store.orders.get(oid)
    if order is None:
        raise ApiError(404, f"Order `{oid}` not found")
    doc = ctx.json_body()
    if not isinstance(doc, list) or not all(
        isinstance(x, dict) and isinstance(x.get("id"), int) for x in doc
    ):
        raise ApiError(400, "JSON schema validation failed: a list of {id} is expected")
    by_id = {e.id: e for e in order.elements}
    chosen = []
    for item in doc:
        element = by_id.get(item["id"])
        if element is None:
            raise ApiError(400, f"Element `{item['id']}` is not part of order `{oid}`")
        rec = ctx.store.records.get((element.databox_id, element.record_id))
        if rec is None or not ctx.store.collections[rec.base_id].order_master:
            raise ApiError(403, "You are not an order manager of this collection")
        chosen.append(element)
    for element in chosen:
        element.status, element.validator_id = status, ctx.store.user.id
    return {}


async def order_accept(ctx: Ctx) -> Any:
    """POST /api/v2/orders/{id}/accept: accept elements (JSON `[{"id": n}]`)."""
    return _decide(ctx, "accepted")


async def order_deny(ctx: Ctx) -> Any:
    """POST /api/v2/orders/{id}/deny: deny elements (JSON `[{"id": n}]`)."""
    return _decide(ctx, "rejected")


async def order_archive(ctx: Ctx) -> Any:
    """GET /api/v2/orders/{id}/archive: a zip of the accepted documents (404 before any)."""
    order = _own(ctx)
    accepted = [e for e in order.elements if e.status == "accepted"]
    if not accepted:
        raise ApiError(404, f"Order `{order.id}` has no archive: no element was accepted")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for element in accepted:
            rec = ctx.store.records.get((element.databox_id, element.record_id))
            if rec is not None:
                archive.writestr(rec.original_name, file_bytes(ctx.store, rec, "document"))
    headers = {"Content-Disposition": f'attachment; filename="order_{order.id}.zip"'}
    return Response(buffer.getvalue(), 200, headers, media_type="application/zip")
