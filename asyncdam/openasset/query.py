"""Typed list queries: filters with operators, orderBy, textMatching, field lists, expansions.

Everything is validated before sending: unknown fields (where the noun's fields are knowable),
values the server would misread as operators or lists, negative limits and offsets all raise
`InvalidRequestError`.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs

from asyncdam.engine.errors import InvalidRequestError
from asyncdam.openasset.converter import format_datetime
from asyncdam.openasset.nouns import NounSpec, field_names

__all__ = [
    "Condition",
    "Filter",
    "OrderKey",
    "Query",
    "any_of",
    "between",
    "eq",
    "ge",
    "gt",
    "le",
    "lt",
    "not_",
]

Scalar = str | int | float | bool | _dt.datetime | _dt.date
TextMatching = Literal["contains", "exact", "wildcard"]
_PREFIX = {
    "eq": "",
    "in": "",
    "range": "",
    "gt": ">",
    "lt": "<",
    "ge": ">=",
    "le": "<=",
    "not": "!",
}
OPERATORS = frozenset(_PREFIX)
# Parameters that steer a listing; they can never be field filters.
CONTROL = frozenset(
    {"limit", "offset", "orderBy", "textMatching", "displayFields", "hideFields", "logout"}
)
FLAGS = frozenset(
    {"withLocation", "withHeroImage", "remoteFields", "lowPriority", "gridLimit", "gridOffset"}
)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_RANGE_LIKE = re.compile(r"^-?\d+(?:\.\d+)?-")
_ORDER = re.compile(r"^(?P<field>[A-Za-z_][A-Za-z0-9_]*?)(?P<dir>Asc|Desc)?$")


def render_value(value: Scalar) -> str:
    """A filter value as the server compares it: flags 1/0, dates as 14 digits."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, _dt.datetime | _dt.date):
        return format_datetime(value)
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return value
    raise InvalidRequestError(f"unsupported filter value type {type(value).__name__}")


@attrs.frozen
class Condition:
    """An operator and its operands, before it is bound to a field."""

    op: str
    values: tuple[Scalar, ...]

    def __attrs_post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise InvalidRequestError(
                f"unknown filter operator {self.op!r}; use one of {', '.join(sorted(OPERATORS))}"
            )
        wanted = {"range": 2, "in": None}.get(self.op, 1)
        if wanted is None and not self.values:
            raise InvalidRequestError("any_of() needs at least one value")
        if wanted is not None and len(self.values) != wanted:
            raise InvalidRequestError(f"operator {self.op!r} takes {wanted} value(s)")

    def render(self) -> str:
        """The parameter value: operator prefix, then the operand(s)."""
        texts = [render_value(v) for v in self.values]
        for text in texts:
            _check_operand(text, self.op)
        if self.op == "range":
            for text in texts:
                if not _NUMBER.match(text) or text.startswith("-"):
                    raise InvalidRequestError(
                        "between() takes non-negative numbers or dates, got " + repr(text)
                    )
            return f"{texts[0]}-{texts[1]}"
        if self.op == "in":
            return ",".join(texts)
        return _PREFIX[self.op] + texts[0]


def _check_operand(text: str, op: str) -> None:
    if "," in text:
        raise InvalidRequestError(
            f"filter value {text!r} contains ',' which the server reads as OR; use any_of()"
        )
    if op in {"eq", "in"} and text[:1] in {">", "<", "!"}:
        raise InvalidRequestError(
            f"filter value {text!r} starts with an operator character the server would apply"
        )
    if op in {"eq", "in"} and _RANGE_LIKE.match(text) and not _NUMBER.match(text):
        raise InvalidRequestError(f"filter value {text!r} would be read as a range")
    if text == "":
        raise InvalidRequestError("empty filter value")


def eq(value: Scalar) -> Condition:
    """Match (contains or exact, per textMatching)."""
    return Condition("eq", (value,))


def any_of(*values: Scalar) -> Condition:
    """Any of several values (comma list, ORed within the field)."""
    return Condition("in", tuple(values))


def between(low: Scalar, high: Scalar) -> Condition:
    """Inclusive range `low-high`."""
    return Condition("range", (low, high))


def gt(value: Scalar) -> Condition:
    """Greater than."""
    return Condition("gt", (value,))


