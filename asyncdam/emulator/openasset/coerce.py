"""Turning a client's JSON object into stored values: coercion, limits, ignored fields, links."""

from __future__ import annotations

import re
from typing import Any

import attrs

from asyncdam.emulator.openasset.errors import ApiError
from asyncdam.emulator.openasset.schema import STRING_LIMIT, TEXT_LIMIT, NounSpec
from asyncdam.emulator.openasset.store import Record

_DT = re.compile(r"^\d{14}$")
# Lists a parent object may carry inline; each replaces the matching nested list.
EMBEDDED: dict[str, dict[str, str]] = {
    "Files": {"keywords": "Keywords", "fields": "Fields"},
    "Projects": {"projectKeywords": "ProjectKeywords", "fields": "Fields"},
    "Albums": {"files": "Files", "users": "Users", "groups": "Groups"},
    "Searches": {"users": "Users", "groups": "Groups"},
    "Groups": {"users": "Users"},
}


@attrs.define
class Parsed:
    """A write body split into field updates, inline lists and ignored keys."""

    values: Record = attrs.Factory(dict)
    lists: dict[str, Any] = attrs.Factory(dict)
    ignored: list[str] = attrs.Factory(list)


def coerce_value(name: str, kind: str, raw: Any) -> Any:
    """One incoming value in stored form; ApiError(400) when it cannot be."""
    if kind in "ibc":
        if isinstance(raw, bool):
            raw = int(raw)
        if isinstance(raw, str) and raw.strip() == "":
            return 0
        try:
            number = int(str(raw).strip())
        except ValueError:
            raise ApiError(400, f"Invalid value for field {name}") from None
        if kind == "b" and number not in (0, 1):
            raise ApiError(400, f"Invalid value for field {name}")
        return number
    if kind == "f":
        try:
            return float(raw)
        except (TypeError, ValueError):
            raise ApiError(400, f"Invalid value for field {name}") from None
    if kind == "d":
        text = "" if raw is None else str(raw).strip()
        if text in ("", "0"):
            return ""
        if not _DT.match(text) or text == "19700101000000":
            raise ApiError(400, f"Invalid date for field {name}")
        return text
    if kind == "j":
        if not isinstance(raw, list) or not all(isinstance(i, dict) for i in raw):
            raise ApiError(400, f"Invalid value for field {name}: expected a list of objects")
        return raw
    if raw is None or isinstance(raw, dict | list):
        raise ApiError(400, f"Invalid value for field {name}")
    text = str(raw)
    limit = STRING_LIMIT if kind == "s" else TEXT_LIMIT
    if len(text) > limit:
        raise ApiError(400, f"Value for field {name} exceeds the maximum length of {limit}")
    return text


def parse_body(spec: NounSpec, body: Any, *, creating: bool) -> Parsed:
    """Split a JSON object into writable values, inline lists and ignored keys."""
    if not isinstance(body, dict):
        raise ApiError(400, "Expected a JSON object")
    parsed = Parsed()
    embedded = EMBEDDED.get(spec.name, {})
    for key, raw in body.items():
        if key == "id" and not creating:
            continue
        if key in embedded:
            if not isinstance(raw, list):
                raise ApiError(400, f"Invalid value for field {key}")
            parsed.lists[key] = raw
            continue
        field = spec.fields.get(key)
        if field is None or not field.writable:
            parsed.ignored.append(key)
            continue
        parsed.values[key] = coerce_value(key, field.kind, raw)
    return parsed


def default_row(spec: NounSpec) -> Record:
    """A new row with every field at its empty value ("" or 0; alive on)."""
    row: Record = {}
    for name, field in spec.fields.items():
        if name == "id":
            continue
        row[name] = "" if field.kind in "stdj" else 0
    if "alive" in row:
        row["alive"] = 1
    if "search_items" in row:
        row["search_items"] = []
    return row


def link_entries(raw: list[Any], child: str) -> list[Record]:
    """Inline or nested list entries, validated for shape ({"id": n, ...})."""
    entries: list[Record] = []
    for item in raw:
        if isinstance(item, int | str) and not isinstance(item, bool):
            item = {"id": item}
        if not isinstance(item, dict) or "id" not in item:
            raise ApiError(400, f"Invalid entry in {child}: each needs an id")
        try:
            ident = int(item["id"])
        except (TypeError, ValueError):
            raise ApiError(400, f"Invalid id in {child}") from None
        entry: Record = {"id": ident}
        if child == "Fields":
            values = item.get("values", [])
            if not isinstance(values, list):
                raise ApiError(400, "Field values must be a list")
            entry["values"] = [str(v) for v in values]
        if child in ("Users", "Groups"):
            entry["can_modify"] = coerce_value("can_modify", "b", item.get("can_modify", 0))
        if child == "Files" and "display_order" in item:
            entry["display_order"] = coerce_value("display_order", "i", item["display_order"])
        if child == "Sizes":
            entry["recreate"] = coerce_value("recreate", "b", item.get("recreate", 0))
        entries.append(entry)
    return entries
