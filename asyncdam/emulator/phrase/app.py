"""The Phrase Strings emulator app: the gate (User-Agent, auth, concurrency, quota, rate headers)
around the fault middleware around the route dispatcher (cache validators, 304s, errors).

Every operation of the merged spec index is routed: the hand-built routes (`routes_*.py`) where
the service's behaviour is worked out, the spec-driven handler (`spec_handler.py`) for the rest.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from email.utils import parsedate_to_datetime
from typing import Any

from starlette.applications import Starlette

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.phrase import (
    routes_core,
    routes_keys,
    routes_locales,
    routes_stats,
    routes_teams,
    routes_translations,
    routes_work,
)
from asyncdam.emulator.phrase.auth import AuthFailure, authenticate
from asyncdam.emulator.phrase.limits import (
    DEFAULT_CONCURRENCY,
    DEFAULT_QUOTA,
    DEFAULT_WINDOW,
    InFlight,
    QuotaBook,
    Stats,
)
from asyncdam.emulator.phrase.router import Router
from asyncdam.emulator.phrase.routes_locales import FILES_PREFIX, fetch_download_file
from asyncdam.emulator.phrase.seed import seed_store
from asyncdam.emulator.phrase.spec_handler import spec_handler
from asyncdam.emulator.phrase.web import (
    ApiError,
    Ctx,
    Reply,
    dumps,
    http_date,
    message,
    not_found,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BASE_PATH = "/v2"
LEGACY_BASE_PATH = "/api/v2"
SCOPE_KEY = "asyncdam.phrase"
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
CALLBACK_NAME = re.compile(r"^[A-Za-z_$][\w$.]{0,63}$")
log = logging.getLogger("asyncdam.emulator.phrase")

BUILT_ROUTES = [
    *routes_core.ROUTES,
    *routes_locales.ROUTES,
    *routes_keys.ROUTES,
    *routes_translations.ROUTES,
    *routes_work.ROUTES,
    *routes_teams.ROUTES,
    *routes_stats.ROUTES,
]
# The hand-built routes; every other operation of the spec index is served from the spec.
BUILT_ROUTER = Router(BUILT_ROUTES)
SPEC_HANDLER = spec_handler(BUILT_ROUTER)
ROUTER = Router([*BUILT_ROUTES, *SPEC_HANDLER.routes()])


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_reply(send: Send, reply: Reply, head: bool = False) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items()]
    if reply.status not in (204, 304):
        headers.append((b"content-type", reply.content_type.encode("latin-1")))
        headers.append((b"content-length", str(len(reply.body)).encode()))
        body = b"" if head else reply.body
    else:
        body = b""
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _etag_matches(header: str, etag: str) -> bool:
    bare = etag.strip('"')
    for part in header.split(","):
        candidate = part.strip()
        if candidate == "*":
            return True
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate.strip('"') == bare:
            return True
    return False


def _not_modified_since(header: str, last_modified: float) -> bool:
    try:
        since = parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    return math.floor(last_modified) <= since


def conditional(ctx: Ctx, reply: Reply, version: int, last_modified: float) -> Reply:
    """Add ETag/Last-Modified to a 200 GET; answer 304 when the client's validators match."""
    digest = hashlib.md5(f"{version}:".encode() + reply.body, usedforsecurity=False).hexdigest()
    etag = f'"{digest}"'
    lm = http_date(math.floor(last_modified))
    reply.headers["etag"] = etag
    reply.headers["last-modified"] = lm
    inm = ctx.headers.get("if-none-match")
    ims = ctx.headers.get("if-modified-since")
    if inm:
        fresh = _etag_matches(inm, etag)
    else:
        fresh = ims is not None and _not_modified_since(ims, last_modified)
    if fresh:
        return Reply(status=304, headers={"etag": etag, "last-modified": lm})
    return reply


