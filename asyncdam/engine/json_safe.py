"""The one JSON parser every adapter goes through: strict text decoding, bounded nesting.

A body that is not valid text in its declared charset (UTF-8 when none is declared) is a
`DecodeError`, never silently read as latin-1; a body nested deeper than the parser's own guard
(about 1,000 levels less the caller's stack) is a `DecodeError`, never a `RecursionError`.
"""

from __future__ import annotations

import json
from typing import Any

from asyncdam.engine.errors import DecodeError

__all__ = ["charset_of", "decode_text", "parse_json"]

_UTF8 = frozenset({"utf-8", "utf8"})
_BOM = b"\xef\xbb\xbf"


def charset_of(content_type: str) -> str | None:
    """The `charset=` parameter of a Content-Type value, lower-cased, or None."""
    if ";" not in content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip().strip('"').lower()
    return None


def decode_text(content: bytes, charset: str | None, *, method: str = "", url: str = "") -> str:
    """The body as text in `charset` (UTF-8 when None); invalid bytes are a `DecodeError`."""
    encoding = charset or "utf-8"
    if charset is None or charset in _UTF8:
        # UTF-8 with a byte-order mark tolerated ("utf-8-sig" does the same, more slowly).
        encoding = "utf-8"
        if content.startswith(_BOM):
            content = content[3:]
    try:
        return content.decode(encoding)
    except LookupError:
        raise DecodeError(
            f"unknown charset {charset!r} in Content-Type", method=method, url=url, body=content
        ) from None
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"body is not valid {charset or 'UTF-8'} (byte {exc.start})",
            method=method,
            url=url,
            body=content,
        ) from None


def parse_json(content: bytes, *, content_type: str = "", method: str = "", url: str = "") -> Any:
    """Parse a JSON body; a `DecodeError` for an empty, undecodable, invalid or too deep body."""
    if not content:
        raise DecodeError("empty body where JSON was expected", method=method, url=url)
    text = decode_text(content, charset_of(content_type), method=method, url=url)
    try:
        return json.loads(text)
    except RecursionError:
        raise DecodeError(
            "JSON nested deeper than the parser allows", method=method, url=url, body=content
        ) from None
    except ValueError as exc:
        if text.isspace():  # looked at only on failure: a valid page is not scanned twice
            raise DecodeError(
                "empty body where JSON was expected", method=method, url=url
            ) from None
        raise DecodeError(
            f"body is not valid JSON: {exc}", method=method, url=url, body=content
        ) from None
