"""What the engine needs to know about a service, supplied by each adapter.

The engine knows no service by name: base URL, auth, headers, rate-limit headers, error bodies and
quota scopes all come from a `Dialect`. `BaseDialect` holds the common answers; adapters override.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

import attrs
import httpx

from asyncdam.engine.errors import (
    APIStatusError,
    FieldError,
    InsecureTransportError,
    InvalidArgumentError,
    InvalidRequestError,
    RateLimited,
    ValidationFailed,
    error_class_for,
)
from asyncdam.engine.request import Request, Response, check_header_value
from asyncdam.engine.retry_headers import parse_rate_limit, parse_retry_after
from asyncdam.engine.types import Rate, RateLimitInfo

__all__ = ["BaseDialect", "Rate", "RateLimitInfo", "check_base_url"]


def _is_loopback(host: str) -> bool:
    if host in {"localhost", "localhost.localdomain"} or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, *, allow_insecure_http: bool = False) -> httpx.URL:
    """Validate a base URL: https, or http only to loopback unless the caller opted in."""
    parsed = httpx.URL(url)
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise InsecureTransportError(f"base URL must be an absolute http(s) URL, got {url!r}")
    if parsed.userinfo:
        raise InsecureTransportError("base URL must not embed credentials; pass them as arguments")
    if parsed.scheme == "http" and not allow_insecure_http and not _is_loopback(parsed.host):
        raise InsecureTransportError(
            f"plain http to {parsed.host} would expose credentials; use https or pass "
            "allow_insecure_http=True"
        )
    path = parsed.path if parsed.path.endswith("/") else parsed.path + "/"
    return parsed.copy_with(path=path, query=None, fragment=None)


@attrs.define(kw_only=True)
class BaseDialect:
    """Defaults that fit most services; each adapter subclasses and overrides what differs."""

    name: str
    base_url: httpx.URL
    auth: httpx.Auth | None = None
    default_headers: Mapping[str, str] = attrs.field(factory=dict)
    credential_id: str = "anonymous"
    concurrency: int = 2
    initial_rate: Rate | None = None

    def __attrs_post_init__(self) -> None:
        for k, v in self.default_headers.items():
            check_header_value(k, v)
        concurrency = self.concurrency
        if isinstance(concurrency, bool) or not isinstance(concurrency, int):
            raise InvalidArgumentError(
                "concurrency", f"must be an integer of at least 1, got {concurrency!r}"
            )
        if concurrency < 1:
            raise InvalidArgumentError("concurrency", f"must be at least 1, got {concurrency}")

    def scope_for(self, request: Request) -> str:
        """The quota scope a request counts against (default: per host and credential)."""
        return request.scope or f"{self.name}:{self.base_url.host}:{self.credential_id}"

    def url_for(self, request: Request) -> httpx.URL:
        """The absolute URL of a request; absolute `request.url`s must stay on this origin."""
        if request.url is not None:
            url = httpx.URL(request.url)
            if (url.scheme, url.host, url.port) != (
                self.base_url.scheme,
                self.base_url.host,
                self.base_url.port,
            ):
                raise InvalidRequestError(
                    f"refusing to send credentials to another origin: {url.scheme}://{url.host}"
                )
            return url
        # Plain concatenation: the base ends with "/", path values are percent-encoded and dot
        # segments refused, so RFC 3986 joining (several URL parses per request) changes nothing.
        return httpx.URL(str(self.base_url) + request.rendered_path().lstrip("/"))

    def read_rate_limit(self, headers: httpx.Headers, now: float) -> RateLimitInfo | None:
        """Quota facts from response headers (default: X-Rate-Limit-Limit/Remaining/Reset)."""
        return parse_rate_limit(headers, now)

    def error_message(self, body: Any, response: Response) -> str:
        """A one-line message from an error body (default: `message` or `error` keys)."""
        if isinstance(body, dict):
            for key in ("message", "error_message", "error", "detail"):
                value = body.get(key)
                if isinstance(value, str) and value:
                    return value
        return httpx.codes.get_reason_phrase(response.status) or "error"

    def field_errors(self, body: Any) -> list[FieldError]:
        """Field errors from a 422 body (default: `errors: [{field, message}]`)."""
        out: list[FieldError] = []
        if isinstance(body, dict) and isinstance(body.get("errors"), list):
            for item in body["errors"]:
                if isinstance(item, dict):
                    out.append(
                        FieldError(
                            field=str(item.get("field", "")),
                            message=str(item.get("message", "")),
                            code=str(item["code"]) if "code" in item else None,
                        )
                    )
        return out

    def is_concurrency_limited(self, response: Response) -> bool:
        """Whether a 429 is about parallel requests rather than the quota."""
        return False

    def error_for(self, response: Response, now: float) -> APIStatusError:
        """Map a non-success response onto the error tree."""
        try:
            body: Any = response.json()
        except Exception:
            body = response.text[:2048] or None
        message = self.error_message(body, response)
        common: dict[str, Any] = {
            "status": response.status,
            "method": response.method,
            "url": response.url,
            "body": body,
            "headers": dict(response.headers),
            "attempts": response.attempts,
        }
        if response.status == 422:
            return ValidationFailed(message, field_errors=self.field_errors(body), **common)
        if response.status == 429:
            info = self.read_rate_limit(response.headers, now)
            return RateLimited(
                message,
                reset_at=info.reset_at if info else None,
                retry_after=parse_retry_after(response.headers.get("retry-after"), now),
                concurrency=self.is_concurrency_limited(response),
                **common,
            )
        return error_class_for(response.status)(message, **common)

    def check_response(self, response: Response, now: float) -> None:
        """Raise the typed error for a failed response; adapters may also check success bodies."""
        if response.status >= 400:
            raise self.error_for(response, now)
