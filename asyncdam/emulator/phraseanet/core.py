"""The request pipeline: content negotiation, routing, quota, body parsing, OAuth, dispatch."""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import State, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.faults import FaultMiddleware
from asyncdam.emulator.phraseanet import auth, media
from asyncdam.emulator.phraseanet.context import Ctx
from asyncdam.emulator.phraseanet.envelope import (
    ApiError,
    accept_ok,
    api_version_for,
    is_extended,
    render,
)
from asyncdam.emulator.phraseanet.params import PhpValue, get_str, parse_php
from asyncdam.emulator.phraseanet.router import Match, Router
from asyncdam.emulator.phraseanet.serialize import View
from asyncdam.emulator.phraseanet.store import Store
from asyncdam.emulator.quirks import PHRASEANET_RULES, QuirkStats, wrap

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
_SCOPE_KEY = "asyncdam.phraseanet"
_PERMALINK = re.compile(r"^/permalink/v1/(\d+)/(\d+)/([a-z]+)/(?:[^/]*)$")
#: error_details of a 500 caused by an emulator bug rather than by a modelled server failure.
UNHANDLED = "Unhandled emulator error"
_READ_ONLY = ("search/", "searchraw/", "hello/")
#: What the core answers before the route table: (methods, path pattern, label). The OAuth,
#: API-info and file routes are handled in `_front`; this list names them for route tables.
FRONT_ROUTES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("POST",), r"/api/oauthv2/token", "POST /api/oauthv2/token"),
    (("GET", "HEAD", "POST"), r"/api/oauthv2/authorize", "GET|POST /api/oauthv2/authorize"),
    (("GET", "HEAD"), r"/api/", "GET /api/"),
    (("GET", "HEAD"), r"/medias/[^/]+", "GET /medias/{jwt}"),
    (("GET", "HEAD"), _PERMALINK.pattern.strip("^$"), "GET /permalink/v1/{d}/{r}/{subdef}/{file}"),
)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass
class Stats:
    """Counters for tests: requests by route label, replies by status."""

    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    total: int = 0
    rejected_quota: int = 0
    rejected_concurrency: int = 0


@dataclass
class _Quota:
    """A fixed-window request counter (only when the config sets a quota)."""

    limit: int
    window: float
    used: int = 0
    reset_at: float = 0.0

    def take(self, now: float) -> bool:
        if now >= self.reset_at:
            self.used, self.reset_at = 0, now + self.window
        self.used += 1
        return self.used <= self.limit

    def headers(self, now: float) -> dict[str, str]:
        return {
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(max(0, self.limit - self.used)),
            "X-Rate-Limit-Reset": str(math.ceil(self.reset_at)),
        }


def _api_info() -> dict[str, Any]:
    versions = {}
    for n, number in (("1", "2.0.0"), ("2", "2.0.0"), ("3", "3.0.0")):
        versions[n] = {
            "number": number,
            "uri": f"/api/v{n}/",
            "authenticationProtocol": "OAuth2",
            "authenticationVersion": "draft#v9",
            "authenticationEndPoints": {
                "authorization_token": "/api/oauthv2/authorize",
                "access_token": "/api/oauthv2/token",
            },
        }
    return {
        "name": "Phraseanet emulator",
        "type": "phraseanet",
        "description": "asyncdam's local Phraseanet API emulator",
        "documentation": "https://docs.phraseanet.com/4.1/en/Devel/API/index.html",
        "versions": versions,
    }


