"""Values for the spec-driven handler (pure): request bodies checked against the spec's request
schemas, answers built from its response schemas.

An answer takes each property from the stored record when its value fits the schema (after the
same lenient coercions the service applies to input: numeric strings, "true"/"1", comma lists),
and otherwise a value made from the schema: the record's own id and timestamps, ids derived from
it, the first enum value, empty lists, nested objects filled the same way.
"""

from __future__ import annotations

import hashlib
from typing import Any

import attrs
from starlette.datastructures import UploadFile

from asyncdam.emulator.phrase.spec_model import Schemas
from asyncdam.emulator.phrase.web import parse_bool

MAX_DEPTH = 4
BOOKKEEPING = frozenset({"id", "created_at", "updated_at", "_noun"})
SEP = ","


@attrs.frozen
class Seed:
    """Where made-up values come from: the record's id, its times and known nested objects."""

    key: str
    created: str
    updated: str
    resource: str
    known: dict[str, Any] = attrs.field(factory=dict)


def derived_id(seed: str, path: str) -> str:
    """A stable 32-hex id for the value at `path` of the record `seed`."""
    return hashlib.md5(f"{seed}:{path}".encode(), usedforsecurity=False).hexdigest()


def render(schemas: Schemas, schema: Any, value: Any, seed: Seed, path: str = "") -> Any:
    """The value for `schema` at `path`, taken from `value` when it fits, else made up."""
    node = schemas.resolve(schema)
    name = path.rsplit(".", 1)[-1]
    if value is None and path:
        value = seed.known.get(name)
        if value is None and node.get("nullable"):
            return None
    kind = node.get("type") or ("object" if "properties" in node else "")
    if kind == "object":
        return _object(schemas, node, value, seed, path)
    if kind == "array":
        items = node.get("items", {})
        if isinstance(value, str) and schemas.resolve(items).get("type") == "string":
            value = [part.strip() for part in value.split(SEP) if part.strip()]
        if not isinstance(value, list):
            return []
        return [render(schemas, items, v, seed, f"{path}[{i}]") for i, v in enumerate(value)]
    return _scalar(node, kind, value, seed, path)


def _object(schemas: Schemas, node: dict[str, Any], value: Any, seed: Seed, path: str) -> Any:
    props: dict[str, Any] = node.get("properties", {})
    if not isinstance(value, dict):
        value = {}
    if not props:
        # A free-form map holds what was sent, never the record's own bookkeeping.
        entries = {k: v for k, v in value.items() if path or k not in BOOKKEEPING}
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            return {k: render(schemas, extra, v, seed, f"{path}.{k}") for k, v in entries.items()}
        return entries
    depth = path.count(".") + path.count("[")
    required = set(node.get("required", ()))
    out: dict[str, Any] = {}
    for prop, sub in props.items():
        if depth >= MAX_DEPTH and prop not in required and prop not in value:
            continue
        out[prop] = render(schemas, sub, value.get(prop), seed, f"{path}.{prop}" if path else prop)
    return out


def _scalar(node: dict[str, Any], kind: str, value: Any, seed: Seed, path: str) -> Any:
    fitted = coerce(node, kind, value)
    if fitted is not None:
        return fitted
    name = path.rsplit(".", 1)[-1]
    enum = node.get("enum")
    if enum:
        return enum[0]
    if kind == "boolean":
        return False
    if kind == "integer":
        return 0
    if kind == "number":
        return 0.0
    if kind != "string" and kind:
        return None
    return _made_string(node, name, seed, path)


def _made_string(node: dict[str, Any], name: str, seed: Seed, path: str) -> str:
    fmt = node.get("format", "")
    if fmt == "date-time" or name.endswith("_at"):
        return seed.updated if name == "updated_at" else seed.created
    if fmt == "date":
        return seed.created[:10]
    if name == "id" and "." not in path:
        return seed.key
    if name == "id" or name.endswith("_id"):
        return derived_id(seed.key, path)
    if "url" in name or fmt in ("uri", "url"):
        return f"https://emulator.invalid/{seed.resource.lower()}/{seed.key}"
    if "email" in name:
        return "emulator@example.com"
    if name in ("name", "title", "username"):
        return f"{seed.resource} {seed.key[:8]}"
    return ""


def coerce(node: dict[str, Any], kind: str, value: Any) -> Any:
    """`value` as the scalar type of `node` (numeric strings, "true"/"1"...), or None."""
    if value is None:
        return None
    enum = node.get("enum")
    if kind == "boolean":
        return parse_bool(value)
    if kind in ("integer", "number"):
        if isinstance(value, bool):
            return None
        try:
            number = float(value) if kind == "number" else int(str(value).strip())
        except (TypeError, ValueError):
            return None
        return number if not enum or number in enum else None
    if kind in ("string", ""):
        if isinstance(value, bool) or isinstance(value, (list, dict)):
            return None
        text = value if isinstance(value, str) else str(value)
        return text if not enum or text in enum else None
    return None


def check_body(schemas: Schemas, schema: dict[str, Any], args: dict[str, Any]) -> tuple[
    dict[str, Any], list[tuple[str, str]]
]:  # fmt: skip
    """The declared fields of `args`, coerced, and the (field, message) failures, Rails-style."""
    props: dict[str, Any] = schema.get("properties", {})
    errors: list[tuple[str, str]] = []
    clean: dict[str, Any] = {}
    for field in schema.get("required", ()):
        value = args.get(field)
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            errors.append((field, "can't be blank"))
    for field, raw_sub in props.items():
        if field not in args or args[field] is None:
            continue
        sub = schemas.resolve(raw_sub)
        ok, value = _field(schemas, sub, args[field])
        limit = sub.get("maxLength")
        if ok and isinstance(value, str) and isinstance(limit, int) and len(value) > limit:
            errors.append((field, f"is too long (maximum is {limit} characters)"))
        elif ok:
            clean[field] = value
        elif not any(f == field for f, _ in errors):
            errors.append((field, _why(sub)))
    return clean, errors


def _field(schemas: Schemas, node: dict[str, Any], value: Any) -> tuple[bool, Any]:
    kind = node.get("type") or ("object" if "properties" in node else "")
    if node.get("format") == "binary":
        accepted = node.get("x-accepted-formats")
        name = _file_name(value)
        suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if accepted and isinstance(value, UploadFile) and suffix not in accepted:
            return False, None
        return isinstance(value, (UploadFile, str, bytes)), name
    if kind == "array":
        items = schemas.resolve(node.get("items", {}))
        if isinstance(value, str) and items.get("type") in ("string", None):
            return True, [part.strip() for part in value.split(SEP) if part.strip()]
        if not isinstance(value, list):
            return False, None
        if items.get("type") == "string":
            fitted = [coerce(items, "string", v) for v in value]
            return all(v is not None for v in fitted), fitted
        return True, value
    if kind == "object":
        return isinstance(value, dict), value
    if not kind:
        return True, value
    fitted = coerce(node, kind, value)
    return fitted is not None, fitted


def _file_name(value: Any) -> str:
    # A stored record keeps a file's name, never its bytes.
    if isinstance(value, UploadFile):
        return value.filename or "upload"
    return value if isinstance(value, str) else "upload"


def _why(node: dict[str, Any]) -> str:
    if node.get("enum"):
        return "is not included in the list"
    kind = node.get("type")
    if kind == "boolean":
        return "is not a boolean"
    if kind in ("integer", "number"):
        return "is not a number"
    return "is invalid"
