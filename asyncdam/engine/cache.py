"""Conditional-request cache: pure decisions (keys, validators, store rules) plus an async facade.

The cache never answers on its own: every GET goes to the server with the stored validators, and
only a 304 turns the stored body into the response. The decision functions do no I/O and read no
clock (pass `now`); `ConditionalCache` adds storage access that never fails a request.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from urllib.parse import urlsplit, urlunsplit

import httpx

from asyncdam.engine.cache_storage import CorruptEntryError, MemoryCache, SQLiteCache
from asyncdam.engine.protocols import CacheEntry, CacheStorage
from asyncdam.engine.redact import is_secret_header
from asyncdam.engine.request import Response

__all__ = [
    "ConditionalCache",
    "CorruptEntryError",
    "MemoryCache",
    "SQLiteCache",
    "cache_key",
    "canonical_url",
    "entry_from",
    "entry_to_store",
    "merge_headers",
    "refreshed",
    "revalidated",
    "should_store",
    "storable_headers",
    "validators",
]

_logger = logging.getLogger("asyncdam")

HeadersLike = httpx.Headers | Mapping[str, str] | Sequence[tuple[str, str]]

# Bumped whenever the key recipe changes, so old SQLite files simply miss instead of colliding.
_KEY_VERSION = "asyncdam-cache-1"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

# Per-connection headers (RFC 9110 §7.6.1): meaningless once the connection is gone.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# These describe the 304's own (empty) body, not the stored representation.
_KEEP_STORED = _HOP_BY_HOP | {"content-length", "content-encoding", "content-type", "content-range"}


def canonical_url(url: str) -> str:
    """`url` in one spelling per resource: lowercase scheme and host, no default port or fragment,
    normalised percent-escapes, an empty path as `/`, query pairs stably sorted by name."""
    # The engine's own URLs (a known origin, nothing escaped) skip the full parse; the result is
    # the same string `_canonical_url_parsed` gives (a property test holds them equal).
    head = _ORIGIN.match(url)
    if head is not None and not _NEEDS_PARSE.search(url):
        path, _, query = url[head.end() :].partition("?")
        prefix = _canonical_origin(head.group()) + (path or "/")
        pairs = [p for p in query.split("&") if p]
        if not pairs:
            return prefix
        pairs.sort(key=_pair_name)
        return prefix + "?" + "&".join(pairs)
    return _canonical_url_parsed(url)


_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?]+")
# What only the full parse handles: escapes to normalise, fragments, whitespace and controls that
# `urlsplit` strips, and backslashes.
_NEEDS_PARSE = re.compile(r"[%#\\\x00-\x20\x7f]")


def _pair_name(pair: str) -> str:
    return pair.partition("=")[0]


@lru_cache(maxsize=256)
def _canonical_origin(origin: str) -> str:
    # `scheme://netloc` spelled canonically (the trailing "/" of the parsed form dropped).
    return _canonical_url_parsed(origin + "/")[:-1]


def _canonical_url_parsed(url: str) -> str:
    """`canonical_url` by a full `urlsplit` (every URL the fast path does not take)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    netloc = parts.netloc
    host = parts.hostname
    if host is not None:
        host = f"[{host}]" if ":" in host else host
        try:
            port = parts.port
        except ValueError:
            port = None
            host = netloc.rpartition("@")[2].lower()
        else:
            if port is not None and port != _DEFAULT_PORTS.get(scheme):
                host = f"{host}:{port}"
        userinfo = netloc.rpartition("@")[0] if "@" in netloc else ""
        netloc = f"{userinfo}@{host}" if userinfo else host
    path = _normalise_escapes(parts.path) or "/"
    pairs = [_normalise_escapes(p) for p in parts.query.split("&") if p]
    # A stable sort keeps repeated names (`ids[]=2&ids[]=1`) in their meaningful order.
    pairs.sort(key=lambda p: p.partition("=")[0])
    return urlunsplit((scheme, netloc, path, "&".join(pairs), ""))