class Dispatcher:
    """The innermost ASGI app: runs the matched handler and applies cache validators."""

    def __init__(self, app: Starlette) -> None:
        """Serve the routes of `ROUTER` with the data in `app.state`."""
        self.state = app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one authenticated, admitted request."""
        info = scope[SCOPE_KEY]
        method = scope["method"]
        lookup = "GET" if method == "HEAD" else method
        if lookup == "PUT" and self.state.accept_put:
            lookup = "PATCH"
        body = await _read_body(receive)
        ctx = Ctx(
            method=lookup,
            path=info["raw_sub"],
            params={},
            query=info["query"],
            headers=info["headers"],
            body=body,
            origin=info["origin"],
            base=info["base"],
            store=self.state.store,
            state=self.state,
            now=self.state.clock(),
            user_id=info["user"],
            scheme=info["scheme"],
        )
        reply = await self.run(ctx, info)
        await _send_reply(send, reply, head=method == "HEAD")

    async def run(self, ctx: Ctx, info: dict[str, Any]) -> Reply:
        """The reply for `ctx`, errors included; never raises."""
        try:
            if info.get("file") is not None:
                reply = fetch_download_file(ctx, info["file"])
                dl = ctx.state.download_files[info["file"]]
                return conditional(ctx, reply, 0, dl.completed or 0.0)
            if ctx.method in WRITE_METHODS and "write" not in info.get("scopes", ("write",)):
                raise message(403, "Forbidden")
            found = ROUTER.match(ctx.method, info["raw_sub"])
            if found is None:
                raise not_found()
            handler, ctx.params = found
            if "json" in ctx.headers.get("content-type", "") and ctx.body.strip():
                ctx.json()  # like Rails: a JSON body that does not parse is a 400 on any method
            result = handler(ctx)
            reply = await result if inspect.isawaitable(result) else result
        except ApiError as err:
            reply = err.reply
        except Exception:
            # A handler bug must still answer like a server, and be visible in the logs.
            log.exception("phrase emulator handler failed on %s %s", ctx.method, ctx.path)
            reply = Reply(status=500, body=dumps({"message": "Internal Server Error"}))
        if ctx.method == "GET" and reply.status == 200:
            data = ctx.data
            version = data.version if data is not None else ctx.store.version
            updated = data.updated if data is not None else ctx.store.updated
            reply = conditional(ctx, reply, version, updated)
        return _jsonp(ctx, reply)


def _jsonp(ctx: Ctx, reply: Reply) -> Reply:
    callback = ctx.q("callback")
    if not ctx.state.jsonp or ctx.method != "GET" or not callback:
        return reply
    if not CALLBACK_NAME.match(callback) or not reply.content_type.startswith("application/json"):
        return reply
    data = reply.body.decode() if reply.body else "null"
    meta = dumps({"status": reply.status}).decode()
    body = f'{callback}({{"meta":{meta},"data":{data}}})'.encode()
    headers = {k: v for k, v in reply.headers.items() if k in ("etag", "last-modified")}
    return Reply(status=200, body=body, content_type="application/javascript", headers=headers)


class Gate:
    """The outer layer: base path, User-Agent, credentials, concurrency cap and quota."""

    def __init__(self, app: Starlette, inner: ASGIApp) -> None:
        """Guard `inner` with the settings and counters kept in `app.state`."""
        self.state = app.state
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point for HTTP requests."""
        if scope["type"] != "http":
            return
        state = self.state
        stats: Stats = state.stats
        stats.requests += 1
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1").split("?", 1)[0]
        headers = _headers(scope)
        query = _query(scope)
        host = headers.get("host") or "127.0.0.1"
        origin = f"{scope.get('scheme', 'http')}://{host}"
        info: dict[str, Any] = {"headers": headers, "query": query, "origin": origin}
        if path.startswith(FILES_PREFIX + "/"):
            info.update(
                sub=path,
                raw_sub=path,
                base="",
                user="",
                scheme="",
                file=path[len(FILES_PREFIX) + 1 :],
            )
            await self._free(scope, receive, send, info)
            return
        base = next((b for b in state.base_paths if path == b or path.startswith(b + "/")), None)
        if base is None:
            await self._plain(send, 404, not_found().reply)
            return
        raw_sub = path[len(base) :] or "/"
        from urllib.parse import unquote

        info.update(sub=unquote(raw_sub), raw_sub=raw_sub, base=base)
        ua_missing = not headers.get("user-agent", "").strip()
        if ua_missing and state.ua_before_auth:
            stats.bad_requests += 1
            await self._plain(send, 400, _ua_reply())
            return
        if scope["method"] in ("GET", "HEAD") and raw_sub.rstrip("/") == "/formats":
            info.update(user="", scheme="")
            await self._free(scope, receive, send, info)
            return
        who = authenticate(
            headers,
            scope.get("query_string", b"").decode("latin-1"),
            state.token,
            state.store.user.id,
            state.extra_tokens,
        )
        if isinstance(who, AuthFailure):
            stats.unauthorized += 1
            reply = Reply(status=401, body=dumps({"message": who.message}))
            if who.otp_required:
                reply.headers["x-phraseapp-otp"] = "required; app"
            await self._plain(send, 401, reply)
            return
        info.update(user=who.user_id, scheme=who.scheme, scopes=who.scopes)
        if ua_missing and not state.ua_counts:
            stats.bad_requests += 1
            await self._plain(send, 400, _ua_reply())
            return
        await self._limited(scope, receive, send, info, ua_missing)

    async def _plain(self, send: Send, status: int, reply: Reply) -> None:
        self.state.stats.by_status[status] += 1
        await _send_reply(send, reply)

    async def _free(self, scope: Scope, receive: Receive, send: Send, info: dict[str, Any]) -> None:
        scope[SCOPE_KEY] = info
        status_box = [0]

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
            await send(message)

        await self.inner(scope, receive, watch)
        self.state.stats.by_status[status_box[0]] += 1

    def _scope_key(self, info: dict[str, Any]) -> str:
        if self.state.quota_scope == "project":
            match = re.match(r"^/projects/([^/]+)", info["raw_sub"])
            return f"{info['user']}:{match.group(1) if match else '-'}"
        return str(info["user"])

    async def _limited(
        self, scope: Scope, receive: Receive, send: Send, info: dict[str, Any], ua_missing: bool
    ) -> None:
        state = self.state
        stats: Stats = state.stats
        user = info["user"]
        quota: QuotaBook = state.quota
        key = self._scope_key(info)
        now = state.clock()
        if state.in_flight.enter(user) is None:
            await self._concurrency_429(send, quota, key, now)
            return
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            decision = quota.take(key, now)
            if not decision.allowed:
                stats.rate_limited["quota"] += 1
                reply = Reply(status=429, body=dumps({"message": "Rate limit exceeded"}))
                reply.headers.update(_rate_headers(decision.limit, 0, decision.reset))
                reply.headers["x-rate-limit-reason"] = state.quota_reason
                await self._plain(send, 429, reply)
                return
            stats.counted += 1
            if ua_missing:
                reply = _ua_reply()
                reply.headers.update(
                    _rate_headers(decision.limit, decision.remaining, decision.reset)
                )
                stats.bad_requests += 1
                await self._plain(send, 400, reply)
                return
            scope[SCOPE_KEY] = info
            await self.inner(scope, receive, self._with_rate_headers(send, key, decision.reset))
        finally:
            state.in_flight.leave(user)
            stats.in_flight -= 1

    def _with_rate_headers(self, send: Send, key: str, reset: int) -> Send:
        state = self.state

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                state.stats.by_status[status] += 1
                now = state.clock()
                if status == 304:
                    state.quota.refund(key, now)
                    state.stats.counted -= 1
                    state.stats.not_modified += 1
                headers = list(message.get("headers", []))
                present = any(name.lower() == b"x-rate-limit-limit" for name, _ in headers)
                if status < 500 and not present:
                    peek = state.quota.peek(key, now)
                    headers += [
                        (k.encode(), v.encode())
                        for k, v in _rate_headers(peek.limit, peek.remaining, peek.reset).items()
                    ]
                if status == 429 and present:
                    state.stats.rate_limited["injected"] += 1
                message = {**message, "headers": headers}
            await send(message)

        return wrapped

    async def _concurrency_429(self, send: Send, quota: QuotaBook, key: str, now: float) -> None:
        state = self.state
        state.stats.rate_limited["concurrency"] += 1
        peek = quota.peek(key, now)
        if state.concurrency_body == "plain":
            reply = Reply(status=429, body=b"Concurrency limit exceeded", content_type="text/plain")
        else:
            reply = Reply(status=429, body=dumps({"message": "Concurrency limit exceeded"}))
        reply.headers.update(_rate_headers(peek.limit, peek.remaining, peek.reset))
        if state.concurrency_omit_reset:
            del reply.headers["x-rate-limit-reset"]
        reply.headers["x-rate-limit-reason"] = state.concurrency_reason
        await self._plain(send, 429, reply)


