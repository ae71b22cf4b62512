"""Who is calling: Basic, `OATU id:secret`, signed `OAT id:sig`, `X-SessionKey`, or anonymous.

A legacy `OAT` token is created by `POST /REST/1/AuthenticationTokens` (Basic auth, `{"name"}`)
and then signs each request: `Authorization: OAT <id>:<sig>` with `X-Date`, where `sig` is
base64(HMAC-SHA1(key=token, msg=User-Agent + X-Date)).

The gate is a pure ASGI middleware around the fault layer and the routes. It resolves the caller,
issues or echoes `X-SessionKey`, revokes it on `?logout=logout`, and stamps every REST answer with
`X-Username`, `X-User-Id`, `X-OpenAsset-Version` and `X-Timing`. Size-file downloads bypass it:
they need no credentials, as on OpenAsset's storage hosts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import parse_qs

import attrs
from starlette.datastructures import MutableHeaders

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.faults import ASGIApp, Message, Receive, Scope, Send
from asyncdam.emulator.openasset.errors import error_response
from asyncdam.emulator.openasset.schema import V10_3_12
from asyncdam.emulator.openasset.state import Settings, Stats
from asyncdam.emulator.openasset.store import Store

REST_PREFIX = "/REST/1"
ANONYMOUS = "anonymous"
ANONYMOUS_ID = 0
DEFAULT_TOKEN_ID = "1"  # noqa: S105 - an id, not a secret


@attrs.frozen
class Caller:
    """The resolved identity of one request (`scope["state"]["oa_caller"]`)."""

    user_id: int
    username: str
    via: str  # basic | oatu | session | anonymous

    @property
    def anonymous(self) -> bool:
        """Whether the request runs without a user."""
        return self.via == "anonymous"


def split_token(token: str) -> tuple[str, str]:
    """`ID:SECRET` -> (id, secret); a bare secret gets token id 1."""
    if ":" in token:
        ident, secret = token.split(":", 1)
        return ident, secret
    return DEFAULT_TOKEN_ID, token


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class AuthGate:
    """ASGI middleware: identify the caller, enforce optional quota/concurrency, stamp headers."""

    def __init__(self, app: ASGIApp, config: EmulatorConfig) -> None:
        self.app = app
        self.config = config
        self.token_id, self.secret = split_token(config.token)
        self._window_start = 0.0
        self._window_count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http" or not str(scope["path"]).startswith(REST_PREFIX):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        settings: Settings = state.settings
        stats: Stats = state.stats
        started = time.perf_counter()
        stats.requests += 1
        stats.by_method[scope["method"]] += 1
        caller = Caller(ANONYMOUS_ID, ANONYMOUS, "anonymous")
        session_key: str | None = None

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                stats.by_status[message["status"]] += 1
                headers = MutableHeaders(scope=message)
                headers["X-Username"] = caller.username
                headers["X-User-Id"] = str(caller.user_id)
                headers["X-OpenAsset-Version"] = settings.version
                headers["X-Timing"] = f"{time.perf_counter() - started:.3f} sec"
                if session_key is not None:
                    headers["X-SessionKey"] = session_key
            await send(message)

        refusal = self._limits(settings, stats)
        if refusal is not None:
            await error_response(
                *refusal, as_html=settings.html_errors, headers={"Retry-After": "1"}
            )(scope, receive, stamped)
            return
        if settings.outage is not None:
            status = settings.outage
            await error_response(status, "Bad Gateway", as_html=True)(scope, receive, stamped)
            return
        resolved = self._resolve(scope, state.store, settings, state.sessions)
        if isinstance(resolved, str):
            stats.by_auth["rejected"] += 1
            await error_response(401, resolved, as_html=settings.html_errors)(
                scope, receive, stamped
            )
            return
        caller, session_key = resolved
        stats.by_auth[caller.via] += 1
        scope.setdefault("state", {})["oa_caller"] = caller
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            await self.app(scope, receive, stamped)
        finally:
            stats.in_flight -= 1
        if caller.via == "session" and session_key and _wants_logout(scope):
            state.sessions.revoke(session_key)

    def _limits(self, settings: Settings, stats: Stats) -> tuple[int, str] | None:
        """Quota and concurrency are enforced only when the config asks (OpenAsset has none)."""
        cfg = self.config
        if cfg.concurrency is not None and stats.in_flight >= cfg.concurrency:
            stats.rejected_concurrency += 1
            return 429, "Too many concurrent requests"
        if cfg.quota is not None:
            now = settings.clock()
            window = cfg.window if cfg.window is not None else 60.0
            if now - self._window_start >= window:
                self._window_start, self._window_count = now, 0
            if self._window_count >= cfg.quota:
                stats.rejected_quota += 1
                return 429, "Too many requests"
            self._window_count += 1
        return None

    def _resolve(
        self, scope: Scope, store: Store, settings: Settings, sessions: Any
    ) -> tuple[Caller, str | None] | str:
        """The caller and the session key to answer with, or a 401 message."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        authorization = headers.get("authorization", "").strip()
        if authorization:
            caller = self._credential(authorization, store, settings)
            if caller is None and authorization.startswith("OAT "):
                caller = _signed(authorization, headers, scope["app"].state.signed_tokens)
            if caller is None and settings.anonymous_fallback:
                return Caller(ANONYMOUS_ID, ANONYMOUS, "anonymous"), None
            if caller is None:
                return "Invalid credentials"
            login = hashlib.sha256(authorization.encode()).hexdigest()
            key, new = sessions.issue(caller.user_id, caller.username, login)
            if new:
                scope["app"].state.stats.sessions_issued += 1
            return caller, key
        key = headers.get("x-sessionkey", "").strip()
        if key:
            session = sessions.lookup(key)
            if session is None:
                return "Invalid or expired session key"
            return Caller(session.user_id, session.username, "session"), key
        if not settings.anonymous_access:
            return "Authentication required"
        return Caller(ANONYMOUS_ID, ANONYMOUS, "anonymous"), None

    def _credential(self, authorization: str, store: Store, settings: Settings) -> Caller | None:
        scheme, _, value = authorization.partition(" ")
        value = value.strip()
        if scheme == "OATU":
            if settings.parsed_version < V10_3_12:
                return None
            ident, _, secret = value.partition(":")
            if _same(ident, self.token_id) and _same(secret, self.secret):
                admin = store.get("Users", 1)
                return Caller(1, str(admin["username"]) if admin else "admin", "oatu")
            return None
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
            username, _, password = decoded.partition(":")
            if not _same(password, self.secret):
                return None
            for user in store.table("Users").values():
                if user["username"] == username and user["alive"]:
                    return Caller(int(user["id"]), username, "basic")
        return None


@attrs.frozen
class SignedToken:
    """A legacy `OAT` token: its owner and the secret that keys the request signatures."""

    user_id: int
    username: str
    secret: str


def signature(secret: str, user_agent: str, date: str) -> str:
    """The `OAT` request signature: base64(HMAC-SHA1(secret, User-Agent + X-Date))."""
    digest = hmac.new(secret.encode(), (user_agent + date).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _signed(
    authorization: str, headers: dict[str, str], tokens: dict[str, SignedToken]
) -> Caller | None:
    """The caller of a valid `OAT id:sig` request (X-Date and User-Agent signed), else None."""
    ident, _, sig = authorization[len("OAT ") :].strip().partition(":")
    token = tokens.get(ident)
    date = headers.get("x-date", "")
    if token is None or not date or not sig:
        return None
    if not _same(sig, signature(token.secret, headers.get("user-agent", ""), date)):
        return None
    return Caller(token.user_id, token.username, "oat")


def _wants_logout(scope: Scope) -> bool:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return "logout" in query.get("logout", [])
