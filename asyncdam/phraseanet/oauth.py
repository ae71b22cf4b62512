"""Phraseanet credentials: a token sent as `Authorization: OAuth <token>`, and OAuth2 helpers.

The token always travels in the header, never also as `oauth_token` (the server refuses both at
once) and never as `Bearer` (refused with 400). Tokens do not expire and there is no refresh
token: the token endpoint answers `{"access_token", "scope": null}` only. Scopes do not exist, so
`scope` is never sent.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import Any
from urllib.parse import urlencode

import anyio
import attrs
import httpx

from asyncdam.engine.errors import ConfigurationError, DecodeError, InvalidRequestError
from asyncdam.engine.keys import short_hash
from asyncdam.engine.request import Request, Response, check_header_value
from asyncdam.engine.session import Engine
from asyncdam.phraseanet.dialect import TokenEndpointDialect, install_root, oauth_error, user_agent

__all__ = [
    "OAuthTokenAuth",
    "PasswordGrant",
    "PasswordGrantAuth",
    "TokenGrant",
    "authorize_url",
    "exchange_code",
    "password_grant",
]

TOKEN_PATH = "api/oauthv2/token"  # noqa: S105 - a path, not a secret
AUTHORIZE_PATH = "api/oauthv2/authorize"


def _check_token(token: object) -> str:
    if not isinstance(token, str) or not token or token != token.strip():
        raise ConfigurationError("token must be a non-empty string without surrounding spaces")
    check_header_value("Authorization", token)
    return token


def _refuse_param(request: httpx.Request) -> None:
    if "oauth_token" in request.url.params:
        raise InvalidRequestError("oauth_token must not be sent as a parameter with the header")


class OAuthTokenAuth(httpx.Auth):
    """Adds `Authorization: OAuth <token>`; `repr` shows a short hash, never the token."""

    def __init__(self, token: str) -> None:
        self._value = "OAuth " + _check_token(token)
        self.credential_id = short_hash("token:" + token)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the header (the only place the token goes)."""
        _refuse_param(request)
        request.headers["Authorization"] = self._value
        yield request

    def __repr__(self) -> str:
        return f"OAuthTokenAuth(credential={self.credential_id})"


@attrs.frozen(repr=False)
class PasswordGrant:
    """OAuth2 password-grant credentials (the application must allow the password grant)."""

    client_id: str
    username: str
    password: str
    client_secret: str | None = None

    def __repr__(self) -> str:
        return f"PasswordGrant(client_id={self.client_id!r}, user={short_hash(self.username)})"

    def form(self) -> list[tuple[str, str]]:
        """The token endpoint's form fields (no scope: any scope is refused)."""
        fields = [("grant_type", "password"), ("client_id", self.client_id)]
        if self.client_secret is not None:
            fields.append(("client_secret", self.client_secret))
        fields += [("username", self.username), ("password", self.password)]
        return fields


@attrs.frozen(repr=False)
class TokenGrant:
    """A token endpoint reply: the access token only (no expiry, no refresh token)."""

    access_token: str
    scope: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)

    def __repr__(self) -> str:
        return f"TokenGrant(token={short_hash(self.access_token)})"


def _grant_from(response: Response) -> TokenGrant:
    doc = response.json()
    token = doc.get("access_token") if isinstance(doc, dict) else None
    if not isinstance(token, str) or not token:
        raise DecodeError(
            "token reply lacks access_token", method=response.method, url=response.url
        )
    extra = {k: v for k, v in doc.items() if k not in ("access_token", "scope")}
    scope = doc.get("scope")
    return TokenGrant(token, scope if isinstance(scope, str) else None, extra)


class PasswordGrantAuth(httpx.Auth):
    """Fetches a token with the password grant on first use, then sends it as `OAuth <token>`.

    Concurrent first requests share one token request. The token never expires; a revoked one
    shows up as `InvalidToken` and is not silently replaced.
    """

    requires_response_body = True

    def __init__(self, grant: PasswordGrant, token_url: httpx.URL) -> None:
        self._grant = grant
        self._token_url = token_url
        self._token: str | None = None
        self._lock: anyio.Lock | None = None
        self.credential_id = short_hash(f"password:{grant.client_id}:{grant.username}")

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Not supported: asyncdam is async only."""
        if not request.url.is_absolute_url:  # pragma: no cover - keeps this a generator
            yield request
        raise ConfigurationError("PasswordGrantAuth works with async clients only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Get the token once (under a lock), then send the request with the header."""
        _refuse_param(request)
        if self._token is None:
            if self._lock is None:
                self._lock = anyio.Lock()
            async with self._lock:
                if self._token is None:
                    token_request = httpx.Request(
                        "POST",
                        self._token_url,
                        data=dict(self._grant.form()),
                        headers={"Accept": "application/json", "User-Agent": user_agent()},
                    )
                    raw = yield token_request
                    await raw.aread()
                    reply = Response(
                        status=raw.status_code,
                        headers=raw.headers,
                        content=raw.content,
                        method="POST",
                        url=str(self._token_url),
                    )
                    if raw.status_code >= 400:
                        raise oauth_error(reply)
                    self._token = _grant_from(reply).access_token
        request.headers["Authorization"] = "OAuth " + self._token
        yield request

    def __repr__(self) -> str:
        return f"PasswordGrantAuth(credential={self.credential_id})"


def authorize_url(
    base_url: str,
    client_id: str,
    redirect_uri: str,
    *,
    state: str | None = None,
    allow_insecure_http: bool = False,
) -> str:
    """The URL to send a user's browser to (`response_type=code`, no scope)."""
    root = install_root(base_url, allow_insecure_http=allow_insecure_http)
    params = [("response_type", "code"), ("client_id", client_id), ("redirect_uri", redirect_uri)]
    if state is not None:
        params.append(("state", state))
    return str(root.join(AUTHORIZE_PATH)) + "?" + urlencode(params)


async def _token_request(
    base_url: str, form: list[tuple[str, str]], engine: Engine | None, allow_insecure_http: bool
) -> TokenGrant:
    root = install_root(base_url, allow_insecure_http=allow_insecure_http)
    dialect = TokenEndpointDialect(
        name="phraseanet-oauth",
        base_url=root,
        default_headers={"User-Agent": user_agent(), "Accept": "application/json"},
        credential_id=short_hash(form[1][1]),
    )
    own = engine is None
    eng = engine if engine is not None else Engine(cache=False)
    try:
        request = Request(
            method="POST",
            path=TOKEN_PATH,
            data=form,
            idempotent=False,
            cacheable=False,
            authenticated=False,
        )
        response = await eng.bind(dialect).send(request)
        return _grant_from(response)
    finally:
        if own:
            await eng.aclose()


async def password_grant(
    base_url: str,
    grant: PasswordGrant,
    *,
    engine: Engine | None = None,
    allow_insecure_http: bool = False,
) -> TokenGrant:
    """Exchange username/password for a token at `POST /api/oauthv2/token` (form-encoded)."""
    return await _token_request(base_url, grant.form(), engine, allow_insecure_http)


async def exchange_code(
    base_url: str,
    *,
    client_id: str,
    code: str,
    redirect_uri: str,
    client_secret: str | None = None,
    engine: Engine | None = None,
    allow_insecure_http: bool = False,
) -> TokenGrant:
    """Exchange an authorization code (valid 30 s) for a token."""
    form = [("grant_type", "authorization_code"), ("client_id", client_id)]
    if client_secret is not None:
        form.append(("client_secret", client_secret))
    form += [("code", code), ("redirect_uri", redirect_uri)]
    return await _token_request(base_url, form, engine, allow_insecure_http)
