"""List query parameters: limit, offset, orderBy, textMatching, displayFields, filters, filterBy."""

from __future__ import annotations

import fnmatch
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import attrs

from asyncdam.emulator.openasset.schema import FieldSpec

DEFAULT_LIMIT = 10
NUMERIC_KINDS = frozenset("ifbc")
TEXT_MATCHING = frozenset({"contains", "exact", "wildcard"})
# Parameters that steer a request rather than filter rows; `hideFields` exists in no source,
# so like any unknown parameter it is simply ignored.
CONTROL_PARAMS = frozenset(
    {
        "limit",
        "offset",
        "orderBy",
        "textMatching",
        "displayFields",
        "withLocation",
        "withHeroImage",
        "remoteFields",
        "lowPriority",
        "gridLimit",
        "gridOffset",
        "logout",
    }
)
_RANGE = re.compile(r"^(-?\d+(?:\.\d+)?)-(-?\d+(?:\.\d+)?)$")
_FILTER_BY = re.compile(r"^filterBy\[(-and|-or)\]\[(\d+)\]\[([A-Za-z0-9_.]+)\]$")
_OPERATORS = (">=", "<=", ">", "<", "!")

Resolver = Callable[[dict[str, Any], str], Any]


class QueryError(ValueError):
    """A parameter the server refuses; the message becomes the 400 error_message."""


@attrs.frozen
class Condition:
    """One alternative of a field filter: operator ('=', '>', '<', '>=', '<=', '!', 'range')."""

    op: str
    value: str
    upper: str = ""


@attrs.frozen
class FieldFilter:
    """All alternatives given for one field (ORed); filters on different fields are ANDed."""

    field: str
    kind: str
    conditions: tuple[Condition, ...]


@attrs.frozen
class ListQuery:
    """A parsed list request."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    order: tuple[tuple[str, bool], ...] = ()
    text_matching: str = "contains"
    display_fields: tuple[str, ...] | None = None
    filters: tuple[FieldFilter, ...] = ()
    filter_by_and: tuple[tuple[str, str], ...] = ()
    filter_by_or: tuple[tuple[str, str], ...] = ()

    def filters_field(self, name: str) -> bool:
        """Whether the client filtered on `name` itself."""
        return any(f.field == name for f in self.filters)


def _int_param(name: str, raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise QueryError(f"Invalid value for {name}: must be an integer") from None
    if value < 0:
        raise QueryError(f"Invalid value for {name}: must not be negative")
    return value


def _parse_order(raw: str, fields: dict[str, FieldSpec]) -> tuple[tuple[str, bool], ...]:
    keys: list[tuple[str, bool]] = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        name, desc = part, False
        if part not in fields:
            if part.endswith("Desc"):
                name, desc = part[:-4], True
            elif part.endswith("Asc"):
                name = part[:-3]
        if name not in fields or fields[name].kind == "j":
            raise QueryError(f"Invalid orderBy field {part}")
        keys.append((name, desc))
    return tuple(keys)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parse_condition(raw: str, kind: str) -> Condition:
    for op in _OPERATORS:
        if raw.startswith(op):
            value = raw[len(op) :]
            if op != "!" and kind in NUMERIC_KINDS and not _is_number(value):
                raise QueryError(f"Invalid filter value {raw}")
            return Condition(op, value)
    if kind in NUMERIC_KINDS or kind == "d":
        match = _RANGE.match(raw)
        if match and not raw.startswith("-"):
            return Condition("range", match.group(1), match.group(2))
        if kind in NUMERIC_KINDS and not _is_number(raw):
            raise QueryError(f"Invalid filter value {raw}")
    return Condition("=", raw)


def parse_query(
    params: Sequence[tuple[str, str]],
    fields: dict[str, FieldSpec],
    ignore: Iterable[str] = (),
) -> ListQuery:
    """Read a list request's parameters; raise QueryError on values the server refuses."""
    skip = set(ignore)
    kw: dict[str, Any] = {}
    grouped: dict[str, list[str]] = {}
    fb_and: list[tuple[str, str]] = []
    fb_or: list[tuple[str, str]] = []
    for key, value in params:
        if key == "limit":
            kw["limit"] = _int_param("limit", value)
        elif key == "offset":
            kw["offset"] = _int_param("offset", value)
        elif key == "orderBy":
            kw["order"] = _parse_order(value, fields)
        elif key == "textMatching":
            if value not in TEXT_MATCHING:
                raise QueryError(f"Invalid textMatching value {value}")
            kw["text_matching"] = value
        elif key == "displayFields":
            kw["display_fields"] = tuple(f.strip() for f in value.split(",") if f.strip())
        elif (fb := _FILTER_BY.match(key)) is not None:
            (fb_and if fb.group(1) == "-and" else fb_or).append((fb.group(3), value))
        elif key in CONTROL_PARAMS or key in skip:
            continue
        else:
            name = key[:-2] if key.endswith("[]") else key
            if name in fields and fields[name].kind != "j":
                grouped.setdefault(name, []).extend(v for v in value.split(",") if v != "")
    filters = tuple(
        FieldFilter(
            name, fields[name].kind, tuple(_parse_condition(v, fields[name].kind) for v in values)
        )
        for name, values in grouped.items()
        if values
    )
    return ListQuery(filters=filters, filter_by_and=tuple(fb_and), filter_by_or=tuple(fb_or), **kw)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _text_match(have: str, want: str, mode: str) -> bool:
    if mode == "exact":
        return have.casefold() == want.casefold()
    if mode == "wildcard" or "*" in want:
        return fnmatch.fnmatchcase(have.casefold(), want.casefold())
    return want.casefold() in have.casefold()


