"""`Decoder`: one service's rules over the shared core; models, single items and whole pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from asyncdam.decoding.builder import (
    ItemsFn,
    StructureFn,
    build_items_fn,
    build_structure_fn,
    field_wire_names,
)
from asyncdam.decoding.problems import (
    DEFAULT_ON_INVALID,
    InvalidItem,
    ItemRejected,
    OnInvalid,
    check_on_invalid,
)
from asyncdam.decoding.rules import Rules
from asyncdam.decoding.stream import DecodedItems
from asyncdam.engine.errors import DecodeError

__all__ = ["Decoder"]

T = TypeVar("T")


class Decoder:
    """Structures JSON into one service's attrs models; each structure function is built once."""

    def __init__(self, rules: Rules | None = None) -> None:
        self.rules = rules or Rules()
        self._fns: dict[type[Any], StructureFn] = {}
        self._building: set[type[Any]] = set()
        self._identities: dict[type[Any], tuple[tuple[str, str], ...]] = {}
        self._items_fns: dict[type[Any], ItemsFn] = {}

    def structure_fn(self, cls: type[Any]) -> StructureFn:
        """The compiled structure function of `cls` (dict in, model out; never raises)."""
        fn = self._fns.get(cls)
        if fn is not None:
            return fn
        if cls in self._building:
            # A model that contains itself: resolve at call time, once the function exists.
            return lambda d: self._fns[cls](d)
        self._building.add(cls)
        try:
            fn = build_structure_fn(cls, self.rules, self.structure_fn)
        finally:
            self._building.discard(cls)
        self._fns[cls] = fn
        return fn

    def structure(self, value: Any, cls: type[T], *, what: str = "") -> T:
        """One object into a model; PHP's `[]` is the empty object, anything else `DecodeError`."""
        if type(value) is not dict:
            if value == []:
                value = {}
            else:
                raise DecodeError(
                    f"{what or cls.__name__}: expected a JSON object, got {type(value).__name__}"
                )
        result: T = self.structure_fn(cls)(value)
        return result

    def item(self, value: Any, cls: type[T]) -> T:
        """One standalone item: an object carrying its identity, else `ItemRejected`."""
        if type(value) is not dict:
            raise ItemRejected(f"not an object: {type(value).__name__}")
        result: T = self.structure_fn(cls)(value)
        missing = _missing_identity(result, value, self._identity(cls))
        if missing is not None:
            raise ItemRejected(f"{cls.__name__} without its identity field {missing!r}")
        return result

    def items(
        self,
        values: Any,
        cls: type[T],
        *,
        on_invalid: OnInvalid = DEFAULT_ON_INVALID,
        what: str = "",
    ) -> DecodedItems[T]:
        """A list (or id-keyed object) of items; each bad item is isolated per `on_invalid`.

        The result says how many items the server sent (`source_count`) and which were invalid;
        `await result.finish_page(page)` reports them (and raises under "raise").
        """
        check_on_invalid(on_invalid)
        if type(values) is dict:
            values = list(values.values())
        elif type(values) is not list:
            raise DecodeError(
                f"expected a list of {what or cls.__name__}, got {type(values).__name__}"
            )
        out: DecodedItems[T] = DecodedItems(on_invalid=on_invalid, source_count=len(values))
        # The common case in one generated loop: every item an object with its identity.
        good = self._items_fn(cls)(values)
        if good is not None:
            out.extend(good)
            return out
        fn = self.structure_fn(cls)
        identity = self._identity(cls)
        self._sort_items(values, cls, fn, identity, out)
        return out

    def _sort_items(
        self,
        values: list[Any],
        cls: type[Any],
        fn: StructureFn,
        identity: tuple[tuple[str, str], ...],
        out: DecodedItems[Any],
    ) -> None:
        """Item by item: keep the good, set aside (and note) the rest per the policy."""
        on_invalid = out.on_invalid
        append = out.append
        for index, value in enumerate(values):
            if type(value) is dict:
                model = fn(value)
                missing = _missing_identity(model, value, identity)
                if missing is None:
                    append(model)
                    continue
                reason = f"{cls.__name__} without its identity field {missing!r}"
            else:
                reason = f"not an object: {type(value).__name__}"
            out.invalid.append(InvalidItem(index, reason, value))
            if on_invalid == "raw":
                append(value)
        if out.invalid and on_invalid != "raw":
            positions = {bad.index for bad in out.invalid}
            out.set_aside_edges = (0 in positions, len(values) - 1 in positions)

    def _items_fn(self, cls: type[Any]) -> ItemsFn:
        """The compiled page function of `cls` (None back: some item needs the slow path)."""
        fn = self._items_fns.get(cls)
        if fn is None:
            identity = self._identity(cls)
            if len(identity) > 1:
                # Several identity fields: no generated check; every page is sorted item by item.
                return _never
            key = identity[0] if identity else None
            fn = build_items_fn(cls, self.rules, self.structure_fn, key)
            self._items_fns[cls] = fn
        return fn

    def _identity(self, cls: type[Any]) -> tuple[tuple[str, str], ...]:
        found = self._identities.get(cls)
        if found is None:
            wires = field_wire_names(cls) if attrs.has(cls) else {}
            found = tuple((attr, wires.get(attr, attr)) for attr in self.rules.identity(cls))
            self._identities[cls] = found
        return found


def _never(values: list[Any]) -> list[Any] | None:
    return None


def _missing_identity(
    model: Any, raw: dict[str, Any], identity: tuple[tuple[str, str], ...]
) -> str | None:
    """The first identity key `raw` lacks (or that decoded empty), else None."""
    for attr, wire in identity:
        known = getattr(model, attr)
        if known is None or known == "" or wire not in raw:
            return wire
    return None


def identity_by_field(*candidates: str) -> Callable[[type[Any]], tuple[str, ...]]:
    """An identity rule: the first of `candidates` the class declares (none: no identity)."""

    def identity(cls: type[Any]) -> tuple[str, ...]:
        names = {f.name for f in attrs.fields(cls)} if attrs.has(cls) else set()
        for name in candidates:
            if name in names:
                return (name,)
        return ()

    return identity
