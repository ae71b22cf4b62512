"""Phraseanet-specific refinements of the shared error tree.

Phraseanet answers 401 in two ways that mean different things to a caller:

- an **empty body** with `WWW-Authenticate: OAuth ... error='invalid_token'`: the token is unknown
  or revoked -> `InvalidToken` (re-authenticate);
- an **enveloped** 401 (`error_details` "You are not authorized"): the token is fine but this user
  may not do this -> `PermissionDenied` (do not re-authenticate).

Both subclass `Unauthorized`, so `except Unauthorized` still catches either. The OAuth library's own
400 replies (no token, `Bearer` scheme, token sent twice, token endpoint failures) are
`OAuthRequestError` (a `BadRequest`) carrying the OAuth `oauth_error` code.

Every error the adapter raises carries `error_type`, `error_details` and `api_version`
attributes (None when the reply had no envelope); `error_meta(err)` reads them with types.
"""

from __future__ import annotations

from typing import Any

import attrs

from asyncdam.engine.errors import APIStatusError, BadRequest, Unauthorized

__all__ = ["ErrorMeta", "InvalidToken", "OAuthRequestError", "PermissionDenied", "error_meta"]


@attrs.frozen
class ErrorMeta:
    """The envelope's error fields of a failed reply."""

    http_code: int | None
    error_type: str | None
    error_message: str | None
    error_details: str | None
    api_version: str | None


def error_meta(error: APIStatusError) -> ErrorMeta | None:
    """The envelope `meta` of an error, or None when the reply had no envelope (OAuth layer)."""
    body = error.body
    meta = body.get("meta") if isinstance(body, dict) else None
    if not isinstance(meta, dict):
        return None

    def text(key: str) -> str | None:
        value = meta.get(key)
        return value if isinstance(value, str) else None

    code = meta.get("http_code")
    return ErrorMeta(
        http_code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        error_type=text("error_type"),
        error_message=text("error_message"),
        error_details=text("error_details"),
        api_version=text("api_version"),
    )


class InvalidToken(Unauthorized):
    """401 with an empty body: the OAuth/developer token is unknown or was revoked."""

    def __init__(self, message: str, *, oauth_error: str | None = None, **kw: Any) -> None:
        self.oauth_error = oauth_error
        super().__init__(message, **kw)


class PermissionDenied(Unauthorized):
    """Enveloped 401: the token is valid but this user lacks the right for this call."""


class OAuthRequestError(BadRequest):
    """400 from the OAuth layer (no envelope): `oauth_error` is e.g. `invalid_request`,
    `invalid_grant`, `invalid_client`, `unsupported_grant_type`."""

    def __init__(self, message: str, *, oauth_error: str | None = None, **kw: Any) -> None:
        self.oauth_error = oauth_error
        super().__init__(message, **kw)