def _ua_reply() -> Reply:
    return Reply(
        status=400,
        body=dumps({"message": "Please provide a User-Agent header with your app name"}),
    )


def _rate_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(reset),
    }


def _query(scope: Scope) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    raw = scope.get("query_string", b"").decode("latin-1")
    return [(k, v) for k, v in parse_qsl(raw, keep_blank_values=True) if k != "access_token"]


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    """A Phrase Strings API v2 emulator seeded from `config`.

    `app.state` holds the data (`store`), the counters (`stats`), the clock (`clock`, a callable
    returning epoch seconds; replace it in tests) and switches that may be flipped on a live app:
    `link_rel_quoted`, `quota_scope` ("user" | "project"), `quota_reason`, `concurrency_reason`,
    `concurrency_body` ("plain" | "json"), `concurrency_omit_reset`, `ua_before_auth`,
    `ua_counts`, `accept_put`, `jsonp`, `async_polls`, `async_delay`, `download_ttl`,
    `base_paths`.
    """
    config = config if config is not None else EmulatorConfig()
    app = Starlette()
    state = app.state
    state.config = config
    state.token = config.token
    state.store = seed_store(config.seed, config.size)
    state.clock = time.time
    quota = config.quota if config.quota is not None else DEFAULT_QUOTA
    window = config.window if config.window is not None else DEFAULT_WINDOW
    state.quota = QuotaBook(quota, window)
    state.in_flight = InFlight(
        config.concurrency if config.concurrency is not None else DEFAULT_CONCURRENCY
    )
    state.stats = Stats()
    # Switches tests and benchmarks may flip on a live app.
    state.base_paths = [BASE_PATH, LEGACY_BASE_PATH]
    state.link_rel_quoted = False
    state.quota_scope = "user"
    state.quota_reason = "rate_limit_exceeded"
    state.concurrency_reason = "concurrency_limit_exceeded"
    state.concurrency_body = "plain"
    state.concurrency_omit_reset = False
    state.ua_before_auth = True
    state.ua_counts = False
    state.accept_put = False
    state.jsonp = True
    state.async_polls = 1
    state.async_delay = 0.5
    state.download_ttl = 900.0
    state.download_files = {}
    state.authorizations = {}
    state.extra_tokens = {}
    state.teams = {}
    inner: ASGIApp = Dispatcher(app)
    from asyncdam.emulator.quirks import PHRASE_RULES, QuirkStats, wrap

    state.quirk_stats = QuirkStats()  # quirks inside the faults, counted here
    inner = wrap(inner, PHRASE_RULES, config.quirks, config.seed, state.quirk_stats)
    try:
        from asyncdam.emulator.faults import FaultMiddleware

        inner = FaultMiddleware(inner, config.faults, rate_limit=quota, clock=lambda: state.clock())
    except ImportError:  # pragma: no cover - faults.py ships with the package
        pass
    app.router.default = dated(Gate(app, inner), lambda: state.clock())
    app.router.redirect_slashes = False
    return app


def dated(inner: ASGIApp, clock: Callable[[], float]) -> ASGIApp:
    """Every answer carries a `Date` from the emulator's clock, as the service's answers do (the
    clients compare it with creation times; a server's own Date would ignore a test's clock)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        async def with_date(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"date" for name, _ in headers):
                    headers.append((b"date", http_date(clock()).encode()))
                    message = {**message, "headers": headers}
            await send(message)

        await inner(scope, receive, with_date)

    return app
