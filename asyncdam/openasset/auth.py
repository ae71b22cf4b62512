"""OpenAsset credentials as an `httpx.Auth`: Basic or `OATU id:secret`, then `X-SessionKey` reuse.

The first request logs in with the credential; the `X-SessionKey` the server answers with is sent
alone afterwards. When a key is refused (401), the request is resent once with the credential and
the fresh key is picked up. A lock makes concurrent first requests log in only once.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator, Generator

import anyio
import httpx

from asyncdam.engine.errors import ConfigurationError
from asyncdam.engine.keys import short_hash

SESSION_HEADER = "X-SessionKey"


def basic_header(username: str, password: str) -> str:
    """`Basic base64(user:password)`."""
    raw = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def token_header(token_id: str | int, secret: str) -> str:
    """`OATU id:secret`, sent literally (no encoding, no signing)."""
    ident = str(token_id)
    if not ident or ":" in ident or not secret:
        raise ConfigurationError("an OpenAsset token is (numeric id, secret), both non-empty")
    if any(c in ident + secret for c in "\r\n\x00 "):
        raise ConfigurationError("an OpenAsset token must not contain spaces or control characters")
    return f"OATU {ident}:{secret}"


class SessionKeyAuth(httpx.Auth):
    """Send the credential until a session key is known, then the key alone; renew once on 401."""

    requires_request_body = False
    requires_response_body = False

    def __init__(self, credential: str | None) -> None:
        self._credential = credential
        self._key: str | None = None
        self._lock = anyio.Lock()
        self.logins = 0

    def __repr__(self) -> str:
        tag = short_hash(self._credential) if self._credential else "anonymous"
        return f"SessionKeyAuth(credential={tag}, has_session_key={self._key is not None})"

    @property
    def credential_id(self) -> str:
        """A non-reversible tag of the credential (cache keys, quota scopes)."""
        return short_hash(self._credential) if self._credential else "anonymous"

    @property
    def has_session_key(self) -> bool:
        """Whether a session key is currently held."""
        return self._key is not None

    def forget_session(self) -> None:
        """Drop the held key (after a logout); the next request logs in again."""
        self._key = None

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        """Not supported: asyncdam is asynchronous only."""
        raise RuntimeError("SessionKeyAuth works with httpx.AsyncClient only")
        yield request  # type: ignore[unreachable]  # makes this a generator

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Key if held, otherwise the credential (one login at a time); fall back once on 401."""
        key = self._key
        if key is None and self._credential is not None:
            async with self._lock:
                key = self._key
                if key is None:
                    response = yield self._with_credential(request)
                    self._pick_up(response, login=True)
                    return
        if key is None:
            response = yield request  # anonymous
            self._pick_up(response, login=False)
            return
        request.headers.pop("Authorization", None)
        request.headers[SESSION_HEADER] = key
        response = yield request
        if response.status_code != 401 or self._credential is None:
            self._pick_up(response, login=False)
            return
        if self._key == key:
            self._key = None
        del request.headers[SESSION_HEADER]
        response = yield self._with_credential(request)
        self._pick_up(response, login=True)

    def _with_credential(self, request: httpx.Request) -> httpx.Request:
        assert self._credential is not None
        request.headers.pop(SESSION_HEADER, None)
        request.headers["Authorization"] = self._credential
        return request

    def _pick_up(self, response: httpx.Response, *, login: bool) -> None:
        if login:
            self.logins += 1
        if self._credential is None:
            return
        new = response.headers.get(SESSION_HEADER)
        if new and response.status_code < 400:
            self._key = new.strip()
