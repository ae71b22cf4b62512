"""Free-form JSON objects in Phrase answers (language code -> name): checked, not modelled."""

from __future__ import annotations

from typing import TypeVar

from asyncdam.engine.errors import DecodeError
from asyncdam.engine.request import Response

__all__ = ["decode_mapping"]

V = TypeVar("V")


def decode_mapping(response: Response, values: type[V]) -> dict[str, V]:
    """A JSON object body whose every value is a `values`, as a dict; anything else DecodeError."""
    body = response.json()
    odd = (
        type(body).__name__
        if not isinstance(body, dict)
        else next((type(v).__name__ for v in body.values() if not isinstance(v, values)), None)
    )
    if odd is not None:
        raise DecodeError(
            f"expected a JSON object of {values.__name__} values, got {odd}",
            method=response.method,
            url=response.url,
            body=response.content,
        )
    return dict(body)
