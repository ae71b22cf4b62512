"""Errors, parameter parsing, paging and project lookup shared by the route modules.

`Ctx`, `Reply`, `ApiError` and the JSON helpers live in `context.py` and are re-exported here.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence
from email.utils import formatdate
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.formparsers import MultiPartException
from starlette.requests import Request

from asyncdam.emulator.phrase.context import (
    JSON_TYPE,
    ApiError,
    Ctx,
    Reply,
    dumps,
    json_reply,
    message,
)
from asyncdam.emulator.phrase.jobs_async import settle_uploads
from asyncdam.emulator.phrase.store import ProjectData

__all__ = [
    "JSON_TYPE",
    "ApiError",
    "Ctx",
    "Reply",
    "dumps",
    "http_date",
    "invalid",
    "iso",
    "json_reply",
    "message",
    "not_found",
    "opt_bool",
    "opt_str",
    "paginate",
    "parse_bool",
    "project_data",
    "read_form",
    "req_str",
    "str_list",
    "validation_failed",
    "wrote",
]

T = TypeVar("T")
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
TRUE_WORDS = frozenset({"true", "1", "yes", "on", "t"})
FALSE_WORDS = frozenset({"false", "0", "no", "off", "f", ""})


def not_found() -> ApiError:
    """The 404 answer for an unknown route or an id the user cannot see."""
    return ApiError(
        json_reply(
            {"message": "Not Found", "documentation_url": "https://developers.phrase.com/api/"}, 404
        )
    )


def invalid(resource: str, field: str, text: str) -> ApiError:
    """A 422 validation failure for one field."""
    return validation_failed(resource, [(field, text)])


def validation_failed(resource: str, errors: Sequence[tuple[str, str]]) -> ApiError:
    """The service's 422: `{"message": "Validation Failed", "errors": [...]}`, one per field."""
    body = {
        "message": "Validation Failed",
        "errors": [{"resource": resource, "field": f, "message": text} for f, text in errors],
    }
    return ApiError(json_reply(body, 422))


def iso(ts: float | None) -> str | None:
    """Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`."""
    if ts is None:
        return None
    return _iso(int(ts))


@functools.lru_cache(maxsize=65536)
def _iso(ts: int) -> str:
    # Lists render the same few thousand timestamps over and over: format each once.
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def http_date(ts: float) -> str:
    """Seconds since the epoch as an HTTP date."""
    return formatdate(ts, usegmt=True)


def parse_bool(value: Any) -> bool | None:
    """A boolean from JSON or a query/multipart string (`true`, `True`, `1` ...), else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        low = value.strip().lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
    return None


def opt_str(args: dict[str, Any], name: str, resource: str) -> str | None:
    """An optional string field; numbers are accepted as text, other types fail validation."""
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, (list, dict)):
        raise invalid(resource, name, "is invalid")
    return str(value)


def req_str(args: dict[str, Any], name: str, resource: str) -> str:
    """A required, non-blank string field."""
    value = opt_str(args, name, resource)
    if value is None or not value.strip():
        raise invalid(resource, name, "can't be blank")
    return value


def opt_bool(args: dict[str, Any], name: str, resource: str) -> bool | None:
    """An optional boolean field accepting true/false/True/1/0."""
    value = args.get(name)
    if value is None:
        return None
    parsed = parse_bool(value)
    if parsed is None:
        raise invalid(resource, name, "is not a boolean")
    return parsed


def str_list(args: dict[str, Any], name: str, resource: str) -> list[str] | None:
    """A list of strings given as a JSON array or a comma-separated string."""
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return [str(v) for v in value]
    raise invalid(resource, name, "is invalid")


def _int_param(ctx: Ctx, name: str, default: int) -> int:
    raw = ctx.q(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise message(400, f"{name} must be an integer") from None


def paginate(ctx: Ctx, items: Sequence[T], render: Callable[[T], Any], link: bool = True) -> Reply:
    """One page of `items` with the `Link` (optional) and `Pagination` headers."""
    page = max(1, _int_param(ctx, "page", 1))
    per_page = _int_param(ctx, "per_page", DEFAULT_PER_PAGE)
    per_page = DEFAULT_PER_PAGE if per_page < 1 else min(per_page, MAX_PER_PAGE)
    total = len(items)
    pages = max(1, -(-total // per_page))
    start = (page - 1) * per_page
    chunk = items[start : start + per_page] if start < total else []
    reply = json_reply([render(item) for item in chunk])
    prev_page = page - 1 if page > 1 else None
    next_page = page + 1 if page < pages else None
    reply.headers["pagination"] = json.dumps(
        {
            "total_count": total,
            "total_pages_count": pages,
            "current_page": page,
            "current_per_page": per_page,
            "previous_page": prev_page,
            "next_page": next_page,
        },
        separators=(",", ":"),
    )
    if link:
        rels = [("first", 1)]
        if prev_page is not None:
            rels.append(("prev", prev_page))
        if next_page is not None:
            rels.append(("next", next_page))
        rels.append(("last", pages))
        quoted = bool(getattr(ctx.state, "link_rel_quoted", False))
        other = [(k, v) for k, v in ctx.query if k not in ("page", "access_token")]
        parts = []
        for rel, number in rels:
            query = urlencode([*other, ("page", str(number))], safe="[]")
            url = f"{ctx.origin}{ctx.base}{ctx.path}?{query}"
            parts.append(f'<{url}>; rel="{rel}"' if quoted else f"<{url}>; rel={rel}")
        reply.headers["link"] = ", ".join(parts)
    return reply


def project_data(ctx: Ctx, project_id: str, branch: str | None = None) -> ProjectData:
    """The data of a project (or of its `branch`), or 404; records it for the cache validators."""
    project = ctx.store.projects.get(project_id)
    if project is None:
        raise not_found()
    ctx.project = project
    if branch is None:
        raw = ctx.q("branch")
        if raw is None and ctx.method in ("POST", "PATCH", "PUT", "DELETE"):
            found = ctx.json().get("branch")
            raw = found if isinstance(found, str) else None
        branch = raw or None
    if branch:
        br = project.branches.get(branch)
        if br is None:
            raise not_found()
        ctx.data = br.data
    else:
        ctx.data = project.data
    settle_uploads(ctx, ctx.data)
    return ctx.data


def wrote(ctx: Ctx) -> None:
    """Mark the current project (and branch) data as written now."""
    if ctx.data is not None:
        ctx.data.touch(ctx.now)
    if ctx.project is not None:
        ctx.project.updated = ctx.now
        ctx.project.data.touch(ctx.now)
    ctx.store.touch(ctx.now)


async def read_form(ctx: Ctx) -> dict[str, Any]:
    """A multipart body as a dict of parts (files as `UploadFile`), or the JSON body."""
    ctype = ctx.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        return dict(ctx.json())
    body = ctx.body

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {"type": "http", "method": "POST", "path": "/", "query_string": b"",
             "headers": [(b"content-type", ctype.encode("latin-1"))]}  # fmt: skip
    try:
        form = await Request(scope, receive).form(max_files=4, max_fields=2000)
    except (MultiPartException, ValueError, KeyError):
        raise message(400, "Multipart body could not be parsed") from None
    return dict(form.multi_items())  # a repeated part: the last one wins
