"""Phraseanet-specific refinements of the shared error tree.

Phraseanet answers 401 in two ways that mean different things to a caller:

- an **empty body** with `WWW-Authenticate: OAuth ... error='invalid_token'`: the token is unknown
  or revoked -> `InvalidToken` (re-authenticate);
- an **enveloped** 401 (`error_details` "You are not authorized"): the token is fine but this user
  may not do this -> `PermissionDenied` (do not re-authenticate).

Both subclass `Unauthorized`, so `except Unauthorized` still catches either. The OAuth library's own
400 replies (no token, `Bearer` scheme, token sent twice, token endpoint failures) are
`OAuthRequestError` (a `BadRequest`) carrying the OAuth `oauth_error` code.

Every error built from an envelope carries `error_type`, `error_details` and `api_version`
attributes (None when the reply had no envelope).
"""

from __future__ import annotations

from typing import Any

from asyncdam.engine.errors import BadRequest, Unauthorized

__all__ = ["InvalidToken", "OAuthRequestError", "PermissionDenied"]


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
