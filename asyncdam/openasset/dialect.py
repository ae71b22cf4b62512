"""The OpenAsset dialect: base URL under /REST/1/, auth, error bodies (JSON or proxy HTML)."""

from __future__ import annotations

import html
import re
from typing import Any

import attrs
import httpx

from asyncdam._version import __version__
from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.request import Response
from asyncdam.engine.types import RateLimitInfo
from asyncdam.openasset.versions import Version, parse_version

VERSION_HEADER = "X-OpenAsset-Version"
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_PARA = re.compile(r"<p[^>]*>(.*?)</p>", re.I | re.S)
_TAGS = re.compile(r"<[^>]+>")


def rest_base(url: str, *, allow_insecure_http: bool = False) -> httpx.URL:
    """The API root: `https://host/` or `https://host/REST/1/` both become `.../REST/1/`."""
    base = check_base_url(url, allow_insecure_http=allow_insecure_http)
    path = base.path
    if not path.rstrip("/").endswith("/REST/1"):
        path = path.rstrip("/") + "/REST/1/"
    return base.copy_with(path=path)


def _clean(fragment: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", fragment)).split())


def html_error_text(text: str) -> str | None:
    """The readable part of an HTML error page (its paragraph, else its title)."""
    for pattern in (_PARA, _TITLE):
        found = pattern.search(text)
        if found and _clean(found.group(1)):
            return _clean(found.group(1))[:300]
    return None


@attrs.define(kw_only=True)
class OpenAssetDialect(BaseDialect):
    """OpenAsset: no rate-limit headers, `error_message` bodies, version read from each answer."""

    server_version: Version | None = None
    server_version_text: str | None = None

    def read_rate_limit(self, headers: httpx.Headers, now: float) -> RateLimitInfo | None:
        """OpenAsset documents no rate-limit headers; nothing to read."""
        return None

    def error_message(self, body: Any, response: Response) -> str:
        """`error_message` of a JSON body, or the text of a proxy's HTML page."""
        if isinstance(body, dict):
            value = body.get("error_message")
            if isinstance(value, str) and value:
                return value
        if isinstance(body, str) and "<" in body:
            text = html_error_text(body)
            if text:
                return text
        return super().error_message(body, response)

    def note_version(self, headers: httpx.Headers) -> None:
        """Remember the server's version from any answer that states it."""
        raw = headers.get(VERSION_HEADER)
        if raw and raw != self.server_version_text:
            self.server_version_text = raw
            self.server_version = parse_version(raw)

    def check_response(self, response: Response, now: float) -> None:
        """Note the version, then raise the typed error for a failure."""
        self.note_version(response.headers)
        super().check_response(response, now)

    def error_for(self, response: Response, now: float) -> Any:
        """The typed error; failures also tell the server's version."""
        self.note_version(response.headers)
        return super().error_for(response, now)


def default_headers() -> dict[str, str]:
    """User-Agent naming asyncdam and JSON as the accepted type."""
    return {"User-Agent": f"asyncdam/{__version__} (openasset)", "Accept": "application/json"}
