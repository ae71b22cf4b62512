"""Phrase credentials as `httpx.Auth`: token header, token as basic user, or email + password.

The secret lives only inside the auth object and is written to the Authorization header at send
time; `repr` shows the scheme and a short hash, never the secret.
"""

from __future__ import annotations

import base64
from collections.abc import Generator

import httpx

from asyncdam.engine.errors import ConfigurationError
from asyncdam.engine.keys import short_hash
from asyncdam.engine.request import check_header_value

__all__ = ["PhraseAuth", "make_auth"]

OTP_HEADER = "X-PhraseApp-OTP"


class PhraseAuth(httpx.Auth):
    """Adds `Authorization` (and `X-PhraseApp-OTP` when given) to every request."""

    def __init__(self, scheme: str, value: str, identity: str, otp: str | None = None) -> None:
        check_header_value("Authorization", value)
        if otp is not None:
            check_header_value(OTP_HEADER, otp)
        self.scheme = scheme
        self._value = value
        self._otp = otp
        self.credential_id = short_hash(identity)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the headers; a per-request OTP header given by the caller wins."""
        request.headers["Authorization"] = self._value
        if self._otp is not None and OTP_HEADER not in request.headers:
            request.headers[OTP_HEADER] = self._otp
        yield request

    def __repr__(self) -> str:
        return f"PhraseAuth(scheme={self.scheme!r}, credential={self.credential_id})"


def _basic(user: str, password: str) -> str:
    raw = f"{user}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def make_auth(
    *,
    token: str | None = None,
    email: str | None = None,
    password: str | None = None,
    otp: str | None = None,
    token_as_basic: bool = False,
) -> PhraseAuth:
    """Pick the auth form from the arguments; exactly one credential kind must be given."""
    has_basic = email is not None or password is not None
    if token is not None and has_basic:
        raise ConfigurationError("pass either token= or email= and password=, not both")
    if token is not None:
        if not token or token != token.strip():
            raise ConfigurationError("token must be a non-empty string without surrounding spaces")
        if token_as_basic:
            return PhraseAuth("basic-token", _basic(token, ""), "token:" + token, otp)
        return PhraseAuth("token", f"token {token}", "token:" + token, otp)
    if has_basic:
        if not email or not password:
            raise ConfigurationError("email= and password= go together")
        if ":" in email:
            raise ConfigurationError("email must not contain ':' (basic auth separator)")
        return PhraseAuth("basic", _basic(email, password), f"basic:{email}:{password}", otp)
    raise ConfigurationError("Phrase needs token= or email= and password=")
