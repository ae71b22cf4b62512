"""The v3 record PATCH document: metadata actions, status bits, collection move."""

from __future__ import annotations

import re
from typing import Any

from asyncdam.emulator.phraseanet.context import Ctx
from asyncdam.emulator.phraseanet.envelope import ApiError
from asyncdam.emulator.phraseanet.seed import add_meta
from asyncdam.emulator.phraseanet.store import Record

_ACTIONS = ("set", "add", "delete", "replace")


def _struct_id(ctx: Ctx, rec: Record, item: dict[str, Any]) -> int:
    fields = ctx.store.databoxes[rec.databox_id].fields
    sid = item.get("meta_struct_id")
    if isinstance(sid, int) and sid in fields:
        return sid
    name = item.get("field_name")
    for f in fields.values():
        if isinstance(name, str) and f.name.lower() == name.lower():
            return f.id
    raise ApiError(400, "Unknown field")


def _matches(value: str, pattern: str, method: str) -> bool:
    if method == "ignore-case":
        return value.lower() == pattern.lower()
    if method == "regexp":
        try:
            return re.search(pattern, value) is not None
        except re.error as exc:
            raise ApiError(400, "Invalid regexp") from exc
    return value == pattern


def apply_patch(ctx: Ctx, rec: Record, doc: dict[str, Any]) -> None:
    """Apply a v3 PATCH body to a record; schema misses answer 400."""
    metas = doc.get("metadatas", [])
    status = doc.get("status", [])
    if not isinstance(metas, list) or not isinstance(status, list):
        raise ApiError(400, "JSON schema validation failed")
    for item in metas:
        if not isinstance(item, dict):
            raise ApiError(400, "JSON schema validation failed")
        _apply_meta(ctx, rec, item)
    bits = ctx.store.databoxes[rec.databox_id].status_bits
    for item in status:
        if not isinstance(item, dict) or item.get("bit") not in bits:
            raise ApiError(400, "JSON schema validation failed: unknown status bit")
        state = item.get("state")
        if not isinstance(state, bool):
            raise ApiError(400, "JSON schema validation failed: state must be a boolean")
        bit = int(item["bit"])
        rec.status = rec.status | (1 << bit) if state else rec.status & ~(1 << bit)
    if "base_id" in doc:
        coll = (
            ctx.store.collections.get(doc["base_id"]) if isinstance(doc["base_id"], int) else None
        )
        if coll is None or coll.databox_id != rec.databox_id:
            raise ApiError(400, "Invalid base_id")
        rec.base_id = coll.base_id
    titles = [v for s, v in rec.metas.values() if s == 1]
    if titles:
        rec.title = titles[0]


def _apply_meta(ctx: Ctx, rec: Record, item: dict[str, Any]) -> None:
    sid = _struct_id(ctx, rec, item)
    action = item.get("action", "set")
    if action not in _ACTIONS:
        raise ApiError(400, "JSON schema validation failed: bad action")
    raw = item.get("value")
    values = raw if isinstance(raw, list) else [] if raw is None else [raw]
    values = [str(v) for v in values]
    method = str(item.get("match_method", "strict"))
    mid = item.get("meta_id")
    current = [m for m, (s, _) in rec.metas.items() if s == sid]
    if isinstance(mid, int) and mid in current:
        current = [mid]
    if action == "set":
        for m in current:
            del rec.metas[m]
        for v in values:
            add_meta(ctx.store, rec, sid, v)
    elif action == "add":
        for v in values:
            add_meta(ctx.store, rec, sid, v)
    elif action == "delete":
        for m in current:
            if not values or any(_matches(rec.metas[m][1], v, method) for v in values):
                del rec.metas[m]
    else:
        repl = str(item.get("replace_with", ""))
        for m in current:
            old = rec.metas[m][1]
            if any(_matches(old, v, method) for v in values):
                rec.metas[m] = (sid, repl)
