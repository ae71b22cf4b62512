"""An `httpx.URL` for a request on a dialect's origin without parsing the whole text again.

`httpx.URL(text)` checks every character and re-quotes every component: ~13 us a request, the
largest single cost of building one. A request's URL here is the dialect's base URL (parsed and
checked once) plus a path whose caller values are already percent-encoded (`render_path`) and
a query encoded by `urlencode`. When the path and query hold only characters httpx's own
quoting leaves as they are, the URL is assembled from the base's parsed parts directly; the
result is the URL httpx would parse from the text (a property test holds them equal). Anything
else, or an httpx without the internals this relies on, goes through `httpx.URL(text)`.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

__all__ = ["url_on"]

# Unreserved characters, percent escapes and the delimiters httpx keeps in a path and a query.
_PLAIN_PATH = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")
_PLAIN_QUERY = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*")


def _internals() -> Any:
    """httpx's parsed-URL record, when this httpx has the one this module was written for."""
    try:
        from httpx._urlparse import ParseResult
    except ImportError:  # pragma: no cover - an httpx that moved it: the plain parse is used
        return None
    probe = httpx.URL("https://example.test/")
    reference = getattr(probe, "_uri_reference", None)
    if not isinstance(reference, ParseResult) or ParseResult._fields != (
        "scheme",
        "userinfo",
        "host",
        "port",
        "path",
        "query",
        "fragment",
    ):
        return None  # pragma: no cover - see above
    return ParseResult


_PARSE_RESULT = _internals()


def url_on(base: httpx.URL, base_text: str, path: str, query: str) -> httpx.URL:
    """`httpx.URL(base_text + path + ("?" + query if query else ""))`, assembled from `base`'s
    parts when `path` (relative to the base, no leading "/") and `query` need no quoting."""
    parts = None if _PARSE_RESULT is None else base._uri_reference
    if (
        parts is None
        or not parts.path.endswith("/")
        or parts.query is not None
        or parts.fragment is not None
        or "//" in path
        or not _plain(path, query)
    ):
        text = base_text + path
        return httpx.URL(f"{text}?{query}" if query else text)
    url = httpx.URL.__new__(httpx.URL)
    url._uri_reference = _PARSE_RESULT(
        parts.scheme,
        parts.userinfo,
        parts.host,
        parts.port,
        parts.path + path,
        query or None,
        None,
    )
    return url


def _plain(path: str, query: str) -> bool:
    """Whether httpx would take `path` and `query` as they are: no character it quotes, no dot
    segment it would remove, nothing near its length limit."""
    if len(path) + len(query) > _MAX_PLAIN or _PLAIN_PATH.fullmatch(path) is None:
        return False
    if "." in path and ("/./" in f"/{path}/" or "/../" in f"/{path}/"):
        return False
    return not query or _PLAIN_QUERY.fullmatch(query) is not None


_MAX_PLAIN = 16_384  # far under httpx's own limit on a URL's length