def lt(value: Scalar) -> Condition:
    """Less than."""
    return Condition("lt", (value,))


def ge(value: Scalar) -> Condition:
    """Greater than or equal."""
    return Condition("ge", (value,))


def le(value: Scalar) -> Condition:
    """Less than or equal."""
    return Condition("le", (value,))


def not_(value: Scalar) -> Condition:
    """Not equal / not matching."""
    return Condition("not", (value,))


@attrs.frozen
class Filter:
    """One field filter; filters on different fields are ANDed by the server."""

    field: str
    condition: Condition


@attrs.frozen
class OrderKey:
    """One sort key; `descending=None` sends the bare field (server default order)."""

    field: str
    descending: bool | None = None

    @classmethod
    def parse(cls, text: str) -> OrderKey:
        """`idDesc`, `nameAsc`, `id`, or `-id` (descending)."""
        text = text.strip()
        if text.startswith("-"):
            return cls(text[1:], True)
        match = _ORDER.match(text)
        if not match:
            raise InvalidRequestError(f"invalid orderBy key {text!r}")
        direction = match.group("dir")
        return cls(match.group("field"), None if direction is None else direction == "Desc")

    def render(self) -> str:
        """`field`, `fieldAsc` or `fieldDesc` (the suffix is case-sensitive)."""
        suffix = "" if self.descending is None else ("Desc" if self.descending else "Asc")
        return self.field + suffix


OrderInput = str | OrderKey | Sequence[str | OrderKey] | None
Expansion = Literal["all"] | Sequence[int]


def _order_keys(order_by: OrderInput) -> tuple[OrderKey, ...]:
    if order_by is None:
        return ()
    if isinstance(order_by, str):
        items: Iterable[str | OrderKey] = [p for p in order_by.split(",") if p.strip()]
    elif isinstance(order_by, OrderKey):
        items = [order_by]
    else:
        items = order_by
    return tuple(k if isinstance(k, OrderKey) else OrderKey.parse(k) for k in items)


def _as_condition(value: Condition | Scalar | Sequence[Scalar]) -> Condition:
    if isinstance(value, Condition):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return any_of(*value)
    return eq(value)  # type: ignore[arg-type]


