"""Checking caller arguments before sending, and encoding them the way PHP reads them.

Phraseanet reads arrays and maps only in PHP bracket form (`bases[]=1`, `status[4]=1`,
`metadatas[0][value]=x`); a scalar where an array is expected is silently ignored by the server,
so every argument is checked here and a wrong one raises `InvalidRequestError` before sending.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import ParamSpec, TypeVar

from asyncdam.engine.errors import InvalidRequestError

__all__ = [
    "checked",
    "opt_bool01",
    "opt_int",
    "opt_str",
    "php_pairs",
    "req_id",
    "req_str",
    "str_list",
]

P = ParamSpec("P")
R = TypeVar("R")
Pairs = list[tuple[str, str]]


def checked(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a bad call (unknown keyword, missing argument) into `InvalidRequestError`.

    Python would raise `TypeError`; the library promises one error type for every request refused
    before sending, so the binding is tried first.
    """
    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise InvalidRequestError(f"{func.__qualname__}: {exc}") from None
        return func(*args, **kwargs)

    return wrapper


def req_id(value: object, name: str) -> int:
    """A required numeric id (int or digit string), returned as int."""
    if value is None or value == "":
        raise InvalidRequestError(f"{name} is required")
    if isinstance(value, bool):
        raise InvalidRequestError(f"{name} must be an integer id, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise InvalidRequestError(f"{name} must not be negative, got {value}")
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise InvalidRequestError(f"{name} must be an integer id, got {type(value).__name__}")


def opt_int(
    value: object, name: str, *, low: int | None = None, high: int | None = None
) -> int | None:
    """An optional integer within [low, high]."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequestError(f"{name} must be an integer, got {type(value).__name__}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"{low if low is not None else '-inf'}..{high if high is not None else 'inf'}"
        raise InvalidRequestError(f"{name} must be within {bounds}, got {value}")
    return value


def req_str(value: object, name: str, *, allow_empty: bool = False) -> str:
    """A required string."""
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} must be a string, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise InvalidRequestError(f"{name} must not be empty")
    return value


def opt_str(value: object, name: str, *, choices: Iterable[str] | None = None) -> str | None:
    """An optional string, optionally one of `choices`."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} must be a string, got {type(value).__name__}")
    if choices is not None and value not in set(choices):
        raise InvalidRequestError(f"{name} must be one of {', '.join(sorted(choices))}")
    return value


def opt_bool01(value: object, name: str) -> str | None:
    """An optional boolean sent as the "1"/"0" strings PHP casts."""
    if value is None:
        return None
    if not isinstance(value, bool):
        raise InvalidRequestError(f"{name} must be a bool, got {type(value).__name__}")
    return "1" if value else "0"


def str_list(value: object, name: str) -> list[str] | None:
    """An optional sequence of strings (a lone string is refused: PHP would ignore it)."""
    if value is None:
        return None
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise InvalidRequestError(f"{name} must be a list of strings")
    out = []
    for item in value:
        if not isinstance(item, str):
            raise InvalidRequestError(f"{name} items must be strings, got {type(item).__name__}")
        out.append(item)
    return out


def id_list(value: object, name: str) -> list[int] | None:
    """An optional sequence of integer ids (a lone int is refused: PHP would ignore it)."""
    if value is None:
        return None
    if isinstance(value, str | bytes | int) or not isinstance(value, Sequence):
        raise InvalidRequestError(f"{name} must be a list of integer ids")
    return [req_id(item, f"{name}[]") for item in value]


def _scalar(value: object, name: str) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | str):
        return str(value)
    if value is None:
        return ""
    raise InvalidRequestError(f"{name}: unsupported value type {type(value).__name__}")


def php_pairs(name: str, value: object) -> Pairs:
    """Flatten a value into PHP bracket pairs: lists as `name[]`, maps as `name[key]`, nested.

    Lists of maps get explicit indexes (`metadatas[0][value]`) because `[]` would start a new
    element at every key.
    """
    if isinstance(value, Mapping):
        out: Pairs = []
        for key, item in value.items():
            out.extend(php_pairs(f"{name}[{key}]", item))
        return out
    if isinstance(value, list | tuple):
        if any(isinstance(item, Mapping | list | tuple) for item in value):
            out = []
            for index, item in enumerate(value):
                out.extend(php_pairs(f"{name}[{index}]", item))
            return out
        return [(f"{name}[]", _scalar(item, name)) for item in value]
    return [(name, _scalar(value, name))]


def form(fields: Mapping[str, object]) -> Pairs:
    """PHP-style pairs for every non-None field, in order."""
    out: Pairs = []
    for key, value in fields.items():
        if value is not None:
            out.extend(php_pairs(key, value))
    return out