def _normalise_escapes(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    return _ESCAPE.sub(fix, text)


def cache_key(credential_id: str | None, method: str, url: str, accept: str | None) -> str:
    """A hex SHA-256 naming one stored response: credential identity (a hash from the dialect,
    never the secret) + method + canonical URL + Accept."""
    # JSON framing keeps fields from running into each other ("a"+"bc" vs "ab"+"c"). The text is
    # exactly `json.dumps([version, credential, method, url, accept])` (the recipe of
    # `_KEY_VERSION`, so stored SQLite/Redis entries keep their keys), built from a cached prefix
    # and the encoder json.dumps itself uses for strings.
    framed = (
        _key_prefix(credential_id or "", method.strip().upper())
        + encode_basestring_ascii(canonical_url(url))
        + ", "
        + encode_basestring_ascii(" ".join((accept or "").split()))
        + "]"
    )
    return hashlib.sha256(framed.encode()).hexdigest()


@lru_cache(maxsize=256)
def _key_prefix(credential_id: str, method: str) -> str:
    parts = (_KEY_VERSION, credential_id, method)
    return "[" + "".join(encode_basestring_ascii(p) + ", " for p in parts)


def validators(entry: CacheEntry) -> dict[str, str]:
    """The conditional headers for revalidating `entry`, values echoed exactly as stored."""
    out: dict[str, str] = {}
    if entry.etag:
        out["If-None-Match"] = entry.etag
    if entry.last_modified:
        out["If-Modified-Since"] = entry.last_modified
    return out


def _directives(headers: httpx.Headers, name: str) -> set[str]:
    found: set[str] = set()
    for value in headers.get_list(name, split_commas=True):
        token = value.partition("=")[0].strip().lower()
        if token:
            found.add(token)
    return found


def should_store(request_is_cacheable: bool, status: int, headers: HeadersLike) -> bool:
    """Whether a response may be kept: a 200 to a cacheable request, with an ETag or Last-Modified,
    not marked `Cache-Control: no-store` and not `Vary: *`."""
    if not request_is_cacheable or status != 200:
        return False
    h = _as_headers(headers)
    if "no-store" in _directives(h, "cache-control"):
        return False
    if "*" in _directives(h, "vary"):
        return False
    return bool(h.get("etag", "").strip() or h.get("last-modified", "").strip())


def storable_headers(headers: HeadersLike) -> tuple[tuple[str, str], ...]:
    """The headers worth keeping with an entry: all but hop-by-hop and credential-bearing ones."""
    return tuple(
        (name, value)
        for name, value in _as_headers(headers).multi_items()
        # A SQLite file or a Redis server must hold no secret (X-SessionKey, cookies, tokens).
        if name not in _HOP_BY_HOP and not is_secret_header(name)
    )


def entry_from(response: Response, now: float) -> CacheEntry:
    """The entry to store for a complete 200 response (streamed bodies are refused)."""
    if not isinstance(response.content, bytes):
        raise TypeError("only a complete bytes body can be cached, not a stream")
    etag = response.headers.get("etag", "").strip() or None
    last_modified = response.headers.get("last-modified", "").strip() or None
    return CacheEntry(
        status=response.status,
        headers=storable_headers(response.headers),
        content=response.content,
        etag=etag,
        last_modified=last_modified,
        stored_at=now,
    )


def entry_to_store(response: Response, now: float) -> CacheEntry | None:
    """The entry to keep for a complete 200 to a GET, or None when `should_store` refuses it;
    the same answers as `should_store` + `entry_from`, from one pass over the headers."""
    if response.status != 200 or not isinstance(response.content, bytes):
        return None
    items = _as_headers(response.headers).multi_items()
    kept: list[tuple[str, str]] = []
    etags: list[str] = []
    modified: list[str] = []
    for name, value in items:
        if name == "cache-control" or name == "vary":
            refused = "no-store" if name == "cache-control" else "*"
            for part in value.split(","):
                if part.partition("=")[0].strip().lower() == refused:
                    return None
        elif name == "etag":
            etags.append(value)
        elif name == "last-modified":
            modified.append(value)
        if name not in _HOP_BY_HOP and not is_secret_header(name):
            kept.append((name, value))
    # Repeated fields read as one comma-joined value, as `httpx.Headers.get` gives them.
    etag = ", ".join(etags).strip() or None
    last_modified = ", ".join(modified).strip() or None
    if etag is None and last_modified is None:
        return None
    return CacheEntry(
        status=response.status,
        headers=tuple(kept),
        content=response.content,
        etag=etag,
        last_modified=last_modified,
        stored_at=now,
    )


def merge_headers(stored: HeadersLike, fresh: HeadersLike) -> list[tuple[str, str]]:
    """Stored headers updated by a 304's: each name the 304 sends replaces all stored values of
    that name, except the fields that describe the 304's own empty body."""
    fresh_items = [(n, v) for n, v in _as_headers(fresh).multi_items() if n not in _KEEP_STORED]
    replaced = {n for n, _ in fresh_items}
    kept = [(n, v) for n, v in _as_headers(stored).multi_items() if n not in replaced]
    return kept + fresh_items


def revalidated(
    entry: CacheEntry,
    not_modified_headers: HeadersLike,
    *,
    method: str,
    url: str,
    attempts: int = 1,
    elapsed: float = 0.0,
) -> Response:
    """The response a 304 stands for: the stored body and status, headers refreshed by the 304,
    marked `from_cache`."""
    return Response(
        status=entry.status,
        headers=httpx.Headers(merge_headers(entry.headers, not_modified_headers)),
        content=entry.content,
        method=method,
        url=url,
        from_cache=True,
        attempts=attempts,
        elapsed=elapsed,
    )


def refreshed(entry: CacheEntry, not_modified_headers: HeadersLike, now: float) -> CacheEntry:
    """The entry as a 304 updates it: merged storable headers, the server's current validators."""
    headers = storable_headers(merge_headers(entry.headers, not_modified_headers))
    h = httpx.Headers(headers)
    return CacheEntry(
        status=entry.status,
        headers=headers,
        content=entry.content,
        etag=h.get("etag", "").strip() or entry.etag,
        last_modified=h.get("last-modified", "").strip() or entry.last_modified,
        stored_at=now,
    )


def _as_headers(headers: HeadersLike) -> httpx.Headers:
    return headers if isinstance(headers, httpx.Headers) else httpx.Headers(headers)


class ConditionalCache:
    """The engine's view of the cache: look up, add validators, store 200s, answer 304s.

    Storage failures (disk full, a corrupt row, Redis down) never fail a request: they are logged
    as warnings on the `asyncdam` logger and the request carries on uncached.
    """

    def __init__(self, storage: CacheStorage | None = None) -> None:
        self.storage: CacheStorage = storage if storage is not None else MemoryCache()
        self.errors = 0
        self._failing = False

    def __repr__(self) -> str:
        return f"ConditionalCache({self.storage!r})"

    async def __aenter__(self) -> ConditionalCache:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def lookup(self, key: str) -> CacheEntry | None:
        """The stored entry for `key`; None when absent, corrupt or the storage fails."""
        try:
            entry = await self.storage.get(key)
        except CorruptEntryError as exc:
            self._trouble("dropping corrupt cache entry", key, exc, always=True)
            await self._forget(key)
            return None
        except Exception as exc:
            self._trouble("cache lookup failed", key, exc)
            return None
        self._ok()
        return entry

    def conditional_headers(self, entry: CacheEntry | None) -> dict[str, str]:
        """`If-None-Match` / `If-Modified-Since` for the entry; empty when there is none."""
        return {} if entry is None else validators(entry)

    async def store(
        self, key: str, response: Response, now: float, *, cacheable: bool = True
    ) -> bool:
        """Keep a 200 that qualifies (replacing any older entry); True when stored.

        A 200 that may not be kept (no validator, `no-store`) drops the older entry, which no
        longer describes the resource. Other statuses leave the cache alone.
        """
        if response.status != 200 or not cacheable:
            return False
        entry = entry_to_store(response, now) if response.method.upper() == "GET" else None
        if entry is None:
            await self._forget(key)
            return False
        try:
            await self.storage.set(key, entry)
        except Exception as exc:
            self._trouble("cache store failed", key, exc)
            return False
        self._ok()
        return True

    def from_not_modified(self, entry: CacheEntry, response: Response) -> Response:
        """The full response a 304 stands for (status 200, stored body, `from_cache=True`)."""
        return revalidated(
            entry,
            response.headers,
            method=response.method,
            url=response.url,
            attempts=response.attempts,
            elapsed=response.elapsed,
        )

    async def refresh(self, key: str, entry: CacheEntry, response: Response, now: float) -> None:
        """Persist what a 304 changed; writes only when the validators moved (rare)."""
        updated = refreshed(entry, response.headers, now)
        if (updated.etag, updated.last_modified) == (entry.etag, entry.last_modified):
            return
        try:
            await self.storage.set(key, updated)
        except Exception as exc:
            self._trouble("cache refresh failed", key, exc)

    async def invalidate(self, key: str) -> None:
        """Drop the entry for `key` (errors are logged, not raised)."""
        await self._forget(key)

    async def aclose(self) -> None:
        """Close the storage (errors are logged, not raised)."""
        try:
            await self.storage.aclose()
        except Exception as exc:
            self._trouble("cache close failed", None, exc)

    async def _forget(self, key: str) -> None:
        try:
            await self.storage.delete(key)
        except Exception as exc:
            self._trouble("cache delete failed", key, exc)

    def _trouble(
        self, what: str, key: str | None, exc: BaseException, *, always: bool = False
    ) -> None:
        self.errors += 1
        # Warn when trouble starts; while the storage keeps failing, every request would repeat it.
        level = logging.DEBUG if self._failing and not always else logging.WARNING
        self._failing = True
        _logger.log(
            level,
            "%s (key %s): %s: %s; continuing uncached",
            what,
            key[:12] if key else "-",
            type(exc).__name__,
            exc,
        )

    def _ok(self) -> None:
        self._failing = False
