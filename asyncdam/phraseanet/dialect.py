"""What the engine needs to know about Phraseanet: base URL, auth, headers, envelope errors."""

from __future__ import annotations

import re
from typing import Any

import attrs
import httpx

from asyncdam._version import __version__
from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.errors import APIStatusError, ValidationFailed, error_class_for
from asyncdam.engine.request import Response
from asyncdam.engine.types import RateLimitInfo
from asyncdam.phraseanet.envelope import Envelope, as_envelope, parse_envelope, parse_json
from asyncdam.phraseanet.errors import InvalidToken, OAuthRequestError, PermissionDenied

__all__ = ["PhraseanetDialect", "TokenEndpointDialect", "install_root", "user_agent"]

_API_SUFFIX = re.compile(r"(?:api/(?:v\d+/?)?)?$")
_WWW_ERROR = re.compile(r"error\s*=\s*['\"]?([A-Za-z_]+)")


def user_agent() -> str:
    """The User-Agent naming asyncdam and its version."""
    return f"asyncdam/{__version__} (+https://github.com/asyncdam/asyncdam)"


def install_root(base_url: str, *, allow_insecure_http: bool = False) -> httpx.URL:
    """The install root (`https://host/` or `https://host/prefix/`) from any API-ish URL.

    `https://host`, `https://host/api/` and `https://host/api/v1/` all name the same install.
    """
    url = check_base_url(base_url, allow_insecure_http=allow_insecure_http)
    path = _API_SUFFIX.sub("", url.path.rstrip("/") + "/")
    path = path if path.endswith("/") else path + "/"
    return url.copy_with(path=path)


def _oauth_code(response: Response) -> str | None:
    match = _WWW_ERROR.search(response.headers.get("www-authenticate", ""))
    return match.group(1) if match else None


def _common(response: Response, body: Any) -> dict[str, Any]:
    return {
        "status": response.status,
        "method": response.method,
        "url": response.url,
        "body": body,
        "headers": dict(response.headers),
        "attempts": response.attempts,
    }


def _annotate(error: APIStatusError, env: Envelope | None) -> APIStatusError:
    meta = env.meta if env is not None else {}
    # Attributes documented in asyncdam.phraseanet.errors; set here so every class carries them.
    error.error_type = meta.get("error_type")  # type: ignore[attr-defined]
    error.error_details = meta.get("error_details")  # type: ignore[attr-defined]
    error.api_version = meta.get("api_version")  # type: ignore[attr-defined]
    return error


def envelope_error(response: Response, env: Envelope, status: int) -> APIStatusError:
    """The typed error for an enveloped error reply whose real code is `status`."""
    meta = env.meta
    details, message, etype = (
        meta.get(k) for k in ("error_details", "error_message", "error_type")
    )
    text = next((v for v in (details, message, etype) if isinstance(v, str) and v), None)
    text = text or httpx.codes.get_reason_phrase(status) or "error"
    common = _common(response, {"meta": meta, "response": env.response})
    common["status"] = status
    if status == 401:
        error: APIStatusError = PermissionDenied(text, **common)
    elif status == 422:
        error = ValidationFailed(text, **common)
    else:
        error = error_class_for(status)(text, **common)
    return _annotate(error, env)


def oauth_error(response: Response) -> APIStatusError:
    """Map a reply that came from the OAuth layer or the web server (no envelope)."""
    status = response.status
    if not response.content.strip():
        code = _oauth_code(response)
        common = _common(response, None)
        if status == 401:
            return _annotate(
                InvalidToken(
                    f"token rejected ({code or 'invalid_token'})", oauth_error=code, **common
                ),
                None,
            )
        if status == 400 and code:
            return _annotate(
                OAuthRequestError(f"OAuth request refused ({code})", oauth_error=code, **common),
                None,
            )
        return _annotate(
            error_class_for(status)(httpx.codes.get_reason_phrase(status) or "error", **common),
            None,
        )
    try:
        body: Any = parse_json(response)
    except Exception:
        body = response.text[:2048]
    common = _common(response, body)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        code = body["error"]
        cls = InvalidToken if status == 401 else OAuthRequestError
        if status in (400, 401):
            return _annotate(cls(f"OAuth error: {code}", oauth_error=code, **common), None)
    if isinstance(body, dict) and isinstance(body.get("msg"), str):
        return _annotate(error_class_for(status)(body["msg"], **common), None)
    reason = httpx.codes.get_reason_phrase(status) or "error"
    return _annotate(error_class_for(status)(reason, **common), None)


# Media types of the few routes that answer a file rather than an envelope.
ARCHIVE_TYPES = frozenset({"application/zip", "application/x-zip-compressed"})


@attrs.define(kw_only=True)
class PhraseanetDialect(BaseDialect):
    """Phraseanet: per-host scope, no rate-limit headers, errors read from the envelope."""

    def read_rate_limit(self, headers: httpx.Headers, now: float) -> RateLimitInfo | None:
        """Phraseanet documents and sends no rate-limit headers."""
        return None

    def error_message(self, body: Any, response: Response) -> str:
        """`error_details`, else `error_message`, else the OAuth `error` code."""
        env = as_envelope(body)
        if env is not None:
            for key in ("error_details", "error_message", "error_type"):
                value = env.meta.get(key)
                if isinstance(value, str) and value:
                    return value
        return super().error_message(body, response)

    def error_for(self, response: Response, now: float) -> APIStatusError:
        """Enveloped errors by `meta.http_code`; bare OAuth replies by status and header."""
        env = None
        if response.content.strip():
            try:
                env = as_envelope(parse_json(response))
            except Exception:
                env = None
        if env is not None:
            return envelope_error(response, env, env.http_code or response.status)
        return oauth_error(response)

    def check_response(self, response: Response, now: float) -> None:
        """Raise for failures, including a 2xx whose envelope reports an error code."""
        if response.status >= 400:
            raise self.error_for(response, now)
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media in ARCHIVE_TYPES:
            return  # a download (the v2 order archive), not an API reply: nothing to unwrap
        env = parse_envelope(response)
        code = env.http_code
        if code is not None and code >= 400:
            raise envelope_error(response, env, code)


@attrs.define(kw_only=True)
class TokenEndpointDialect(BaseDialect):
    """The OAuth2 token endpoint: plain JSON (no envelope), errors as `{"error": code}`."""

    def read_rate_limit(self, headers: httpx.Headers, now: float) -> RateLimitInfo | None:
        """No rate-limit headers."""
        return None

    def error_for(self, response: Response, now: float) -> APIStatusError:
        """`{"error": code}` -> `OAuthRequestError`; the HTTPS gate's `{"msg"}` -> BadRequest."""
        return oauth_error(response)
