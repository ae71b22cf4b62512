"""Shared lenient coercions: what the three services send instead of the declared type.

Each coercer takes one raw JSON value and returns the value of the declared type, or `ABSENT`
when the value means "not set" (the field then keeps its default); it raises `ValueError` when
the value cannot be read, and the caller keeps the raw value and records the problem.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any, Final

__all__ = [
    "ABSENT",
    "Coercer",
    "split_commas",
    "to_any",
    "to_bool",
    "to_bool_blank_false",
    "to_datetime_iso",
    "to_float",
    "to_int",
    "to_object",
    "to_str",
]


class _Absent:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final[Any] = _Absent()
"""Returned by a coercer for a value that means "not set": the field keeps its default."""

Coercer = Callable[[Any], Any]


def to_int(value: Any) -> Any:
    """Integers from ints, integral floats, booleans and numeric strings; `""` is absent."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return ABSENT
        try:
            return int(text)
        except ValueError:
            number = float(text)
            if number.is_integer():
                return int(number)
    raise ValueError(f"not an integer: {_short(value)}")


def to_float(value: Any) -> Any:
    """Floats from numbers and numeric strings; `""` is absent."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return ABSENT
        return float(text)
    raise ValueError(f"not a number: {_short(value)}")


_TRUE = frozenset({"true", "1", "yes", "t", "y", "on"})
_FALSE = frozenset({"false", "0", "no", "f", "n", "off"})


def to_bool(value: Any) -> Any:
    """Booleans from 0/1 and the usual words ("0"/"1", "true"/"false", "yes"...); `""` is absent."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        if not text:
            return ABSENT
    raise ValueError(f"not a boolean: {_short(value)}")


def to_bool_blank_false(value: Any) -> Any:
    """`to_bool`, except that `""` means False (PHP servers send a false flag as `""`)."""
    if value == "":
        return False
    return to_bool(value)


def to_str(value: Any) -> Any:
    """Strings, and numbers written as strings (ids sent as numbers by some versions)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"not a string: {_short(value)}")


def to_any(value: Any) -> Any:
    """Any JSON value as it came."""
    return value


def to_object(value: Any) -> Any:
    """A JSON object as a dict; PHP's `[]` is the empty object."""
    if isinstance(value, dict):
        return value
    if isinstance(value, list) and not value:
        return {}
    raise ValueError(f"not an object: {_short(value)}")


def to_datetime_iso(value: Any) -> Any:
    """ISO 8601 (`Z`, offsets, a trailing ` UTC`/` GMT`), or epoch seconds; `""` is absent.

    `datetime.fromisoformat` runs first; the slower clean-up only for what it refuses.
    """
    if isinstance(value, str):
        try:
            return _dt.datetime.fromisoformat(value)
        except ValueError:
            pass
        text = value.strip()
        if not text:
            return ABSENT
        for suffix in (" UTC", " GMT", "UTC", "GMT", " Z"):
            if text.endswith(suffix):
                text = text[: -len(suffix)].rstrip() + "+00:00"
                break
        return _dt.datetime.fromisoformat(text)
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _dt.datetime.fromtimestamp(value, tz=_dt.UTC)
    raise ValueError(f"not a date-time: {_short(value)}")


def split_commas(value: str) -> list[str]:
    """`"a,b, c"` -> `["a", "b", "c"]`: a string meant as a list of strings (never characters)."""
    return [part.strip() for part in value.split(",") if part.strip()]


def _short(value: Any) -> str:
    """A bounded description of a raw value for a problem's reason (never the whole payload)."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
