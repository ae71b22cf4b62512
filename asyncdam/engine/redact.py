"""Keep secrets out of messages: URLs lose credentials; secrets become short hashes."""

from __future__ import annotations

import hashlib
import re
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


def short_hash(secret: str | bytes) -> str:
    """A short, stable, non-reversible tag for a secret, safe to log and to key caches with."""
    data = secret.encode() if isinstance(secret, str) else secret
    return hashlib.sha256(data).hexdigest()[:12]


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
