"""Top-level writes: POST (create), PUT (update), DELETE and MERGE, single or bulk.

Bulk answers are positional: each entry is the written object or an error object, and the
overall status stays 200. Keys that were not applied are listed in `X-Ignored-Fields`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.responses import Response

from asyncdam.emulator.openasset.coerce import (
    EMBEDDED,
    Parsed,
    default_row,
    link_entries,
    parse_body,
)
from asyncdam.emulator.openasset.errors import ApiError, error_entry
from asyncdam.emulator.openasset.nested import NESTED
from asyncdam.emulator.openasset.render import Ctx, json_response
from asyncdam.emulator.openasset.schema import FOREIGN_KEYS, NounSpec
from asyncdam.emulator.openasset.seed import now_dt
from asyncdam.emulator.openasset.store import LINKED, Record

Output = Any  # a rendered row, produced by the caller-supplied renderer


def check_refs(spec: NounSpec, values: Record, ctx: Ctx, row: Record | None) -> None:
    """Cross-row rules: project codes, file categories/projects, unique usernames."""
    store = ctx.store
    if spec.name == "Projects" and "code" in values and not str(values["code"]).strip():
        raise ApiError(400, "Invalid project code")
    if spec.name == "Files":
        merged: Record = {**(row or {}), **values}
        category_id = int(merged.get("category_id") or 0)
        category = store.get("Categories", category_id)
        if category is None:
            raise ApiError(400, f"Invalid category_id {category_id}")
        project_id = int(merged.get("project_id") or 0)
        if category["projects_category"] and store.get("Projects", project_id) is None:
            raise ApiError(400, "A project_id is required for files in a projects category")
    if spec.name == "Users" and "username" in values:
        for other in store.table("Users").values():
            if other["username"] == values["username"] and (row is None or other is not row):
                raise ApiError(400, f"Username {values['username']} already exists")


def apply_lists(noun: str, pid: int, lists: dict[str, Any], ctx: Ctx) -> None:
    """Inline lists in a parent body replace the nested lists they name."""
    for key, raw in lists.items():
        child = EMBEDDED[noun][key]
        entries = link_entries(raw, NESTED[(noun, child)].child_noun)
        if child == "Files" and noun == "Albums":
            for n, entry in enumerate(entries):
                entry.setdefault("display_order", n)
        ctx.store.link(noun, child, pid)[:] = entries


def create_one(spec: NounSpec, item: Any, ctx: Ctx, ignored: list[str]) -> Record:
    """Validate and insert one row; ApiError for this item alone."""
    if spec.name == "Files":
        raise ApiError(400, "Files must be uploaded as multipart/form-data")
    parsed = parse_body(spec, item, creating=True)
    values = parsed.values
    if spec.name == "Projects" and not str(values.get("code", "")).strip():
        raise ApiError(400, "Invalid project code")
    for name in spec.required:
        if str(values.get(name, "")).strip() in ("", "0"):
            raise ApiError(400, f"Missing required field {name}")
    check_refs(spec, values, ctx, None)
    _validate_lists(spec, parsed, ctx)
    ignored.extend(k for k in parsed.ignored if k not in ignored)
    row = default_row(spec)
    row.update(values)
    stamp = now_dt()
    for name in ("created", "updated"):
        if name in row:
            row[name] = stamp
    if "user_id" in row and not row["user_id"]:
        row["user_id"] = ctx.caller.user_id
    if "can_modify" in row:
        row["can_modify"] = 1
    created = ctx.store.insert(spec.name, row)
    if spec.name == "Albums":
        created["code"] = hashlib.md5(
            f"album{created['id']}".encode(), usedforsecurity=False
        ).hexdigest()
    if spec.name == "Fields":
        created["rest_code"] = created["code"] or f"field_{created['id']}"
    if spec.name == "Employees":
        created["descriptor"] = f"{created['first_name']} {created['last_name']}".strip()
    apply_lists(spec.name, created["id"], parsed.lists, ctx)
    return created


def _validate_lists(spec: NounSpec, parsed: Parsed, ctx: Ctx) -> None:
    """Check inline lists before anything changes, so a bad item leaves no trace."""
    for key, raw in parsed.lists.items():
        nested = NESTED[(spec.name, EMBEDDED[spec.name][key])]
        table = ctx.store.table(nested.child_noun)
        for entry in link_entries(raw, nested.child_noun):
            if entry["id"] not in table:
                raise ApiError(400, f"Invalid id {entry['id']} in {key}")


def update_one(spec: NounSpec, row: Record, item: Any, ctx: Ctx, ignored: list[str]) -> Record:
    """Field-wise update of one row; ApiError for this item alone (nothing changed then)."""
    parsed = parse_body(spec, item, creating=False)
    check_refs(spec, parsed.values, ctx, row)
    _validate_lists(spec, parsed, ctx)
    ignored.extend(k for k in parsed.ignored if k not in ignored)
    row.update(parsed.values)
    if "updated" in row:
        row["updated"] = now_dt()
    apply_lists(spec.name, row["id"], parsed.lists, ctx)
    return row


def ignored_header(ignored: list[str]) -> dict[str, str]:
    """`X-Ignored-Fields: a,b` when some keys were not applied."""
    return {"X-Ignored-Fields": ",".join(ignored)} if ignored else {}


def post_collection(spec: NounSpec, body: Any, ctx: Ctx, render: Any) -> Response:
    """POST /<Noun>: one object -> one object; an array -> positional results under 200."""
    ignored: list[str] = []
    if isinstance(body, list):
        out: list[Any] = []
        for item in body:
            try:
                out.append(render(create_one(spec, item, ctx, ignored)))
            except ApiError as exc:
                out.append(error_entry(exc.status, exc.message))
        ctx.stats.bulk_items += len(body)
        return json_response(out, ctx, 200, ignored_header(ignored))
    row = create_one(spec, body, ctx, ignored)
    return json_response(render(row), ctx, 201, ignored_header(ignored))


def put_collection(spec: NounSpec, body: Any, ctx: Ctx, render: Any) -> Response:
    """PUT /<Noun> with `[{"id": …, …}]`: bulk update; X-Full-Results-Count = rows updated."""
    items = body if isinstance(body, list) else [body]
    ignored: list[str] = []
    out: list[Any] = []
    updated = 0
    for item in items:
        try:
            if not isinstance(item, dict) or "id" not in item:
                raise ApiError(400, "An id is required to update an object")
            row = ctx.store.get(spec.name, _int_id(item["id"]))
            if row is None:
                raise ApiError(404, "Requested object not found")
            out.append(render(update_one(spec, row, item, ctx, ignored)))
            updated += 1
        except ApiError as exc:
            out.append(error_entry(exc.status, exc.message))
    ctx.stats.bulk_items += len(items)
    headers = ignored_header(ignored) | {
        "X-Full-Results-Count": str(updated),
        "X-Display-Results-Count": str(len(out)),
    }
    return json_response(out if isinstance(body, list) else out[0], ctx, 200, headers)


def _int_id(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ApiError(400, "Invalid id") from None


def delete_collection(spec: NounSpec, body: Any, ids_param: str | None, ctx: Ctx) -> Response:
    """DELETE /<Noun> with `[{"id"}]` (or `?id=1,2`): `[]` on success, else the failures."""
    if body is None and ids_param:
        body = [{"id": p} for p in ids_param.split(",") if p.strip()]
    if body is None:
        raise ApiError(400, "No JSON body provided for DELETE request")
    items = body if isinstance(body, list) else [body]
    errors: list[Any] = []
    for item in items:
        try:
            if not isinstance(item, dict) or "id" not in item:
                raise ApiError(400, "An id is required to delete an object")
            ident = _int_id(item["id"])
            if not ctx.store.delete(spec.name, ident):
                raise ApiError(404, "Requested object not found")
        except ApiError as exc:
            errors.append(
                error_entry(
                    exc.status, exc.message, id=item.get("id") if isinstance(item, dict) else None
                )
            )
    ctx.stats.bulk_items += len(items)
    return json_response(errors, ctx, 200)


def merge(spec: NounSpec, target: Record, body: Any, ctx: Ctx) -> Record:
    """MERGE /<Noun>/{target} `[{"id": source}]`: move every reference to target, drop sources."""
    store = ctx.store
    items = body if isinstance(body, list) else [body]
    sources: list[int] = []
    for item in items:
        if not isinstance(item, dict) or "id" not in item:
            raise ApiError(400, "Each merge source needs an id")
        ident = _int_id(item["id"])
        if store.get(spec.name, ident) is None:
            raise ApiError(404, "Requested object not found")
        if ident != target["id"]:
            sources.append(ident)
    moved = set(sources)
    for table, column in FOREIGN_KEYS.get(spec.name, []):
        for row in store.table(table).values():
            if row[column] in moved:
                row[column] = target["id"]
    for parent, child in LINKED:
        links = store.links[(parent, child)]
        if NESTED[(parent, child)].child_noun == spec.name:
            for entries in links.values():
                seen: set[int] = set()
                kept = []
                for entry in entries:
                    if entry["id"] in moved:
                        entry["id"] = target["id"]
                    if entry["id"] not in seen:
                        seen.add(entry["id"])
                        kept.append(entry)
                entries[:] = kept
        if parent == spec.name:
            mine = store.link(parent, child, target["id"])
            have = {e["id"] for e in mine}
            for source in sources:
                for entry in links.get(source, []):
                    if entry["id"] not in have:
                        have.add(entry["id"])
                        mine.append(dict(entry))
    for source in sources:
        store.delete(spec.name, source)
    if "updated" in target:
        target["updated"] = now_dt()
    return target
