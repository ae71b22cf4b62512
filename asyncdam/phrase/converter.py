"""Phrase's rules over the shared decoding layer (`asyncdam.decoding`).

What Phrase adds to the shared coercions: an empty string reads as `False` for a flag (as the
API's PHP-era endpoints send it), PHP's `[]` where an object is meant is the empty object, and an
item of a listing is identified by its `id`.
"""

from __future__ import annotations

import datetime as _dt

from asyncdam.decoding import Decoder, Rules, identity_by_field, lenient

__all__ = ["decoder", "parse_datetime", "rules"]


def parse_datetime(value: str) -> _dt.datetime:
    """Parse ISO 8601 leniently: `Z`, offsets, millis, missing seconds, a trailing ` UTC`."""
    parsed = lenient.to_datetime_iso(value)
    if not isinstance(parsed, _dt.datetime):
        raise ValueError(f"not a date-time: {value!r}")
    return parsed


rules = Rules(identity=identity_by_field("id"), empty_array_object="empty").with_scalars(
    bool=lenient.to_bool_blank_false
)
decoder = Decoder(rules)
"""The one decoder of Phrase models (structure functions are built once per class)."""
