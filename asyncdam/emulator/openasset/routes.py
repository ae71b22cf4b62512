"""Request dispatch under /REST/1: nouns, ids, nested paths, reads and the verb rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from asyncdam.emulator.openasset import nested, uploads, writes
from asyncdam.emulator.openasset.auth import Caller, SignedToken
from asyncdam.emulator.openasset.errors import ApiError, error_response
from asyncdam.emulator.openasset.query import (
    QueryError,
    compile_filters,
    order_rows,
    page,
    parse_query,
)
from asyncdam.emulator.openasset.render import (
    Ctx,
    json_response,
    list_headers,
    render_row,
    trim,
    visible_fields,
)
from asyncdam.emulator.openasset.schema import NOUNS, V9, FieldSpec, NounSpec, field_visible
from asyncdam.emulator.openasset.seed import VIEWER_USER_ID
from asyncdam.emulator.openasset.store import Record

logger = logging.getLogger("asyncdam.emulator.openasset")
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "MERGE", "OPTIONS", "PATCH"]
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "MERGE"})
ACCESS_LEVELS = [1, 2, 3, 4]
#: Routes outside the noun tables: the auth probe, the legacy token flow, the JWT endpoint.
SPECIAL_ROUTES = (
    "GET /REST/1/Headers",
    "HEAD /REST/1/Headers",
    "POST /REST/1/AuthenticationTokens",
    "GET /REST/1/JWT",
    "HEAD /REST/1/JWT",
)
RESULT_FIELDS = {"file_id": FieldSpec("file_id", "i", writable=False)}


async def rest(request: Request) -> Response:
    """Entry point for every /REST/1/... request."""
    settings = request.app.state.settings
    try:
        return await _dispatch(request)
    except ApiError as exc:
        return error_response(
            exc.status, exc.message, as_html=settings.html_errors, headers=exc.headers
        )
    except QueryError as exc:
        return error_response(400, str(exc), as_html=settings.html_errors)
    except Exception:  # a bug must still answer in the service's error shape
        logger.exception("OpenAsset emulator failed on %s %s", request.method, request.url.path)
        request.app.state.stats.internal_errors += 1
        return error_response(500, "Internal server error", as_html=settings.html_errors)


def _module_missing(path: str) -> ApiError:
    return ApiError(404, f"Cannot create requested REST module /REST/1/{path}")


def _denied(method: str, noun: str) -> ApiError:
    return ApiError(403, f"Access denied to {method} {noun}")


def _int(segment: str) -> int:
    if not segment.isdigit():
        raise ApiError(404, "Requested object not found")
    return int(segment)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None  # the server decodes garbage to nothing, then reports a missing body


def _http_date(dt: str) -> str | None:
    try:
        moment = datetime.strptime(dt, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return format_datetime(moment, usegmt=True)


def _header_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def _newest(rows: list[Record]) -> str:
    return max((str(r.get("updated") or "") for r in rows), default="")


async def _dispatch(request: Request) -> Response:
    state = request.app.state
    settings = state.settings
    caller: Caller = request.scope["state"]["oa_caller"]
    version = settings.parsed_version
    method = request.method
    params = list(request.query_params.multi_items())
    override = request.headers.get("x-http-method-override", "").upper()
    if method == "POST" and override == "GET" and version >= V9:
        form = await request.form()
        params += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        method = "GET"
    head = method == "HEAD"
    if head:
        method = "GET"
    path = str(request.path_params.get("path", "")).strip("/")
    host = request.headers.get("host", "127.0.0.1")
    ctx = Ctx(state.store, settings, state.stats, caller, host, params, version)
    segments = path.split("/") if path else []
    if not segments:
        raise _module_missing(path)
    noun = segments[0]
    if noun == "Headers" and len(segments) == 1:
        if method != "GET":
            raise _denied(method, noun)
        return json_response({}, ctx, head=head)
    if noun in ("AuthenticationTokens", "JWT") and len(segments) == 1:
        return await (_authentication_tokens if noun != "JWT" else _jwt)(request, method, ctx)
    spec = NOUNS.get(noun)
    if spec is None or (spec.since is not None and version < spec.since):
        raise _module_missing(path)
    if method not in METHODS or method == "PATCH":
        raise ApiError(405, f"Method {method} not allowed")
    if method == "OPTIONS":
        return _options(spec, caller, ctx)
    if len(segments) == 1:
        return await _collection(request, spec, method, ctx, head)
    ident = _int(segments[1])
    if len(segments) == 2:
        return await _item(request, spec, ident, method, ctx, head)
    if len(segments) in (3, 4):
        return await _nested(request, spec, ident, segments, method, ctx, head, path)
    raise _module_missing(path)


async def _authentication_tokens(request: Request, method: str, ctx: Ctx) -> Response:
    """POST /AuthenticationTokens `{"name"}` (legacy `OAT` flow): `{"id", "token"}`."""
    if method != "POST" or ctx.caller.anonymous:
        raise _denied(method, "AuthenticationTokens")
    body = await _json_body(request)
    if not isinstance(body, dict) or not str(body.get("name") or "").strip():
        raise ApiError(400, f"No JSON body provided for {method} request")
    tokens = request.app.state.signed_tokens
    ident = str(len(tokens) + 1)
    secret = secrets.token_urlsafe(32)
    tokens[ident] = SignedToken(ctx.caller.user_id, ctx.caller.username, secret)
    return json_response({"id": int(ident), "token": secret}, ctx)


async def _jwt(request: Request, method: str, ctx: Ctx) -> Response:
    """GET /JWT?service.openasset=true&expiry=S: a signed JWT for the logged-in user [?]."""
    if method != "GET" or ctx.caller.anonymous:
        raise _denied(method, "JWT")
    raw = ctx.param("expiry") or "86400"
    if not raw.isdigit():
        raise ApiError(400, "Invalid value for expiry: must be an integer")
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": ctx.caller.user_id, "iat": now, "exp": now + int(raw)}
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    key = request.app.state.jwt_secret
    sig = _b64url(hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    head = request.method == "HEAD"
    return json_response({"jwt": f"{header}.{payload}.{sig}"}, ctx, head=head)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _authorize(spec: NounSpec, method: str, ctx: Ctx, noun: str | None = None) -> None:
    name = noun or spec.name
    if method == "GET":
        return
    if ctx.caller.anonymous or ctx.caller.user_id == VIEWER_USER_ID:
        raise _denied(method, name)
    if method == "MERGE":
        if not spec.merge:
            raise _denied(method, name)
    elif method not in spec.verbs:
        raise _denied(method, name)
    if spec.writes_since is not None and ctx.version < spec.writes_since:
        raise _denied(method, name)


def _options(spec: NounSpec, caller: Caller, ctx: Ctx) -> Response:
    can_write = not caller.anonymous and caller.user_id != VIEWER_USER_ID
    verbs = {v: (ACCESS_LEVELS if v == "GET" or can_write else []) for v in sorted(spec.verbs)}
    if spec.merge:
        verbs["MERGE"] = ACCESS_LEVELS if can_write else []
    return json_response({spec.name: verbs}, ctx)


def _renderer(spec: NounSpec, ctx: Ctx) -> Any:
    exps = nested.expansions(spec.name)
    wanted = {k: v for k, v in ctx.params if k in exps}
    display = None
    raw_display = ctx.param("displayFields")
    if raw_display is not None:
        display = tuple(f.strip() for f in raw_display.split(",") if f.strip())

    names = visible_fields(spec, ctx)
    keep = set(wanted)

    def render(row: Record) -> Record:
        out = render_row(spec, row, ctx, names)
        if wanted:
            nested.embed(spec.name, out, row["id"], ctx, wanted)
        return trim(out, display, keep)

    return render


def _resolver(spec: NounSpec, ctx: Ctx) -> Any:
    codes = {
        str(f[k]): f["id"]
        for f in ctx.store.table("Fields").values()
        for k in ("code", "rest_code")
    }

    def resolve(record: Record, name: str) -> Any:
        if name in record:
            return record[name]
        if name in codes and (spec.name, "Fields") in ctx.store.links:
            for entry in ctx.store.link(spec.name, "Fields", record["id"]):
                if entry["id"] == codes[name]:
                    return entry["values"]
        return None

    return resolve


def list_rows(
    spec: NounSpec, rows: list[Record], ctx: Ctx, head: bool, since: str | None = None
) -> Response:
    """Filter, order, page and render a list; count headers on the answer."""
    fields = {k: f for k, f in spec.fields.items() if field_visible(f, ctx.version)}
    query = parse_query(ctx.params, fields, nested.expansions(spec.name))
    if "alive" in fields and not query.filters_field("alive"):
        rows = [r for r in rows if r.get("alive", 1)]
    if query.filters or query.filter_by_and or query.filter_by_or:
        predicate = compile_filters(query, _resolver(spec, ctx))
        rows = [r for r in rows if predicate(r)]
    if query.order:
        rows = order_rows(rows, query.order)
    shown = page(rows, query)
    headers = list_headers(len(rows), len(shown), query.offset, query.limit)
    if ctx.settings.conditional:
        conditional = _not_modified(_newest(shown), headers, since)
        if conditional is not None:
            return conditional
    render = _renderer(spec, ctx)
    return json_response([render(r) for r in shown], ctx, 200, headers, head=head)


def _not_modified(updated: str, headers: dict[str, str], since_raw: str | None) -> Response | None:
    """Set Last-Modified; a 304 when If-Modified-Since is at or after it."""
    stamp = _http_date(updated) if updated else None
    if stamp is None:
        return None
    headers["Last-Modified"] = stamp
    since = _header_time(since_raw)
    if since is not None and parsedate_to_datetime(stamp) <= since:
        return Response(status_code=304, headers=headers)
    return None


async def _collection(
    request: Request, spec: NounSpec, method: str, ctx: Ctx, head: bool
) -> Response:
    _authorize(spec, method, ctx)
    if method == "GET":
        rows = list(ctx.store.table(spec.name).values())
        return list_rows(spec, rows, ctx, head, request.headers.get("if-modified-since"))
    render = _renderer(spec, ctx)
    multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
    if spec.name == "Files" and multipart and method == "POST":
        return await uploads.upload(request, ctx, render)
    if spec.name == "Files" and multipart and method == "PUT":
        return await uploads.replace(request, ctx, None, render)
    body = await _json_body(request)
    if method == "DELETE":
        return writes.delete_collection(spec, body, ctx.param("id"), ctx)
    if body is None:
        raise ApiError(400, f"No JSON body provided for {method} request")
    if method == "POST":
        return writes.post_collection(spec, body, ctx, render)
    if method == "PUT":
        return writes.put_collection(spec, body, ctx, render)
    raise ApiError(400, "Not a valid URL.")  # MERGE needs a target id


async def _item(
    request: Request, spec: NounSpec, ident: int, method: str, ctx: Ctx, head: bool
) -> Response:
    _authorize(spec, method, ctx)
    row = ctx.store.get(spec.name, ident)
    if method == "POST":
        raise _denied(method, spec.name)
    if row is None:
        raise ApiError(404, "Requested object not found")
    render = _renderer(spec, ctx)
    if method == "GET":
        headers: dict[str, str] = {}
        if ctx.settings.conditional:
            since = request.headers.get("if-modified-since")
            conditional = _not_modified(str(row.get("updated") or ""), headers, since)
            if conditional is not None:
                return conditional
        return json_response(render(row), ctx, 200, headers, head=head)
    if method == "DELETE":
        ctx.store.delete(spec.name, ident)
        return Response(status_code=204)
    if spec.name == "Files" and request.headers.get("content-type", "").startswith(
        "multipart/form-data"
    ):
        return await uploads.replace(request, ctx, ident, render)
    body = await _json_body(request)
    if body is None:
        raise ApiError(400, f"No JSON body provided for {method} request")
    if method == "MERGE":
        return json_response(render(writes.merge(spec, row, body, ctx)), ctx)
    if ctx.settings.conditional:
        limit = _header_time(request.headers.get("if-unmodified-since"))
        stamp = _http_date(str(row.get("updated") or ""))
        if limit is not None and stamp is not None and parsedate_to_datetime(stamp) > limit:
            raise ApiError(412, "Precondition failed")
    if isinstance(body, list):
        raise ApiError(400, "Expected a JSON object")
    ignored: list[str] = []
    updated = writes.update_one(spec, row, body, ctx, ignored)
    return json_response(render(updated), ctx, 200, writes.ignored_header(ignored))


async def _nested(
    request: Request,
    spec: NounSpec,
    ident: int,
    segments: list[str],
    method: str,
    ctx: Ctx,
    head: bool,
    path: str,
) -> Response:
    child = segments[2]
    nspec = nested.NESTED.get((spec.name, child))
    if nspec is None:
        raise _module_missing(path)
    nested.check_gate(nspec, method, ctx.version)
    if method != "GET":
        if ctx.caller.anonymous or ctx.caller.user_id == VIEWER_USER_ID:
            raise _denied(method, child)
        if method not in nspec.verbs:
            raise _denied(method, child)
    if ctx.store.get(spec.name, ident) is None:
        raise ApiError(404, "Requested object not found")
    child_id = _int(segments[3]) if len(segments) == 4 else None
    if nspec.kind == "project_files":
        files = [f for f in ctx.store.table("Files").values() if f["project_id"] == ident]
        return list_rows(NOUNS["Files"], files, ctx, head)
    if method == "GET":
        items = nested.read_list(spec.name, child, ident, ctx)
        if child_id is not None:
            found = [i for i in items if i.get("id") == child_id]
            if not found:
                raise ApiError(404, "Requested object not found")
            return json_response(found[0], ctx, head=head)
        if nspec.kind == "results":
            # Result rows carry only `file_id`: it is the one field to filter and sort on.
            query = parse_query(ctx.params, RESULT_FIELDS, ())
            if query.filters:
                predicate = compile_filters(query, lambda row, name: row.get(name))
                items = [i for i in items if predicate(i)]
            if query.order:
                items = order_rows(items, query.order)
            shown = page(items, query)
            headers = list_headers(len(items), len(shown), query.offset, query.limit)
            return json_response(shown, ctx, 200, headers, head=head)
        headers = list_headers(len(items), len(items), 0, 0)
        return json_response(items, ctx, 200, headers, head=head)
    if method == "MERGE":
        raise _denied(method, child)
    if child_id is not None and method == "DELETE":
        nested.remove_one(spec.name, child, ident, child_id, ctx)
    elif nspec.kind != "results":
        body = await _json_body(request)
        if child_id is not None:
            body = [dict(body or {}, id=child_id)] if isinstance(body, dict | None) else body
        if body is None:
            raise ApiError(400, f"No JSON body provided for {method} request")
        nested.write_list(spec.name, child, ident, method, body, ctx)
    items = nested.read_list(spec.name, child, ident, ctx)
    return json_response(items, ctx, 200, list_headers(len(items), len(items), 0, 0))