class PhraseanetCore:
    """The ASGI app behind the Starlette shell: everything but the route handlers themselves."""

    def __init__(
        self,
        config: EmulatorConfig,
        store: Store,
        registry: auth.TokenRegistry,
        router: Router,
        secret: bytes,
    ) -> None:
        self.config = config
        self.store = store
        self.registry = registry
        self.router = router
        self.secret = secret
        self.state = State()
        self.inflight = 0
        self.quota = (
            _Quota(config.quota, config.window or 60.0) if config.quota is not None else None
        )
        # Quirks reshape the handler's JSON; faults (outside) then mangle the bytes.
        self.quirk_stats = QuirkStats()
        inner = wrap(self._dispatch, PHRASEANET_RULES, config.quirks, config.seed, self.quirk_stats)
        self.dispatch: Callable[[Scope, Receive, Send], Awaitable[None]] = inner
        if config.faults.active:
            self.dispatch = FaultMiddleware(inner, config.faults)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            return
        stats: Stats = self.state.stats
        stats.total += 1
        extra_headers: dict[str, str] = {}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                stats.statuses[int(message["status"])] += 1
                if extra_headers:
                    raw = list(message.get("headers", []))
                    raw += [(k.lower().encode(), v.encode()) for k, v in extra_headers.items()]
                    message = {**message, "headers": raw}
            await send(message)

        request = Request(scope, receive)
        started = time.perf_counter()
        try:
            response = await self._front(request, started, stats, extra_headers)
        except Exception:  # never crash the connection: the server's 500 handler answers
            response = self._error(request, 500, started, UNHANDLED)
        if response is not None:
            await response(scope, receive, counting_send)
            return
        self.inflight += 1
        try:
            await self.dispatch(scope, receive, counting_send)
        finally:
            self.inflight -= 1

    def _error(
        self,
        request: Request,
        status: int,
        started: float,
        details: str | None = None,
        version: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        path = request.url.path
        return render(
            method=request.method,
            path=path,
            status=status,
            response={},
            version=version or api_version_for(path),
            started=started,
            accept=request.headers.get("accept"),
            callback=request.query_params.get("callback"),
            details=details,
            headers=headers,
        )

    async def _front(
        self, request: Request, started: float, stats: Stats, extra: dict[str, str]
    ) -> Response | None:
        """Everything before the handler; a Response ends the request, None dispatches it."""
        path, method = request.url.path, request.method
        if path.startswith("/medias/"):
            stats.requests["GET /medias/{jwt}"] += 1
            return media.serve_media(request, self.store, self.secret, path[len("/medias/") :])
        if m := _PERMALINK.match(path):
            stats.requests["GET /permalink/v1/..."] += 1
            d, r, name = int(m.group(1)), int(m.group(2)), m.group(3)
            return media.serve_permalink(request, self.store, self.secret, d, r, name)
        if path == "/api/oauthv2/token":
            stats.requests["POST /api/oauthv2/token"] += 1
            if method != "POST":
                return self._error(request, 405, started, headers={"Allow": "POST"})
            return await auth.token_endpoint(
                request,
                self.registry,
                auth.EMULATOR_USERNAME,
                auth.EMULATOR_PASSWORD,
                bool(self.state.require_ssl),
            )
        if path == "/api/oauthv2/authorize":
            stats.requests["GET|POST /api/oauthv2/authorize"] += 1
            if method not in ("GET", "POST", "HEAD"):
                return self._error(request, 405, started, headers={"Allow": "GET, POST"})
            return await auth.authorize_endpoint(request, self.registry)
        if not accept_ok(request.headers.get("accept")):
            stats.requests["<not acceptable>"] += 1
            return self._error(request, 406, started)
        if path in ("/api/", "/api"):
            stats.requests["GET /api/"] += 1
            if path == "/api" and method in ("GET", "HEAD"):
                return RedirectResponse(_slashed(request), 301)
            if path == "/api" or method not in ("GET", "HEAD"):
                return self._error(request, 404 if path == "/api" else 405, started)
            return render(
                method=method,
                path=path,
                status=200,
                response=_api_info(),
                version="2.0.0",
                started=started,
                accept=request.headers.get("accept"),
                callback=request.query_params.get("callback"),
            )
        match = self.router.match(method, path)
        label = match.route.name if match.route else "<unmatched>"
        stats.requests[label] += 1
        if match.redirect is not None:
            return RedirectResponse(_slashed(request), 301)
        if match.allow:
            allow = ", ".join(match.allow)
            details = f'No route found for "{method} {path}": Method Not Allowed (Allow: {allow})'
            return self._error(request, 405, started, details, headers={"Allow": allow})
        if match.route is None:
            return self._error(request, 404, started, f'No route found for "{method} {path}"')
        limited = self._limits(request, started, stats, extra)
        if limited is not None:
            return limited
        return await self._authorize(request, match, started)

    def _limits(
        self, request: Request, started: float, stats: Stats, extra: dict[str, str]
    ) -> Response | None:
        if self.quota is not None:
            now = float(self.state.clock())
            ok = self.quota.take(now)
            extra.update(self.quota.headers(now))
            if not ok:
                stats.rejected_quota += 1
                retry = {"Retry-After": str(max(1, math.ceil(self.quota.reset_at - now)))}
                return self._error(request, 429, started, "Rate limit exceeded", headers=retry)
        limit = self.config.concurrency
        if limit is not None and self.inflight >= limit:
            stats.rejected_concurrency += 1
            return self._error(request, 429, started, "Too many concurrent requests")
        return None

    async def _authorize(self, request: Request, match: Match, started: float) -> Response | None:
        query = parse_php(parse_qsl(request.url.query, keep_blank_values=True))
        body, files, raw = await _read_body(request)
        found = auth.find_token(
            request.headers.get("authorization"),
            query,
            body,
            request.method,
            bool(self.state.header_only),
        )
        if found.reply is not None:
            return found.reply
        if found.token is None or not self.registry.valid(found.token):
            return auth.token_rejected()
        assert match.route is not None
        if match.bad_id:
            return self._error(request, 400, started, "An error occurred", "2.0.0")
        accept = request.headers.get("accept")
        view = View(
            store=self.store,
            host=str(request.base_url).rstrip("/"),
            secret=self.secret,
            extended=is_extended(accept),
            keyed_objects=bool(self.state.keyed_objects),
        )
        ctx = Ctx(request, match.params, query, body, files, self.store, view, self.config, raw)
        ctx.extra["admin"] = self.registry.is_admin(found.token)
        ctx.extra["token"] = found.token
        ctx.extra["registry"] = self.registry
        request.scope[_SCOPE_KEY] = (ctx, match, started)
        return None

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the matched handler and envelope its result (inside the fault middleware)."""
        ctx, match, started = scope[_SCOPE_KEY]
        assert match.route is not None
        request: Request = ctx.request
        status, details, result = 200, None, None
        try:
            result = await match.route.handler(ctx)
        except ApiError as exc:
            status, details = exc.status, exc.details
        except Exception:  # a handler bug must still answer like the server's 500 handler
            status, details = 500, UNHANDLED
        if request.method not in ("GET", "HEAD") and not match.route.template.endswith(_READ_ONLY):
            self.store.generation += 1
        if isinstance(result, Response):
            await result(scope, receive, send)
            return
        callback = get_str(ctx.query, "callback") or get_str(ctx.body, "callback")
        response = render(
            method=request.method,
            path=request.url.path,
            status=status,
            response=result if status < 400 else {},
            version=match.route.version,
            started=started,
            accept=request.headers.get("accept"),
            callback=callback,
            details=details,
        )
        await response(scope, receive, send)


def _slashed(request: Request) -> str:
    # Symfony redirects to an absolute URL.
    query = request.url.query
    base = str(request.base_url).rstrip("/")
    return base + request.url.path + "/" + (f"?{query}" if query else "")


async def _read_body(
    request: Request,
) -> tuple[dict[str, PhpValue], dict[str, list[UploadFile]], bytes]:
    """Form fields (urlencoded or multipart), uploaded files, and the raw bytes."""
    if request.method in ("GET", "HEAD"):
        return {}, {}, b""
    raw = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in _FORM_TYPES:
        return {}, {}, raw
    if ctype == _FORM_TYPES[0]:
        pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        return parse_php(pairs), {}, raw
    files: dict[str, list[UploadFile]] = {}
    fields: list[tuple[str, str]] = []
    try:
        form = await request.form()
    except Exception:  # garbage multipart: PHP just sees no fields
        return {}, {}, raw
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields.append((key, value))
        else:
            files.setdefault(key.removesuffix("[]"), []).append(value)
    return parse_php(fields), files, raw
