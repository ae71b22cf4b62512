"""Who is calling: the token header, Basic (token as user, or email and password), access_token."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import parse_qsl

import attrs

ALL_SCOPES = frozenset({"read", "write", "orders.create", "team.manage"})
# The seeded user's login; the configured token doubles as its password.
USER_EMAIL = "emulator@example.com"
# A second login for the same user with two-factor auth switched on.
OTP_EMAIL = "2fa@example.com"
OTP_CODE = "123456"
OTP_HEADER = "x-phraseapp-otp"


@attrs.frozen
class Identity:
    """A recognised caller: which user and by which scheme."""

    user_id: str
    scheme: str  # "token", "basic_token", "password", "query"
    scopes: frozenset[str] = ALL_SCOPES


@attrs.frozen
class AuthFailure:
    """Why a request was refused; `otp_required` adds the X-PhraseApp-OTP challenge header."""

    message: str
    otp_required: bool = False


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def token_digest(token: str) -> str:
    """How extra tokens are indexed (their secret is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _token_scopes(
    value: str, token: str, extra: Mapping[str, frozenset[str]]
) -> frozenset[str] | None:
    if not value:
        return None
    if _same(value, token):
        return ALL_SCOPES
    return extra.get(token_digest(value))


def authenticate(
    headers: dict[str, str],
    query: str,
    token: str,
    user_id: str,
    extra: Mapping[str, frozenset[str]] | None = None,
) -> Identity | AuthFailure:
    """Check one request's credentials: the configured token, or a token made by /authorizations
    (`extra` maps their SHA-256 to their scopes)."""
    extra = extra or {}
    header = headers.get("authorization", "").strip()
    if header:
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        value = value.strip()
        if scheme == "token":
            scopes = _token_scopes(value, token, extra)
            if scopes is not None:
                return Identity(user_id, "token", scopes)
            return AuthFailure("Unauthorized")
        if scheme == "basic":
            return _basic(value, headers, token, user_id, extra)
        return AuthFailure("Unauthorized")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name == "access_token":
            scopes = _token_scopes(value, token, extra)
            if scopes is not None:
                return Identity(user_id, "query", scopes)
            return AuthFailure("Unauthorized")
    return AuthFailure("Unauthorized")


def _basic(
    value: str,
    headers: dict[str, str],
    token: str,
    user_id: str,
    extra: Mapping[str, frozenset[str]],
) -> Identity | AuthFailure:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return AuthFailure("Unauthorized")
    user, sep, password = decoded.partition(":")
    if not sep:
        return AuthFailure("Unauthorized")
    if not password:
        scopes = _token_scopes(user, token, extra)
        if scopes is not None:
            return Identity(user_id, "basic_token", scopes)
        return AuthFailure("Unauthorized")
    if not _same(password, token):
        return AuthFailure("Unauthorized")
    email = user.lower()
    if email == USER_EMAIL:
        return Identity(user_id, "password")
    if email == OTP_EMAIL:
        otp = headers.get(OTP_HEADER, "").strip()
        if otp and _same(otp, OTP_CODE):
            return Identity(user_id, "password")
        return AuthFailure("Unauthorized", otp_required=True)
    return AuthFailure("Unauthorized")
