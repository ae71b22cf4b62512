"""PHP-style parameter parsing: `a[]=1&a[]=2`, `m[k][j]=v`, and the query-then-body lookup of v1."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")

PhpValue = Any  # str | dict[str, PhpValue]


def parse_php(pairs: Iterable[tuple[str, str]]) -> dict[str, PhpValue]:
    """Nest bracketed keys the way PHP does; `[]` appends with the next integer key."""
    out: dict[str, PhpValue] = {}
    for raw_key, value in pairs:
        m = _KEY.match(raw_key)
        if m is None:
            out[raw_key] = value
            continue
        name, rest = m.group(1), m.group(2)
        parts = _PART.findall(rest)
        if not parts:
            out[name] = value
            continue
        node = out.get(name)
        if not isinstance(node, dict):
            node = {}
            out[name] = node
        for i, part in enumerate(parts):
            key = part if part != "" else _next_index(node)
            if i == len(parts) - 1:
                node[key] = value
            else:
                child = node.get(key)
                if not isinstance(child, dict):
                    child = {}
                    node[key] = child
                node = child
    return out


def _next_index(node: Mapping[str, Any]) -> str:
    ints = [int(k) for k in node if k.lstrip("-").isdigit()]
    return str(max(ints) + 1 if ints else 0)


def merged(query: dict[str, PhpValue], body: dict[str, PhpValue]) -> dict[str, PhpValue]:
    """Symfony's `$request->get()`: a query key wins over the same body key."""
    out = dict(body)
    out.update(query)
    return out


def get_str(params: Mapping[str, PhpValue], name: str) -> str | None:
    """A scalar parameter, or None when absent or given as an array."""
    value = params.get(name)
    return value if isinstance(value, str) else None


def get_list(params: Mapping[str, PhpValue], name: str) -> list[str] | None:
    """A bracket array's scalar values; a scalar where an array is expected is ignored."""
    value = params.get(name)
    if not isinstance(value, dict):
        return None
    return [v for v in value.values() if isinstance(v, str)]


def get_map(params: Mapping[str, PhpValue], name: str) -> dict[str, PhpValue] | None:
    """A bracket map (`status[4]=1`) as a dict, or None."""
    value = params.get(name)
    return value if isinstance(value, dict) else None


def php_int(value: str | None, default: int) -> int:
    """PHP's `(int)` cast: leading digits count, garbage is 0, absent is the default."""
    if value is None:
        return default
    m = re.match(r"^\s*([+-]?\d+)", value)
    return int(m.group(1)) if m else 0


def php_truthy(value: str | None) -> bool:
    """PHP truthiness of a string parameter ("" and "0" are false)."""
    return value not in (None, "", "0")
