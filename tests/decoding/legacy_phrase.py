"""The one cattrs converter for Phrase models: tolerant of what the server really sends.

Unknown fields land in each model's `extra` dict, numeric strings become numbers, `null` and
missing fields become `None`, PHP-style empty arrays stand in for empty objects, and a field that
cannot be read (a garbled date) is left `None` with its raw value kept in `extra`.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import cattrs

__all__ = ["converter", "parse_datetime"]

_SPACE_TZ = re.compile(r"\s*(UTC|GMT|Z)$")


def parse_datetime(value: str) -> _dt.datetime:
    """Parse ISO 8601 leniently: `Z`, offsets, millis, missing seconds, a trailing ` UTC`."""
    text = _SPACE_TZ.sub("+00:00", value.strip())
    parsed = _dt.datetime.fromisoformat(text)
    return parsed


def _structure_datetime(value: Any, _: Any) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _dt.datetime.fromtimestamp(value, tz=_dt.UTC)
    if isinstance(value, str):
        return parse_datetime(value)
    raise ValueError(f"not a date-time: {value!r}")


def _structure_int(value: Any, _: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            number = float(text)
            if number.is_integer():
                return int(number)
    raise ValueError(f"not an integer: {value!r}")


def _structure_float(value: Any, _: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        return float(value.strip())
    raise ValueError(f"not a number: {value!r}")


_TRUE = {"true", "1", "yes", "t"}
_FALSE = {"false", "0", "no", "f", ""}


def _structure_bool(value: Any, _: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"not a boolean: {value!r}")


def _structure_str(value: Any, _: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"not a string: {value!r}")


def _structure_any(value: Any, _: Any) -> Any:
    return value


def _structure_dict(value: Any, _: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list) and not value:
        return {}
    raise ValueError(f"not an object: {value!r}")


def _attrs_hook(conv: cattrs.Converter, cls: type[Any]) -> Callable[[Any, Any], Any]:
    attrs.resolve_types(cls)
    fields = [
        (f.name, str(f.metadata.get("wire", f.name)), f.type)
        for f in attrs.fields(cls)
        if f.name != "extra"
    ]
    wire_names = {wire for _, wire, _ in fields}
    has_extra = any(f.name == "extra" for f in attrs.fields(cls))

    def structure(value: Any, _: Any) -> Any:
        if isinstance(value, list) and not value:
            value = {}
        if not isinstance(value, Mapping):
            raise ValueError(f"{cls.__name__} expects an object, got {type(value).__name__}")
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for name, wire, typ in fields:
            if wire not in value or value[wire] is None:
                continue
            try:
                kwargs[name] = conv.structure(value[wire], typ)
            except Exception:
                # Keep the raw value rather than lose the whole object over one odd field.
                extra[wire] = value[wire]
        for key, item in value.items():
            if key not in wire_names:
                extra[key] = item
        if has_extra:
            kwargs["extra"] = extra
        return cls(**kwargs)

    return structure


def make_converter() -> cattrs.Converter:
    """A fresh converter with the lenient hooks (the module-level `converter` is the shared one)."""
    conv = cattrs.Converter()
    conv.register_structure_hook(_dt.datetime, _structure_datetime)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(Any, _structure_any)
    conv.register_structure_hook_func(
        lambda t: t is dict or getattr(t, "__origin__", None) is dict, _structure_dict
    )
    conv.register_structure_hook_factory(attrs.has, lambda cls: _attrs_hook(conv, cls))
    return conv


converter = make_converter()
