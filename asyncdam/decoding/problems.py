"""The records of decoding: a field problem kept on a model, a rejected item, the stream policy."""

from __future__ import annotations

from typing import Any, Literal

import attrs

from asyncdam.engine.errors import DecodeError, InvalidArgumentError

__all__ = [
    "DEFAULT_ON_INVALID",
    "DecodeProblem",
    "InvalidItem",
    "InvalidItemError",
    "ItemRejected",
    "OnInvalid",
    "check_on_invalid",
    "problems_field",
]

OnInvalid = Literal["raise", "skip", "raw"]
"""What a listing does with an item it cannot decode: raise, skip (counted), or yield it raw."""

DEFAULT_ON_INVALID: OnInvalid = "skip"
"""Skip, count (`engine.stats.invalid_items`), log a warning and emit `invalid_item`: one broken
item never ends a bulk listing, and none disappears without a trace."""

_POLICIES = frozenset({"raise", "skip", "raw"})


def check_on_invalid(value: str) -> OnInvalid:
    """Validate `on_invalid=`; a typo is an `InvalidArgumentError` naming the choices."""
    if value not in _POLICIES:
        raise InvalidArgumentError(
            "on_invalid", f"must be one of 'raise', 'skip', 'raw'; got {value!r}"
        )
    return value  # type: ignore[return-value]


@attrs.frozen
class DecodeProblem:
    """One field the server sent that could not be read as its type; the raw value is in `extra`."""

    field: str
    reason: str


def problems_field() -> Any:
    """A model's `problems` field: what decoding could not read (raw values are in `extra`).

    Empty by default, and neither shown in `repr` nor part of equality.
    """
    return attrs.field(default=(), repr=False, eq=False)


@attrs.frozen
class InvalidItem:
    """An item of a listing that could not become a model: where it was and why."""

    index: int
    reason: str
    raw: object = attrs.field(repr=False, eq=False)


class ItemRejected(ValueError):
    """An item is not an object, or lacks the fields that identify it."""


class InvalidItemError(DecodeError):
    """A listing met an item it could not decode and its policy is `on_invalid="raise"`."""

    def __init__(
        self, reason: str, *, page: int, index: int, method: str = "", url: str = ""
    ) -> None:
        self.page = page
        self.index = index
        self.reason = reason
        super().__init__(f"page {page}, item {index}: {reason}", method=method, url=url)
