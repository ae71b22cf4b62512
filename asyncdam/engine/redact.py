"""Keep secrets out of messages, exceptions and storages: URLs lose credentials; headers that may
carry one are dropped (short keyed tags for secrets live in `asyncdam.engine.keys`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that carry credentials (Phraseanet's oauth_token above all).
SECRET_PARAMS = frozenset(
    {
        "oauth_token",
        "access_token",
        "token",
        "password",
        "client_secret",
        "code",
        "api_key",
        "key",
        "secret",
        "sessionkey",
        "session_key",
    }
)


_SECRET_QUERY = re.compile(
    r"(?:^|[&;])(?:" + "|".join(sorted(SECRET_PARAMS)) + r")(?:=|&|;|$)", re.IGNORECASE
)


# Header names that may carry a credential (OpenAsset's X-SessionKey, Set-Cookie, Authorization,
# tokens): dropped from cache entries and from exceptions alike.
SECRET_HEADER_MARKERS = (
    "cookie",
    "session",
    "token",
    "secret",
    "password",
    "auth",
    "api-key",
    "apikey",
    "credential",
)


@lru_cache(maxsize=1024)  # asked for every header of every stored response; names repeat
def is_secret_header(name: str) -> bool:
    """Whether a header of this name may carry a credential (never stored, never kept)."""
    lowered = name.lower()
    return any(marker in lowered for marker in SECRET_HEADER_MARKERS)


def safe_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """The headers minus those that may carry a credential (see `is_secret_header`)."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {name: value for name, value in items if not is_secret_header(name)}


def redact_url(url: str) -> str:
    """The URL with any userinfo and credential-bearing query values replaced by `***`."""
    if not url:
        return url
    # Fast path for the common case (every request is logged): nothing that could be a secret.
    head, _, query = url.partition("?")
    if "@" not in head and (not query or not _SECRET_QUERY.search(query)):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in SECRET_PARAMS for k, _ in pairs):
            query = urlencode(
                [(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in pairs], safe="*[]"
            )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
