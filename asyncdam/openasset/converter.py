"""OpenAsset's rules over the shared decoding layer (`asyncdam.decoding`).

Older servers send dates as `YYYYMMDDhhmmss` (server-local, no zone) with `""`/`"0"` for none,
flags as any number (non-zero is true) and `""` for unset; items are identified by `id`.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from asyncdam.decoding import ABSENT, Decoder, Rules, lenient
from asyncdam.openasset.models import Model, SearchResult

__all__ = ["decoder", "format_datetime", "parse_datetime", "rules", "structure"]


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


def _datetime(value: Any) -> Any:
    parsed = parse_datetime(value)
    return ABSENT if parsed is None else parsed


def _bool(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    return lenient.to_bool(value)


def _identity(cls: type[Any]) -> tuple[str, ...]:
    # A search result row is `{"file_id": n}`: it has no `id` of its own.
    if issubclass(cls, SearchResult):
        return ("file_id",)
    return ("id",) if issubclass(cls, Model) else ()


rules = Rules(identity=_identity).with_scalars(datetime=_datetime, bool=_bool)
decoder = Decoder(rules)
"""The one decoder of OpenAsset models."""


def structure(data: Any, cls: type[Any]) -> Any:
    """Structure one decoded JSON object into a model class (no identity check)."""
    return decoder.structure(data, cls)
