"""Phraseanet's rules over the shared decoding layer (`asyncdam.decoding`).

What the PHP server adds: `""` reads as `False` for a flag, and an item of a listing is identified
by the keys below. The shared core already takes id-keyed objects for lists, `[]`/`{}` for empty
objects or lists, numbers as strings and unknown keys (kept in `extra`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from asyncdam.decoding import DEFAULT_ON_INVALID, DecodedItems, Decoder, OnInvalid, Rules, lenient
from asyncdam.phraseanet import models as m

__all__ = ["decoder", "rules", "structure", "structure_list"]

T = TypeVar("T")

IDENTITY: dict[type[Any], tuple[str, ...]] = {
    m.Record: ("databox_id", "record_id"),
    m.LightResult: ("databox_id", "record_id"),
    m.Story: ("databox_id", "story_id"),
    m.Basket: ("basket_id",),
    m.BasketElement: ("basket_element_id",),
    m.Collection: ("base_id",),
    m.Databox: ("databox_id",),
    m.Feed: ("id",),
    m.FeedEntry: ("id",),
    m.QuarantineItem: ("id",),
}
"""The keys that identify an item of each listed model (an item without them is invalid)."""


def _identity(cls: type[Any]) -> tuple[str, ...]:
    return IDENTITY.get(cls, ())


rules = Rules(identity=_identity).with_scalars(bool=lenient.to_bool_blank_false)
decoder = Decoder(rules)
"""The one decoder of Phraseanet models."""


def structure(value: Any, cls: type[T], *, what: str = "") -> T:
    """One model; anything but an object (or PHP's `[]`) is a `DecodeError`."""
    return decoder.structure(value, cls, what=what)


def structure_list(
    value: Any, cls: type[T], *, what: str = "", on_invalid: OnInvalid = DEFAULT_ON_INVALID
) -> DecodedItems[T]:
    """A list (or id-keyed object, or `{}`) of models; bad items are isolated by `on_invalid`."""
    return decoder.items(value, cls, on_invalid=on_invalid, what=what)
