"""The basic argument checks shared by `Engine(...)` and the client constructors: each bad value
is an `InvalidArgumentError` naming its field (values are described by type, never echoed)."""

from __future__ import annotations

from typing import Any

from asyncdam.engine.errors import InvalidArgumentError

__all__ = ["check_bool", "check_int", "kind_of"]


def kind_of(value: Any) -> str:
    """The type name used to describe a bad value without showing it."""
    return type(value).__name__


def check_int(field: str, value: Any, *, minimum: int = 1) -> int:
    """`value` as an int of at least `minimum`; bools and numeric strings are refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(field, f"must be an integer >= {minimum}, got {kind_of(value)}")
    if value < minimum:
        raise InvalidArgumentError(field, f"must be an integer >= {minimum}, got {value}")
    return value


def check_bool(field: str, value: Any) -> bool:
    """`value` if it is a real bool (`"yes"` or `1` would hide a typo)."""
    if not isinstance(value, bool):
        raise InvalidArgumentError(field, f"must be True or False, got {kind_of(value)}")
    return value