def _ordered(left: Any, op: str, right: Any) -> bool:
    if op == "=":
        return bool(left == right)
    if op == ">":
        return bool(left > right)
    if op == "<":
        return bool(left < right)
    if op == ">=":
        return bool(left >= right)
    return bool(left <= right)


def _compare(have: Any, cond: Condition, kind: str, mode: str) -> bool:
    if cond.op == "!":
        return not _compare(have, Condition("=", cond.value), kind, mode)
    if kind in NUMERIC_KINDS:
        left = have if isinstance(have, int | float) else _number(have)
        right = _number(cond.value)
        if left is None or right is None:
            return False
        if cond.op == "range":
            upper = _number(cond.upper)
            return upper is not None and right <= left <= upper
        return _ordered(left, cond.op, right)
    text = "" if have is None else str(have)
    if cond.op == "=":
        if kind == "d":
            return text == cond.value or (mode != "exact" and text.startswith(cond.value))
        return _text_match(text, cond.value, mode)
    if cond.op == "range":
        return bool(text) and cond.value <= text <= cond.upper
    return _ordered(text, cond.op, cond.value)


def _filter_by_match(record: dict[str, Any], name: str, want: str, resolve: Resolver) -> bool:
    have = resolve(record, name)
    values = have if isinstance(have, list) else [have]
    return any(_text_match("" if v is None else str(v), want, "wildcard") for v in values)


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


_NUMBERS = (int, float)


def _numeric_test(cond: Condition) -> Callable[[Any], bool] | None:
    """A fast predicate for a numeric comparison, or None when the generic path is needed."""
    right = _number(cond.value)
    if cond.op not in _OPS or right is None:
        return None
    op = _OPS[cond.op]
    return lambda have: isinstance(have, _NUMBERS) and op(have, right)


def compile_filters(query: ListQuery, resolve: Resolver) -> Callable[[dict[str, Any]], bool]:
    """One predicate for all the query's filters, built once per request."""
    tests: list[tuple[str, list[Callable[[Any], bool]]]] = []
    for flt in query.filters:
        alternatives: list[Callable[[Any], bool]] = []
        for cond in flt.conditions:
            fast = _numeric_test(cond) if flt.kind in NUMERIC_KINDS else None
            if fast is None:
                fast = partial(_generic, cond=cond, kind=flt.kind, mode=query.text_matching)
            alternatives.append(fast)
        tests.append((flt.field, alternatives))

    singles = [(name, alts[0]) for name, alts in tests if len(alts) == 1]
    multis = [(name, alts) for name, alts in tests if len(alts) > 1]
    fb_and, fb_or = query.filter_by_and, query.filter_by_or

    def predicate(record: dict[str, Any]) -> bool:
        for name, test in singles:
            if not test(record.get(name)):
                return False
        for name, alternatives in multis:
            have = record.get(name)
            if not any(test(have) for test in alternatives):
                return False
        if fb_and and not all(_filter_by_match(record, n, w, resolve) for n, w in fb_and):
            return False
        return not fb_or or any(_filter_by_match(record, n, w, resolve) for n, w in fb_or)

    return predicate


def _generic(have: Any, *, cond: Condition, kind: str, mode: str) -> bool:
    return _compare(have, cond, kind, mode)


def matches(record: dict[str, Any], query: ListQuery, resolve: Resolver) -> bool:
    """Whether one row passes every filter of the query."""
    return compile_filters(query, resolve)(record)


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, int | float):
        return (0, value)
    return (1, "" if value is None else str(value))


def order_rows(
    rows: list[dict[str, Any]], order: Sequence[tuple[str, bool]]
) -> list[dict[str, Any]]:
    """Stable multi-key sort; rows already come in id order, which breaks every tie."""
    for name, desc in reversed(order):
        rows.sort(key=lambda r, n=name: _sort_key(r.get(n)), reverse=desc)  # type: ignore[misc]
    return rows


def page(rows: list[dict[str, Any]], query: ListQuery) -> list[dict[str, Any]]:
    """The slice selected by offset and limit (limit 0 = every row)."""
    end = None if query.limit == 0 else query.offset + query.limit
    return rows[query.offset : end]
