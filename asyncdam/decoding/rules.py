"""What one service adds to the shared core: its scalar coercions and the identity of its items."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs

from asyncdam.decoding import lenient

__all__ = ["Rules", "default_scalars"]


def default_scalars() -> dict[Any, lenient.Coercer]:
    """The shared scalar coercions; a service overrides only the ones it reads differently."""
    return {
        int: lenient.to_int,
        float: lenient.to_float,
        bool: lenient.to_bool,
        str: lenient.to_str,
        _dt.datetime: lenient.to_datetime_iso,
    }


def _no_identity(cls: type[Any]) -> tuple[str, ...]:
    return ()


@attrs.frozen
class Rules:
    """A service's coercion rules: scalar coercers by type, and which fields identify an item.

    `identity(cls)` names the attributes an item of a listing must carry to be kept (an item
    without them cannot be deduplicated, resumed or reported, so it is rejected by the policy).
    """

    scalars: Mapping[Any, lenient.Coercer] = attrs.field(factory=default_scalars)
    identity: Callable[[type[Any]], tuple[str, ...]] = _no_identity
    # PHP's `[]` where an object is meant: the empty object ("empty") or no object ("absent").
    empty_array_object: Literal["empty", "absent"] = "absent"

    def with_scalars(self, **overrides: lenient.Coercer) -> Rules:
        """A copy with some scalar coercers replaced, by type name (`int=`, `datetime=` ...)."""
        by_name = {"int": int, "float": float, "bool": bool, "str": str, "datetime": _dt.datetime}
        scalars = dict(self.scalars)
        for name, coercer in overrides.items():
            scalars[by_name[name]] = coercer
        return attrs.evolve(self, scalars=scalars)
