"""One lenient decoding layer for the three services: shared core, per-service rules.

`Decoder(rules)` structures JSON into frozen attrs models through per-class functions generated
once (values of the right type go straight through; the rest meets the lenient coercers of
`lenient`, with the service's overrides in `Rules`). A value that cannot be read never loses its
model: it is kept raw in `extra` and recorded in `problems`. In listings, an item that is not an
object or lacks its identity is handled by the `on_invalid` policy ("raise", "skip", "raw").
"""

from __future__ import annotations

from asyncdam.decoding import lenient
from asyncdam.decoding.decoder import Decoder, identity_by_field
from asyncdam.decoding.lenient import ABSENT, split_commas
from asyncdam.decoding.problems import (
    DEFAULT_ON_INVALID,
    DecodeProblem,
    InvalidItem,
    InvalidItemError,
    ItemRejected,
    OnInvalid,
    check_on_invalid,
)
from asyncdam.decoding.rules import Rules
from asyncdam.decoding.stream import DecodedItems

__all__ = [
    "ABSENT",
    "DEFAULT_ON_INVALID",
    "DecodeProblem",
    "DecodedItems",
    "Decoder",
    "InvalidItem",
    "InvalidItemError",
    "ItemRejected",
    "OnInvalid",
    "Rules",
    "check_on_invalid",
    "identity_by_field",
    "lenient",
    "split_commas",
]
