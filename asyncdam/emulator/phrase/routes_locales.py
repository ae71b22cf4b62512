"""Routes for locales, the synchronous locale download and the asynchronous download flow."""

from __future__ import annotations

from typing import Any

from asyncdam.emulator.phrase import views
from asyncdam.emulator.phrase.formats import ENCODINGS, FORMAT_NAMES, Entry, render
from asyncdam.emulator.phrase.jobs_async import advance_download
from asyncdam.emulator.phrase.router import RouteSpec
from asyncdam.emulator.phrase.store import Download, Locale, ProjectData
from asyncdam.emulator.phrase.web import (
    Ctx,
    Reply,
    invalid,
    iso,
    json_reply,
    message,
    not_found,
    opt_bool,
    opt_str,
    paginate,
    parse_bool,
    project_data,
    req_str,
    str_list,
    wrote,
)

# How long a completed async download (and its result URL) stays available.
DOWNLOAD_TTL = 900.0
FILES_PREFIX = "/_files/phrase"


def _locale(data: ProjectData, ref: str) -> Locale:
    loc = data.locale(ref)
    if loc is None:
        raise not_found()
    return loc


def list_locales(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/locales."""
    data = project_data(ctx, ctx.params["project_id"])
    items = list(data.locales.values())
    text = (ctx.q("q") or "").strip().lower()
    if text:
        items = [loc for loc in items if text in loc.name.lower() or text in loc.code.lower()]
    sort_by = ctx.q("sort_by") or ""
    if sort_by.startswith("name_"):
        items.sort(key=lambda loc: loc.name, reverse=sort_by.endswith("desc"))
    return paginate(ctx, items, lambda loc: views.locale(data, loc))


def show_locale(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/locales/{id} (id or name)."""
    data = project_data(ctx, ctx.params["project_id"])
    return json_reply(views.locale_details(data, _locale(data, ctx.params["id"])))


def _apply_locale(ctx: Ctx, data: ProjectData, loc: Locale, args: dict[str, Any]) -> None:
    for field in ("name", "code"):
        value = opt_str(args, field, "Locale")
        if value is not None:
            if not value.strip():
                raise invalid("Locale", field, "can't be blank")
            setattr(loc, field, value)
    for flag in ("default", "main", "rtl"):
        flag_value = opt_bool(args, flag, "Locale")
        if flag_value is not None:
            setattr(loc, flag, flag_value)
    for ref_field, attr in (
        ("source_locale_id", "source_locale_id"),
        ("fallback_locale_id", "fallback_locale_id"),
    ):
        ref = opt_str(args, ref_field, "Locale")
        if ref:
            other = data.locale(ref)
            if other is None:
                raise invalid("Locale", ref_field, "is invalid")
            setattr(loc, attr, other.id)
    if any(o.name == loc.name and o.id != loc.id for o in data.locales.values()):
        raise invalid("Locale", "name", "has already been taken")
    if loc.default:
        for other in data.locales.values():
            if other.id != loc.id:
                other.default = False


def create_locale(ctx: Ctx) -> Reply:
    """POST /projects/{project_id}/locales."""
    data = project_data(ctx, ctx.params["project_id"])
    args = ctx.json()
    loc = Locale(
        id=ctx.store.new_id(),
        name=req_str(args, "name", "Locale"),
        code=req_str(args, "code", "Locale"),
        created=ctx.now,
        updated=ctx.now,
    )
    _apply_locale(ctx, data, loc, args)
    data.locales[loc.id] = loc
    wrote(ctx)
    return json_reply(views.locale_details(data, loc), 201)


def update_locale(ctx: Ctx) -> Reply:
    """PATCH /projects/{project_id}/locales/{id}."""
    data = project_data(ctx, ctx.params["project_id"])
    loc = _locale(data, ctx.params["id"])
    args = ctx.json()
    before = (loc.name, loc.code)
    try:
        _apply_locale(ctx, data, loc, args)
    except Exception:
        loc.name, loc.code = before
        raise
    loc.updated = ctx.now
    wrote(ctx)
    return json_reply(views.locale_details(data, loc))


def delete_locale(ctx: Ctx) -> Reply:
    """DELETE /projects/{project_id}/locales/{id}."""
    data = project_data(ctx, ctx.params["project_id"])
    data.remove_locale(_locale(data, ctx.params["id"]).id)
    wrote(ctx)
    return Reply(status=204)


def _entries(data: ProjectData, loc: Locale, opts: dict[str, Any]) -> list[Entry]:
    tags = opts.get("tags") or opts.get("tag")
    tag_set = set(tags.split(",")) if isinstance(tags, str) and tags else None
    include_empty = parse_bool(opts.get("include_empty_translations")) is True
    unverified = parse_bool(opts.get("include_unverified_translations"))
    skip_unverified = parse_bool(opts.get("skip_unverified_translations")) is True
    keep_unverified = unverified is not False and not skip_unverified
    fallback: Locale | None = None
    if parse_bool(opts.get("use_locale_fallback")):
        fallback = data.locales.get(loc.fallback_locale_id or "")
    elif isinstance(opts.get("fallback_locale_id"), str):
        fallback = data.locale(opts["fallback_locale_id"])
    prefix = opts.get("filter_by_prefix")
    key_prefix = opts.get("translation_key_prefix") or ""
    out: list[Entry] = []
    translations = data.translations
    index = data.by_key_locale
    for key in data.keys.values():
        if tag_set is not None and not tag_set.intersection(key.tags):
            continue
        if isinstance(prefix, str) and prefix and not key.name.startswith(prefix):
            continue
        content = None
        tr_id = index.get((key.id, loc.id))
        if tr_id is not None:
            tr = translations[tr_id]
            if not tr.excluded and tr.content and (keep_unverified or not tr.unverified):
                content = tr.content
        if content is None and fallback is not None:
            fb_id = index.get((key.id, fallback.id))
            if fb_id is not None:
                content = translations[fb_id].content or None
        if content is None:
            if not include_empty:
                continue
            content = ""
        name = key.name
        if isinstance(prefix, str) and prefix and key_prefix == "":
            name = name[len(prefix) :]
        out.append((key_prefix + name, content, key.description))
    return out


def _check_format(opts: dict[str, Any]) -> tuple[str, str]:
    fmt = opts.get("file_format")
    if fmt is None or fmt == "":
        raise message(400, "Missing parameter file_format")
    if not isinstance(fmt, str) or fmt not in FORMAT_NAMES:
        raise message(400, f"Unknown file format: {str(fmt)[:40]}")
    encoding = opts.get("encoding") or "UTF-8"
    if not isinstance(encoding, str) or encoding.lower() not in ENCODINGS:
        raise invalid("LocaleDownload", "encoding", "is not included in the list")
    return fmt, encoding


def download_locale(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/locales/{id}/download: the file itself."""
    data = project_data(ctx, ctx.params["project_id"])
    loc = _locale(data, ctx.params["id"])
    opts: dict[str, Any] = dict(ctx.query)
    fmt, encoding = _check_format(opts)
    body, ctype = render(fmt, _entries(data, loc, opts), loc.code, encoding)
    reply = Reply(body=body, content_type=ctype)
    reply.headers["content-disposition"] = f'attachment; filename="{loc.name}.{fmt}"'
    return reply


def _download_view(ctx: Ctx, dl: Download) -> dict[str, Any]:
    url = None
    if dl.status == "completed":
        url = f"{ctx.origin}{FILES_PREFIX}/{dl.secret}"
    return {
        "id": dl.id,
        "status": dl.status,
        "result": {"url": url} if url else None,
        "params": dl.params,
        "error": None,
        "created_at": iso(dl.created),
        "completed_at": iso(dl.completed),
    }


def create_download(ctx: Ctx) -> Reply:
    """POST /projects/{project_id}/locales/{locale_id}/downloads: start an export."""
    data = project_data(ctx, ctx.params["project_id"])
    loc = _locale(data, ctx.params["locale_id"])
    args = ctx.json()
    if "file_format" not in args:
        raise invalid("LocaleDownload", "file_format", "can't be blank")
    fmt, encoding = _check_format(args)
    locale_ids = str_list(args, "locale_ids", "LocaleDownload")
    for name in ("format_options", "custom_metadata_filters"):
        if name in args and not isinstance(args[name], dict):
            raise invalid("LocaleDownload", name, "is invalid")
    params = {k: v for k, v in args.items() if k != "branch"}
    params["locale_id"] = loc.id
    if locale_ids is not None:
        params["locale_ids"] = locale_ids
    dl = Download(
        id=ctx.store.new_id(),
        locale_id=loc.id,
        params=params,
        secret=ctx.store.new_id() + ctx.store.new_id(),
        created=ctx.now,
    )
    # The export is a snapshot of the data at request time.
    body, ctype = render(fmt, _entries(data, loc, args), loc.code, encoding)
    dl.body, dl.content_type, dl.filename = body, ctype, f"{loc.name}.{fmt}"
    data.downloads[dl.id] = dl
    ctx.state.download_files[dl.secret] = dl
    return json_reply(_download_view(ctx, dl), 201)


def show_download(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/locales/{locale_id}/downloads/{id}: poll; 410 once expired."""
    data = project_data(ctx, ctx.params["project_id"])
    loc = _locale(data, ctx.params["locale_id"])
    dl = data.downloads.get(ctx.params["id"])
    if dl is None or dl.locale_id != loc.id:
        raise not_found()
    ttl = float(getattr(ctx.state, "download_ttl", DOWNLOAD_TTL))
    if dl.completed is not None and ctx.now - dl.completed >= ttl:
        raise message(410, "Gone")
    dl.polls += 1
    advance_download(ctx, dl, render=True)
    return json_reply(_download_view(ctx, dl))


def fetch_download_file(ctx: Ctx, secret: str) -> Reply:
    """The pre-signed result URL of a completed export (valid for the TTL)."""
    dl = ctx.state.download_files.get(secret)
    ttl = float(getattr(ctx.state, "download_ttl", DOWNLOAD_TTL))
    if dl is None or dl.status != "completed" or dl.completed is None:
        raise not_found()
    if ctx.now - dl.completed >= ttl:
        raise message(410, "Gone")
    reply = Reply(body=dl.body, content_type=dl.content_type)
    reply.headers["content-disposition"] = f'attachment; filename="{dl.filename}"'
    return reply


ROUTES: list[RouteSpec] = [
    ("GET", "/projects/{project_id}/locales", list_locales),
    ("POST", "/projects/{project_id}/locales", create_locale),
    ("GET", "/projects/{project_id}/locales/{id}", show_locale),
    ("PATCH", "/projects/{project_id}/locales/{id}", update_locale),
    ("DELETE", "/projects/{project_id}/locales/{id}", delete_locale),
    ("GET", "/projects/{project_id}/locales/{id}/download", download_locale),
    ("POST", "/projects/{project_id}/locales/{locale_id}/downloads", create_download),
    ("GET", "/projects/{project_id}/locales/{locale_id}/downloads/{id}", show_download),
]
