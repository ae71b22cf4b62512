"""Strict encoding of what the client sends: known fields, 1/0 flags, 14-digit dates."""

from __future__ import annotations

import datetime as _dt
import re
import types
import typing
from collections.abc import Mapping
from typing import Any

import attrs

from asyncdam.engine.errors import InvalidRequestError
from asyncdam.openasset.converter import format_datetime
from asyncdam.openasset.models import FieldValue, Model, Ref
from asyncdam.openasset.nouns import NounSpec

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_EPOCH = _dt.datetime(1970, 1, 1)
_NOT_SENT = frozenset({"extra", "problems"})  # read-side bookkeeping, never sent back
WriteData = Mapping[str, Any] | Model


def _inner(tp: Any) -> Any:
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else Any
    return tp


def _types(model: type[Any]) -> dict[str, Any]:
    attrs.resolve_types(model)
    return {f.name: _inner(f.type) for f in attrs.fields(model) if f.name not in _NOT_SENT}


def _encode_ref(value: Any, field: str) -> dict[str, Any]:
    if isinstance(value, bool):
        raise InvalidRequestError(f"{field}: entries are ids or {{'id': n}} objects")
    if isinstance(value, int):
        return {"id": value}
    if isinstance(value, Ref | FieldValue | Model):
        return encode_value(value, field)  # type: ignore[no-any-return]
    if isinstance(value, Mapping) and "id" in value:
        return {str(k): encode_value(v, f"{field}.{k}") for k, v in value.items()}
    raise InvalidRequestError(f"{field}: entries are ids or {{'id': n}} objects")


def encode_value(value: Any, field: str, kind: Any = Any) -> Any:
    """One value as JSON the server accepts; refuses what it would misread."""
    if value is None:
        raise InvalidRequestError(f"{field}: None cannot be sent; send '' to clear a value")
    if kind is bool:
        if isinstance(value, bool) or value in (0, 1):
            return 1 if value else 0
        raise InvalidRequestError(f"{field}: expected a flag (bool or 0/1), got {value!r}")
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidRequestError(f"{field}: expected an integer, got {value!r}")
    if kind is float and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise InvalidRequestError(f"{field}: expected a number, got {value!r}")
    if kind is str and not isinstance(value, str):
        raise InvalidRequestError(f"{field}: expected a string, got {value!r}")
    if kind is _dt.datetime and not isinstance(value, _dt.datetime | _dt.date | str):
        raise InvalidRequestError(f"{field}: expected a datetime, got {value!r}")
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, _dt.datetime | _dt.date):
        moment = value if isinstance(value, _dt.datetime) else _dt.datetime(*value.timetuple()[:3])
        if moment == _EPOCH:
            raise InvalidRequestError(f"{field}: the server rejects 19700101000000 as a date")
        return format_datetime(moment)
    if attrs.has(type(value)):
        return {
            k: encode_value(v, f"{field}.{k}")
            for k, v in attrs.asdict(value, recurse=False).items()
            if k not in _NOT_SENT and v is not None
        } | dict(getattr(value, "extra", {}))
    if isinstance(value, list | tuple):
        return [encode_value(v, field) for v in value]
    if isinstance(value, Mapping):
        return {str(k): encode_value(v, f"{field}.{k}") for k, v in value.items()}
    if isinstance(value, str | int | float):
        return value
    raise InvalidRequestError(f"{field}: cannot send a {type(value).__name__}")


def encode_body(
    spec: NounSpec, data: WriteData, *, with_id: bool | None = None, what: str = "body"
) -> dict[str, Any]:
    """One object for POST/PUT: every key known to the noun (or a custom field where allowed).

    `with_id`: True requires an integer `id`, False refuses one, None leaves it optional.
    """
    if isinstance(data, Model):
        raw = {
            k: v
            for k, v in attrs.asdict(data, recurse=False).items()
            if k not in _NOT_SENT and v is not None
        }
    elif isinstance(data, Mapping):
        raw = dict(data)
    else:
        raise InvalidRequestError(
            f"{what}: expected a mapping or a model, got {type(data).__name__}"
        )
    kinds = _types(spec.model)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not _NAME.match(key):
            raise InvalidRequestError(f"{what}: invalid field name {key!r}")
        if key not in kinds and not spec.open_fields:
            raise InvalidRequestError(f"{what}: {spec.name} has no field {key!r}")
        kind = kinds.get(key, Any)
        if typing.get_origin(kind) is list:
            if not isinstance(value, list | tuple):
                raise InvalidRequestError(f"{what}: {key} takes a list")
            out[key] = [_encode_ref(v, key) for v in value]
        else:
            out[key] = encode_value(value, key, kind)
    ident = out.get("id")
    if with_id is True and (isinstance(ident, bool) or not isinstance(ident, int)):
        raise InvalidRequestError(f"{what}: an integer id is required")
    if with_id is False and "id" in out:
        raise InvalidRequestError(f"{what}: a new {spec.name} object must not carry an id")
    if not out:
        raise InvalidRequestError(f"{what}: nothing to send")
    return out


def encode_refs(items: Any, what: str) -> list[dict[str, Any]]:
    """A nested list body: ints or `{"id": n, ...}` objects."""
    if isinstance(items, str | bytes | Mapping) or not hasattr(items, "__iter__"):
        raise InvalidRequestError(f"{what}: expected a list of ids or objects")
    return [_encode_ref(v, what) for v in items]


def ignored_fields(headers: Mapping[str, str]) -> tuple[str, ...]:
    """`X-Ignored-Fields: a,b` -> ("a", "b")."""
    raw = headers.get("x-ignored-fields") or headers.get("X-Ignored-Fields") or ""
    return tuple(p.strip() for p in raw.split(",") if p.strip())
