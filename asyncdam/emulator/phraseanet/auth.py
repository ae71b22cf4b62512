"""OAuth2 (draft-10) as Phraseanet runs it: token endpoint, authorize redirect, token lookup.

Seeded credentials (safe to publish: they only open the local emulator):

- client `EMULATOR_CLIENT_ID` / `EMULATOR_CLIENT_SECRET`, password grant enabled, redirect URI
  `EMULATOR_REDIRECT_URI`;
- client `EMULATOR_CODE_CLIENT_ID` (same secret), password grant disabled;
- user `EMULATOR_USERNAME` / `EMULATOR_PASSWORD`;
- administrator `EMULATOR_ADMIN_USERNAME` / `EMULATOR_ADMIN_PASSWORD`, developer token
  `EMULATOR_ADMIN_TOKEN`: the only caller the admin routes (monitor, accounts) serve.

`EmulatorConfig.token` is a developer token that is always valid; grant tokens are valid too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from asyncdam.emulator.phraseanet.envelope import oauth_header_error, oauth_json_error

EMULATOR_CLIENT_ID = "asyncdam-emulator"
EMULATOR_CODE_CLIENT_ID = "asyncdam-code-only"
EMULATOR_CLIENT_SECRET = "emulator-client-secret"  # noqa: S105 - a published local fixture
EMULATOR_REDIRECT_URI = "http://127.0.0.1/callback"
EMULATOR_USERNAME = "emulator"
EMULATOR_PASSWORD = "emulator-password"  # noqa: S105 - a published local fixture
EMULATOR_ADMIN_USERNAME = "admin"
EMULATOR_ADMIN_PASSWORD = "emulator-admin-password"  # noqa: S105 - a published local fixture
EMULATOR_ADMIN_TOKEN = "asyncdam-emulator-admin-token"  # noqa: S105 - a published local fixture
CODE_LIFETIME_S = 30.0
_CLIENT_ID_RE = re.compile(r"^[a-z0-9\-_]{3,32}$", re.IGNORECASE)


@dataclass(slots=True)
class Client:
    """A registered API application."""

    client_id: str
    secret: str
    redirect_uri: str
    password_grant: bool


@dataclass
class TokenRegistry:
    """Valid access tokens and outstanding authorization codes."""

    developer_token: str
    clients: dict[str, Client] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    codes: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    admin_tokens: set[str] = field(default_factory=lambda: {EMULATOR_ADMIN_TOKEN})

    def valid(self, token: str) -> bool:
        """Whether a presented token opens the API (compared in constant time)."""
        if token in self.revoked:
            return False
        if hmac.compare_digest(token.encode(), self.developer_token.encode()):
            return True
        return token in self.tokens or token in self.admin_tokens

    def is_admin(self, token: str) -> bool:
        """Whether a (valid) token belongs to the administrator."""
        return token in self.admin_tokens and token not in self.revoked

    def issue(self, admin: bool = False) -> str:
        """A new 32-hex-digit grant token (the administrator's when `admin`)."""
        token = secrets.token_hex(16)
        (self.admin_tokens if admin else self.tokens).add(token)
        return token


def default_registry(developer_token: str) -> TokenRegistry:
    """The registry with the two seeded applications."""
    reg = TokenRegistry(developer_token=developer_token)
    for cid, pw in ((EMULATOR_CLIENT_ID, True), (EMULATOR_CODE_CLIENT_ID, False)):
        reg.clients[cid] = Client(cid, EMULATOR_CLIENT_SECRET, EMULATOR_REDIRECT_URI, pw)
    return reg


@dataclass(slots=True)
class TokenLookup:
    """Outcome of finding the token in a request: a token, or the bare reply to send."""

    token: str | None = None
    reply: Response | None = None


def find_token(
    headers_auth: str | None,
    query: dict[str, object],
    body: dict[str, object],
    method: str,
    header_only: bool,
) -> TokenLookup:
    """Look for the token the way the OAuth library does (header, else query, else POST body)."""
    in_query = "oauth_token" in query and not header_only
    in_body = method == "POST" and "oauth_token" in body and not header_only
    if headers_auth is not None:
        if in_query or in_body:
            return TokenLookup(reply=oauth_json_error("invalid_request"))
        if not headers_auth.startswith("OAuth "):
            return TokenLookup(reply=oauth_json_error("invalid_request"))
        return TokenLookup(token=headers_auth[len("OAuth ") :].strip())
    if in_query and in_body:
        return TokenLookup(reply=oauth_json_error("invalid_request"))
    value = query.get("oauth_token") if in_query else body.get("oauth_token") if in_body else None
    if value is None:
        return TokenLookup(reply=oauth_header_error(400, "invalid_request"))
    return TokenLookup(token=value if isinstance(value, str) else "")


def token_rejected() -> Response:
    """The empty-body 401 for an unknown or revoked token."""
    return oauth_header_error(401, "invalid_token")


def _client_credentials(
    request: Request, form: dict[str, str]
) -> tuple[str | None, str | None, bool]:
    """(client_id, client_secret, conflict) from form fields or HTTP Basic."""
    basic = request.headers.get("authorization", "")
    if basic.startswith("Basic "):
        if "client_id" in form:
            return None, None, True
        try:
            raw = base64.b64decode(basic[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None, True
        cid, _, secret = raw.partition(":")
        return cid, secret, False
    return form.get("client_id"), form.get("client_secret"), False


async def token_endpoint(
    request: Request, reg: TokenRegistry, username: str, password: str, require_ssl: bool
) -> Response:
    """POST /api/oauthv2/token: password and authorization_code grants, form body only."""
    if require_ssl and request.url.scheme != "https":
        msg = b'{"msg":"This route requires the use of the https scheme: 1","code":400}'
        return Response(msg, 400, media_type="application/json")
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    form: dict[str, str] = {}
    if ctype == "application/x-www-form-urlencoded":
        form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    grant = form.get("grant_type")
    if not grant:
        return oauth_json_error("invalid_request")
    cid, secret, conflict = _client_credentials(request, form)
    if conflict or not cid:
        return oauth_json_error("invalid_client")
    client = reg.clients.get(cid)
    if client is None or (secret and not hmac.compare_digest(secret, client.secret)):
        return oauth_json_error("invalid_client")
    if grant == "password":
        if not client.password_grant:
            return oauth_json_error("unsupported_grant_type")
        if "username" not in form or "password" not in form:
            return oauth_json_error("invalid_request")
        user_ok = hmac.compare_digest(form["username"], username)
        pass_ok = hmac.compare_digest(form["password"], password)
        admin = hmac.compare_digest(form["username"], EMULATOR_ADMIN_USERNAME) and (
            hmac.compare_digest(form["password"], EMULATOR_ADMIN_PASSWORD)
        )
        if not (user_ok and pass_ok) and not admin:
            return oauth_json_error("invalid_grant")
    elif grant == "authorization_code":
        admin = False
        code, redirect = form.get("code"), form.get("redirect_uri")
        if not code or not redirect:
            return oauth_json_error("invalid_request")
        stored = reg.codes.pop(code, None)
        if stored is None or stored[0] != cid or stored[2] < time.time():
            return oauth_json_error("invalid_grant")
        if not redirect.lower().startswith(client.redirect_uri.lower()):
            return oauth_json_error("invalid_grant")
    else:
        return oauth_json_error("unsupported_grant_type")
    if form.get("scope"):
        return oauth_json_error("invalid_scope")
    token = reg.issue(admin=grant == "password" and admin)
    body = ('{"access_token":"' + token + '","scope":null}').encode()
    return Response(body, 200, {"Cache-Control": "no-store"}, media_type="application/json")


async def authorize_endpoint(request: Request, reg: TokenRegistry) -> Response:
    """GET|POST /api/oauthv2/authorize: the user consents at once; redirect with a code."""
    params = dict(request.query_params)
    if request.method == "POST":
        raw = await request.body()
        params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    cid = params.get("client_id", "")
    redirect = params.get("redirect_uri", "")
    client = reg.clients.get(cid) if _CLIENT_ID_RE.match(cid) else None
    if client is None:
        return oauth_json_error("invalid_client")
    if params.get("response_type") not in ("code", "token"):
        return oauth_json_error("invalid_request")
    if redirect and not redirect.lower().startswith(client.redirect_uri.lower()):
        return oauth_json_error("redirect_uri_mismatch")
    target = redirect or client.redirect_uri
    state = params.get("state")
    if params.get("deny"):
        query = {"error": "access_denied", **({"state": state} if state else {})}
        return RedirectResponse(_append(target, query), 302)
    code = hashlib.sha256(secrets.token_bytes(16)).hexdigest()[:40]
    reg.codes[code] = (cid, target, time.time() + CODE_LIFETIME_S)
    query = {"code": code, **({"state": state} if state else {})}
    return RedirectResponse(_append(target, query), 302)


def _append(url: str, query: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(query)
