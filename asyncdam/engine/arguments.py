"""Checks for what users pass to the client constructors: one typed error naming the field.

Each check raises `InvalidArgumentError` (a `ConfigurationError`) whose `.field` is the argument's
name. Secret values (tokens, passwords) are described by type only, never echoed.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Collection, Mapping
from typing import Any

import httpx

from asyncdam.engine.checks import check_bool, check_int, kind_of
from asyncdam.engine.errors import InvalidArgumentError

__all__ = [
    "check_base_url_shape",
    "check_bool",
    "check_choice",
    "check_engine_options",
    "check_optional_text",
    "check_positive_int",
    "check_secret",
]


def check_positive_int(field: str, value: Any) -> int:
    """`value` as a positive int; bools and numeric strings are refused (no silent coercion)."""
    return check_int(field, value, minimum=1)


def check_choice(field: str, value: Any, choices: Collection[str]) -> str:
    """`value` if it is one of `choices`."""
    if not isinstance(value, str) or value not in choices:
        shown = repr(value) if isinstance(value, str) else kind_of(value)
        raise InvalidArgumentError(field, f"must be one of {', '.join(choices)}, got {shown}")
    return value


def check_optional_text(field: str, value: Any) -> str | None:
    """`value` if it is None or a string (not secret: it may be shown)."""
    if value is not None and not isinstance(value, str):
        raise InvalidArgumentError(field, f"must be a string, got {kind_of(value)}")
    return value


def check_secret(field: str, value: Any, *, header: bool = True) -> str:
    """A credential string: non-empty, no surrounding spaces, and (`header`) ASCII only.

    A value sent verbatim in an HTTP header must be ASCII: anything else would fail on every
    request with an encoding error, so it is refused here. The value is never echoed.
    """
    if not isinstance(value, str):
        raise InvalidArgumentError(field, f"must be a string, got {kind_of(value)}")
    if not value or value != value.strip():
        raise InvalidArgumentError(field, "must be a non-empty string without surrounding spaces")
    if header and not value.isascii():
        # Control characters are left to the header check (`InvalidRequestError`) downstream.
        raise InvalidArgumentError(
            field, "must contain only ASCII characters (it is sent in an HTTP header)"
        )
    return value


def check_base_url_shape(field: str, value: Any) -> str:
    """A parseable absolute URL string (scheme, host and port checked; policy is the dialect's)."""
    if isinstance(value, httpx.URL):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidArgumentError(field, f"must be a URL string, got {kind_of(value)}")
    try:
        parsed = httpx.URL(value)
        port = parsed.port
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise InvalidArgumentError(field, f"is not a valid URL ({exc}): {value!r}") from None
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise InvalidArgumentError(field, f"must be an absolute http(s) URL, got {value!r}")
    if port is not None and not 0 < port < 65536:
        raise InvalidArgumentError(field, f"has an invalid port {port}: {value!r}")
    return value


@functools.cache  # Engine's signature never changes: read it once, not per client made
def _engine_parameters() -> frozenset[str]:
    from asyncdam.engine.session import Engine

    named = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    parameters = inspect.signature(Engine.__init__).parameters.values()
    return frozenset(p.name for p in parameters if p.kind in named) - {"self"}


def check_engine_options(client: str, options: Mapping[str, Any]) -> None:
    """Refuse keyword arguments that neither the client nor `Engine` knows, naming them."""
    unknown = sorted(set(options) - _engine_parameters())
    if unknown:
        names = ", ".join(unknown)
        raise InvalidArgumentError(
            unknown[0],
            f"unknown keyword argument(s) for {client}: {names} "
            "(see the client's and Engine's documented options)",
        )