@attrs.frozen(kw_only=True)
class Query:
    """A listing request: `limit` is the page size, `offset` where to start."""

    filters: tuple[Filter, ...] = ()
    order_by: tuple[OrderKey, ...] = attrs.field(default=(), converter=_order_keys)
    text_matching: TextMatching | None = None
    display_fields: tuple[str, ...] | None = None
    hide_fields: tuple[str, ...] | None = None
    expand: Mapping[str, Expansion] = attrs.field(factory=dict)
    flags: Mapping[str, str | int] = attrs.field(factory=dict)
    limit: int | None = None
    offset: int | None = None

    @classmethod
    def build(
        cls,
        *,
        order_by: OrderInput = None,
        text_matching: TextMatching | None = None,
        display_fields: Sequence[str] | None = None,
        hide_fields: Sequence[str] | None = None,
        expand: Mapping[str, Expansion] | None = None,
        flags: Mapping[str, str | int] | None = None,
        limit: int | None = None,
        offset: int | None = None,
        **filters: Condition | Scalar | Sequence[Scalar],
    ) -> Query:
        """A query from keywords: `Query.build(project_id=10, id=gt(5), order_by="idDesc")`."""
        return cls(
            filters=tuple(Filter(k, _as_condition(v)) for k, v in filters.items()),
            order_by=order_by,
            text_matching=text_matching,
            display_fields=tuple(display_fields) if display_fields is not None else None,
            hide_fields=tuple(hide_fields) if hide_fields is not None else None,
            expand=dict(expand or {}),
            flags=dict(flags or {}),
            limit=limit,
            offset=offset,
        )

    def where(self, field: str, condition: Condition | Scalar | Sequence[Scalar]) -> Query:
        """A copy with one more filter."""
        return attrs.evolve(self, filters=(*self.filters, Filter(field, _as_condition(condition))))

    def merged(self, other: Query) -> Query:
        """`other`'s settings over this query's; filters from both."""
        changes: dict[str, Any] = {"filters": (*self.filters, *other.filters)}
        for name in ("text_matching", "display_fields", "hide_fields", "limit", "offset"):
            if getattr(other, name) is not None:
                changes[name] = getattr(other, name)
        if other.order_by:
            changes["order_by"] = other.order_by
        changes["expand"] = {**self.expand, **other.expand}
        changes["flags"] = {**self.flags, **other.flags}
        return attrs.evolve(self, **changes)

    def to_params(self, spec: NounSpec | None) -> list[tuple[str, str]]:
        """Validated query parameters, in a stable order."""
        known = _scalar_fields(spec)
        open_fields = spec is None or spec.open_fields
        params: list[tuple[str, str]] = []
        for name, value in (("limit", self.limit), ("offset", self.offset)):
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise InvalidRequestError(
                        f"{name} must be a non-negative integer, got {value!r}"
                    )
                params.append((name, str(value)))
        if self.order_by:
            for key in self.order_by:
                _check_field(key.field, known, open_fields, "orderBy")
            params.append(("orderBy", ",".join(k.render() for k in self.order_by)))
        if self.text_matching is not None:
            if self.text_matching not in ("contains", "exact", "wildcard"):
                raise InvalidRequestError("textMatching must be contains, exact or wildcard")
            params.append(("textMatching", self.text_matching))
        shown = self._shown_fields(known, open_fields)
        if shown is not None:
            params.append(("displayFields", ",".join(shown)))
        seen: set[str] = set()
        for flt in self.filters:
            _check_field(flt.field, known, open_fields, "filter")
            if flt.field in seen:
                raise InvalidRequestError(
                    f"two filters on {flt.field!r}: the server keeps one; use any_of() or between()"
                )
            seen.add(flt.field)
            params.append((flt.field, flt.condition.render()))
        params.extend(self._expansions(spec))
        for flag, setting in self.flags.items():
            if flag not in FLAGS:
                raise InvalidRequestError(f"unknown query flag {flag!r}; known: {sorted(FLAGS)}")
            params.append((flag, str(setting)))
        return params

    def _shown_fields(self, known: frozenset[str] | None, open_fields: bool) -> list[str] | None:
        for names in (self.display_fields or (), self.hide_fields or ()):
            for name in names:
                _check_field(name, known, open_fields, "field list")
        if self.hide_fields is None:
            return list(self.display_fields) if self.display_fields is not None else None
        # The server has no hideFields: send the complement as displayFields.
        if self.display_fields is not None:
            base = list(self.display_fields)
        elif known is not None:
            base = sorted(known)
        else:
            raise InvalidRequestError("hide_fields needs a noun whose fields are known")
        hidden = set(self.hide_fields)
        if "id" in hidden:
            raise InvalidRequestError("the id field cannot be hidden (paging and writes need it)")
        return [n for n in base if n not in hidden]

    def _expansions(self, spec: NounSpec | None) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for name, value in self.expand.items():
            if spec is not None and name not in spec.expansions:
                allowed = ", ".join(sorted(spec.expansions)) or "none"
                raise InvalidRequestError(
                    f"{spec.name} has no expansion {name!r} (known: {allowed})"
                )
            if value == "all":
                out.append((name, "all"))
                continue
            if isinstance(value, str) or not value:  # type: ignore[unreachable]
                raise InvalidRequestError(f"expansion {name!r} takes 'all' or a list of ids")
            ids = []
            for ident in value:
                if isinstance(ident, bool) or not isinstance(ident, int) or ident < 0:
                    raise InvalidRequestError(f"expansion {name!r} ids must be integers")
                ids.append(str(ident))
            out.append((name, ",".join(ids)))
        return out


def _scalar_fields(spec: NounSpec | None) -> frozenset[str] | None:
    if spec is None:
        return None
    nested = {n.expansion for n in spec.nested.values() if n.expansion}
    return frozenset(field_names(spec.model) - nested - {"fields", "search_items"})


def _check_field(name: str, known: frozenset[str] | None, open_fields: bool, what: str) -> None:
    if not _NAME.match(name) or name in CONTROL or name in FLAGS:
        raise InvalidRequestError(f"invalid field name {name!r} in {what}")
    if known is not None and name not in known and not open_fields:
        raise InvalidRequestError(f"unknown field {name!r} in {what}")
