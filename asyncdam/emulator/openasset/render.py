"""Per-request context and how rows leave the server: version gates, legacy strings, JSON."""

from __future__ import annotations

import json
from typing import Any

import attrs
from starlette.responses import Response

from asyncdam.emulator.openasset.auth import Caller
from asyncdam.emulator.openasset.schema import V9, NounSpec, Version, field_visible
from asyncdam.emulator.openasset.state import Settings, Stats
from asyncdam.emulator.openasset.store import Record, Store

STORAGE_PREFIX = "/storage/"
UNC_ROOT = "\\\\oa-storage\\share\\"
# Flags OpenAsset computes per request; even legacy servers send them as real ints.
COMPUTED_INTS = frozenset({"can_modify", "my_album"})


@attrs.define
class Ctx:
    """Everything a handler needs about the current request and the server."""

    store: Store
    settings: Settings
    stats: Stats
    caller: Caller
    host: str
    params: list[tuple[str, str]]
    version: Version

    def param(self, name: str) -> str | None:
        """The last value given for a query parameter."""
        found = None
        for key, value in self.params:
            if key == name:
                found = value
        return found

    def flag(self, name: str) -> bool:
        """Whether a 0/1 query switch is on."""
        return self.param(name) not in (None, "", "0")


def stringify(value: Any) -> Any:
    """Legacy servers send every scalar as a string, lists and objects recursively."""
    if isinstance(value, dict):
        return {k: (v if k in COMPUTED_INTS else stringify(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [stringify(v) for v in value]
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value)
    return value


def size_output(entry: Record, ctx: Ctx) -> Record:
    """A size entry with its host part: protocol-relative on 9.x+, a server path before."""
    out = dict(entry)
    path = out["relative_path"]
    if ctx.version >= V9:
        out["http_root"] = f"//{ctx.host}{STORAGE_PREFIX}"
        out["http_relative_path"] = path
        out["default_office_size"] = 0
    else:
        out["http_root"] = STORAGE_PREFIX
    out["unc_root"] = UNC_ROOT
    return out


def _album_counts(row: Record, ctx: Ctx) -> None:
    files = ctx.store.links[("Albums", "Files")].get(row["id"], [])
    tables = ctx.store.table("Files")
    levels = [0, 0, 0, 0]
    for entry in files:
        f = tables.get(entry["id"])
        if f is not None:
            levels[min(max(int(f["access_level"]), 1), 4) - 1] += 1
    text = ",".join(str(n) for n in levels)
    row["public_image_count"] = text
    row["private_image_count"] = ",".join("0" for _ in levels)
    row["unapproved_image_count"] = ",".join("0" for _ in levels)
    row["my_album"] = int(row.get("user_id") == ctx.caller.user_id)


def visible_fields(spec: NounSpec, ctx: Ctx) -> list[tuple[str, Any]]:
    """(name, empty value) of every field this server version shows for this request."""
    out: list[tuple[str, Any]] = []
    hero = ctx.flag("withHeroImage")
    for name, field in spec.fields.items():
        if not field_visible(field, ctx.version) or (name == "hero_image_id" and not hero):
            continue
        out.append((name, "" if field.kind in "stdj" else 0))
    return out


def render_row(
    spec: NounSpec, record: Record, ctx: Ctx, names: list[tuple[str, Any]] | None = None
) -> Record:
    """The public form of one row (before expansions and displayFields)."""
    if names is None:
        names = visible_fields(spec, ctx)
    out: Record = {name: record.get(name, empty) for name, empty in names}
    if spec.name == "Albums":
        _album_counts(out, ctx)
    if spec.name in ("Files", "Projects") and ctx.flag("withLocation"):
        out["location"] = record.get("location") or {}
    return out


def trim(row: Record, display: tuple[str, ...] | None, keep: set[str]) -> Record:
    """Apply displayFields, keeping embedded expansions the client asked for."""
    if display is None:
        return row
    return {k: v for k, v in row.items() if k in display or k in keep}


def finish(value: Any, ctx: Ctx) -> Any:
    """Legacy stringification when the server is in legacy mode."""
    return stringify(value) if ctx.settings.legacy_strings else value


def json_response(
    value: Any,
    ctx: Ctx,
    status: int = 200,
    headers: dict[str, str] | None = None,
    head: bool = False,
) -> Response:
    """Serialise a body; for HEAD keep every header (Content-Length too) and drop the body."""
    charset = ctx.settings.charset
    text = json.dumps(finish(value, ctx), ensure_ascii=False, separators=(",", ":"))
    body = text.encode(charset, errors="replace")
    hdrs = dict(headers or {})
    hdrs["content-length"] = str(len(body))
    return Response(b"" if head else body, status, hdrs, f"application/json; charset={charset}")


def list_headers(full: int, shown: int, offset: int, limit: int) -> dict[str, str]:
    """The count headers every list answer carries."""
    return {
        "X-Full-Results-Count": str(full),
        "X-Display-Results-Count": str(shown),
        "X-Offset": str(offset),
        "X-Limit": str(limit),
    }
