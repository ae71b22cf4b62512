"""The one cattrs converter for OpenAsset models, tolerant of old servers.

Older servers send scalars as strings (`"id": "2"`), flags as 1/0 or "1"/"0", dates as
`YYYYMMDDhhmmss` with `""`/`"0"` for none, and `""` or `0` for unset values. Reading accepts all of
it; a value that cannot be read leaves the field `None` and keeps the raw value in `extra`.
Unknown keys land in each model's `extra`.
"""

from __future__ import annotations

import datetime as _dt
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import cattrs

__all__ = ["converter", "format_datetime", "parse_datetime", "structure"]

_EMPTY = ("", None)


def parse_datetime(value: Any) -> _dt.datetime | None:
    """`YYYYMMDDhhmmss` (server-local, no zone) -> naive datetime; empty, "0" or zeros -> None."""
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"not an OpenAsset date: {value!r}")
    text = value.strip()
    if text in {"", "0"} or set(text) == {"0"}:
        return None
    if len(text) == 8 and text.isdigit():
        text += "000000"
    return _dt.datetime.strptime(text, "%Y%m%d%H%M%S")


def format_datetime(value: _dt.datetime | _dt.date) -> str:
    """A datetime as the 14-digit string OpenAsset compares and stores."""
    if not isinstance(value, _dt.datetime):
        value = _dt.datetime(value.year, value.month, value.day)
    return value.strftime("%Y%m%d%H%M%S")


def _int(value: Any) -> int | None:
    if value in _EMPTY:
        return None
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


def _float(value: Any) -> float | None:
    if value in _EMPTY:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        return float(value.strip())
    raise ValueError(f"not a number: {value!r}")


def _bool(value: Any) -> bool | None:
    if value in _EMPTY:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"1", "true", "yes", "y", "t"}:
            return True
        if text in {"0", "false", "no", "n", "f"}:
            return False
    raise ValueError(f"not a flag: {value!r}")


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"not a string: {value!r}")


_SCALARS: dict[Any, Callable[[Any], Any]] = {
    int: _int,
    float: _float,
    bool: _bool,
    str: _str,
    _dt.datetime: parse_datetime,
}

converter = cattrs.Converter()


def _optional_inner(tp: Any) -> Any:
    """`X | None` -> X; anything else unchanged."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _field_reader(tp: Any) -> Callable[[Any], Any]:
    inner = _optional_inner(tp)
    if inner in _SCALARS:
        return _SCALARS[inner]
    if inner is Any:
        return lambda v: v
    origin = typing.get_origin(inner)
    if origin in (list, tuple):
        (item_type, *_rest) = typing.get_args(inner) or (Any,)
        read_item = _field_reader(item_type)

        def read_list(value: Any) -> Any:
            if value in _EMPTY:
                return None
            if not isinstance(value, list):
                raise ValueError(f"not a list: {value!r}")
            out = [read_item(v) for v in value]
            return tuple(out) if origin is tuple else out

        return read_list
    if attrs.has(inner):

        def read_model(value: Any) -> Any:
            if value in _EMPTY or value == []:
                return None
            return converter.structure(value, inner)

        return read_model
    return lambda v: converter.structure(v, inner)


def _model_factory(cls: type[Any]) -> Callable[[Any, Any], Any]:
    attrs.resolve_types(cls)
    fields = [f for f in attrs.fields(cls) if f.name != "extra"]
    readers = {f.name: _field_reader(f.type) for f in fields}
    has_extra = "extra" in attrs.fields_dict(cls)

    def structure_model(data: Any, _: Any) -> Any:
        if not isinstance(data, Mapping):
            raise cattrs.errors.StructureHandlerNotFoundError(
                f"expected an object for {cls.__name__}, got {type(data).__name__}", cls
            )
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            reader = readers.get(key)
            if reader is None:
                extra[key] = value
                continue
            try:
                known[key] = reader(value)
            except (ValueError, TypeError, cattrs.errors.BaseValidationError):
                extra[key] = value  # unreadable: keep it rather than lose or crash
        if has_extra:
            known["extra"] = extra
        return cls(**known)

    return structure_model


converter.register_structure_hook_factory(attrs.has, _model_factory)


def structure(data: Any, cls: type[Any]) -> Any:
    """Structure one decoded JSON value into a model class."""
    return converter.structure(data, cls)
