"""One exception tree for every service: transport failures, HTTP statuses, undecodable bodies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from asyncdam.engine.redact import redact_url, safe_headers


class AsyncDamError(Exception):
    """Root of every error asyncdam raises."""


class ConfigurationError(AsyncDamError, ValueError):
    """The client was built or called with invalid arguments; nothing was sent."""


class InvalidRequestError(ConfigurationError):
    """A request was refused before sending: a bad id, parameter, header or body."""


class InsecureTransportError(ConfigurationError):
    """Plain http to a non-loopback host without the explicit opt-in."""


class InvalidArgumentError(ConfigurationError):
    """A constructor argument has the wrong type or value; `.field` names the argument."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class TransportError(AsyncDamError):
    """No usable response arrived: connection refused or reset, protocol error."""

    def __init__(self, message: str, *, method: str = "", url: str = "", attempts: int = 1):
        self.method = method
        self.url = redact_url(url)
        self.attempts = attempts
        super().__init__(message)

    def __str__(self) -> str:
        base = super().__str__()
        where = f" ({self.method} {self.url})" if self.method else ""
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{base}{where}{tries}"


class TimeoutError(TransportError):
    """Time ran out; `limit` names which one: `timeout` (one connect, read, write or pool
    operation), `attempt_timeout` (one whole attempt) or `deadline` (the whole call)."""

    def __init__(
        self,
        message: str,
        *,
        limit: str = "timeout",
        method: str = "",
        url: str = "",
        attempts: int = 1,
    ):
        self.limit = limit
        super().__init__(message, method=method, url=url, attempts=attempts)


class DecodeError(AsyncDamError):
    """A body was not what the service promises (bad JSON, missing envelope, wrong shape)."""

    def __init__(self, message: str, *, method: str = "", url: str = "", body: bytes = b""):
        self.method = method
        self.url = redact_url(url)
        self.body = body[:2048]
        super().__init__(f"{message} ({method} {self.url})" if method else message)


class ResponseTooLarge(AsyncDamError):
    """A body passed its byte limit (counted after decompression); reading stopped there.

    `limit` is the limit that fired, `setting` its name (`max_response_bytes` or
    `max_download_bytes`), `declared` the Content-Length when that alone gave it away.
    """

    def __init__(
        self,
        message: str,
        *,
        limit: int,
        setting: str,
        method: str = "",
        url: str = "",
        status: int | None = None,
        declared: int | None = None,
    ):
        self.limit = limit
        self.setting = setting
        self.method = method
        self.url = redact_url(url)
        self.status = status
        self.declared = declared
        super().__init__(f"{message} ({method} {self.url})" if method else message)


@attrs.frozen
class FieldError:
    """One field-level validation error reported by the server."""

    field: str
    message: str
    code: str | None = None


class APIStatusError(AsyncDamError):
    """The server answered with a non-success status."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        method: str,
        url: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        attempts: int = 1,
    ):
        self.status = status
        self.method = method
        self.url = redact_url(url)
        self.body = body
        # Filtered like cache entries: whatever serialises an exception must ship no credential.
        self.headers = safe_headers(headers or {})
        self.attempts = attempts
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        tries = f", after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.status} {self.message} ({self.method} {self.url}{tries})"


class BadRequest(APIStatusError):
    """400: the server could not understand the request."""


class Unauthorized(APIStatusError):
    """401: the credential is missing, wrong or expired."""


class Forbidden(APIStatusError):
    """403: the credential is valid but may not do this."""


class NotFound(APIStatusError):
    """404: no such resource (or route)."""


class MethodNotAllowed(APIStatusError):
    """405: the route exists but not for this method."""


class Conflict(APIStatusError):
    """409: the request conflicts with the current state."""


class Gone(APIStatusError):
    """410: the resource existed but has expired (e.g. an async download)."""


class ValidationFailed(APIStatusError):
    """422: the server rejected the content; `field_errors` says which fields and why."""

    def __init__(self, message: str, *, field_errors: Sequence[FieldError] = (), **kw: Any):
        self.field_errors = tuple(field_errors)
        super().__init__(message, **kw)

    def __str__(self) -> str:
        detail = "; ".join(f"{e.field}: {e.message}" for e in self.field_errors)
        return f"{super().__str__()}{' - ' + detail if detail else ''}"


class RateLimited(APIStatusError):
    """429: too many requests; `reset_at` (epoch seconds) says when the quota refills."""

    def __init__(
        self,
        message: str,
        *,
        reset_at: float | None = None,
        retry_after: float | None = None,
        concurrency: bool = False,
        **kw: Any,
    ):
        self.reset_at = reset_at
        self.retry_after = retry_after
        self.concurrency = concurrency
        super().__init__(message, **kw)


class QuotaWaitTooLong(RateLimited):
    """The limiter would wait longer than `max_throttle_wait` for the quota: refused up front.

    Nothing was sent. `wait` is the wait the limiter computed, `reset_at` (epoch seconds) when the
    quota is expected to refill; the status is 429, what the server would have answered.
    """

    def __init__(self, message: str, *, wait: float, **kw: Any):
        self.wait = wait
        super().__init__(message, **kw)


class UnexpectedRedirect(APIStatusError):
    """A 3xx the engine does not follow (another origin, a downgrade to http, a non-GET method,
    too many hops, no `Location`, or a 304 with nothing cached); `location` is redacted."""

    def __init__(self, message: str, *, location: str | None = None, **kw: Any):
        self.location = redact_url(location) if location else None
        super().__init__(message, **kw)

    def __str__(self) -> str:
        where = f" -> {self.location}" if self.location else ""
        return f"{super().__str__()}{where}"


class ServerError(APIStatusError):
    """5xx: the server failed."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    410: Gone,
    422: ValidationFailed,
    429: RateLimited,
}


def error_class_for(status: int) -> type[APIStatusError]:
    """The most specific error class for an HTTP status."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, APIStatusError)
