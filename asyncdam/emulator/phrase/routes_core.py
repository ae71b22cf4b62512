"""Routes for the user, accounts, projects, formats, authorizations, ICU and account search."""

from __future__ import annotations

import hashlib
from typing import Any

from asyncdam.emulator.phrase import views
from asyncdam.emulator.phrase.formats import FORMATS
from asyncdam.emulator.phrase.router import RouteSpec
from asyncdam.emulator.phrase.store import Project
from asyncdam.emulator.phrase.web import (
    ApiError,
    Ctx,
    Reply,
    dumps,
    invalid,
    iso,
    json_reply,
    message,
    not_found,
    opt_bool,
    opt_str,
    paginate,
    req_str,
    str_list,
)

ICU_PLURALS = {"en": ["one", "other"], "de": ["one", "other"], "fr": ["one", "many", "other"]}


def get_user(ctx: Ctx) -> Reply:
    """GET /user."""
    return json_reply(views.current_user(ctx.store.user))


def list_accounts(ctx: Ctx) -> Reply:
    """GET /accounts."""
    return paginate(ctx, list(ctx.store.accounts.values()), views.account)


def show_account(ctx: Ctx) -> Reply:
    """GET /accounts/{id}."""
    acc = ctx.store.accounts.get(ctx.params["id"])
    if acc is None:
        raise not_found()
    return json_reply(views.account_details(acc))


def account_locales(ctx: Ctx) -> Reply:
    """GET /accounts/{id}/locales: the locales of every project of the account."""
    if ctx.params["id"] not in ctx.store.accounts:
        raise not_found()
    items = []
    for proj in ctx.store.projects.values():
        if proj.account_id == ctx.params["id"]:
            for loc in proj.data.locales.values():
                out = views.locale(proj.data, loc)
                out["projects"] = [views.project_short(proj)]
                items.append(out)
    return paginate(ctx, items, lambda x: x)


def list_formats(ctx: Ctx) -> Reply:
    """GET /formats (no auth, not rate limited)."""
    return json_reply(list(FORMATS))


def _project(ctx: Ctx, project_id: str) -> Project:
    proj = ctx.store.projects.get(project_id)
    if proj is None:
        raise not_found()
    ctx.project = proj
    ctx.data = proj.data
    return proj


def list_projects(ctx: Ctx) -> Reply:
    """GET /projects (filters: account_id, q on the name, sort_by)."""
    items = list(ctx.store.projects.values())
    account_id = ctx.q("account_id")
    if account_id:
        items = [p for p in items if p.account_id == account_id]
    text = (ctx.q("q") or "").strip().lower()
    if text:
        items = [p for p in items if text in p.name.lower()]
    sort_by = ctx.q("sort_by") or ""
    if sort_by.startswith("name_"):
        items.sort(key=lambda p: p.name.lower(), reverse=sort_by.endswith("desc"))
    elif sort_by.startswith("updated_at_"):
        items.sort(key=lambda p: p.updated, reverse=sort_by.endswith("desc"))
    return paginate(ctx, items, lambda p: views.project(ctx.store, p))


def show_project(ctx: Ctx) -> Reply:
    """GET /projects/{id}."""
    return json_reply(views.project_details(ctx.store, _project(ctx, ctx.params["id"])))


def _apply_project_fields(proj: Project, args: dict[str, Any]) -> None:
    name = opt_str(args, "name", "Project")
    if name is not None:
        if not name.strip():
            raise invalid("Project", "name", "can't be blank")
        proj.name = name
    main_format = opt_str(args, "main_format", "Project")
    if main_format is not None:
        if main_format not in {f["api_name"] for f in FORMATS}:
            raise invalid("Project", "main_format", "is not included in the list")
        proj.main_format = main_format
    for flag in views.PROJECT_FLAGS:
        value = opt_bool(args, flag, "Project")
        if value is not None:
            proj.settings[flag] = value
    for text in ("media", "default_encoding", "cldr_version"):
        value_s = opt_str(args, text, "Project")
        if value_s is not None:
            proj.settings[text] = value_s
    styles = str_list(args, "placeholder_styles", "Project")
    if styles is not None:
        proj.settings["placeholder_styles"] = styles


def create_project(ctx: Ctx) -> Reply:
    """POST /projects."""
    args = ctx.json()
    name = req_str(args, "name", "Project")
    account_id = opt_str(args, "account_id", "Project") or next(iter(ctx.store.accounts))
    if account_id not in ctx.store.accounts:
        raise invalid("Project", "account_id", "is invalid")
    if any(p.name == name and p.account_id == account_id for p in ctx.store.projects.values()):
        raise invalid("Project", "name", "has already been taken")
    proj = Project(
        id=ctx.store.new_id(),
        name=name,
        slug=name.lower().replace(" ", "-"),
        account_id=account_id,
        created=ctx.now,
        updated=ctx.now,
    )
    _apply_project_fields(proj, args)
    proj.data.updated = ctx.now
    ctx.store.projects[proj.id] = proj
    ctx.store.touch(ctx.now)
    return json_reply(views.project_details(ctx.store, proj), 201)


def update_project(ctx: Ctx) -> Reply:
    """PATCH /projects/{id}."""
    proj = _project(ctx, ctx.params["id"])
    args = ctx.json()
    _apply_project_fields(proj, args)
    proj.updated = ctx.now
    proj.data.touch(ctx.now)
    ctx.store.touch(ctx.now)
    return json_reply(views.project_details(ctx.store, proj))


def delete_project(ctx: Ctx) -> Reply:
    """DELETE /projects/{id}."""
    _project(ctx, ctx.params["id"])
    del ctx.store.projects[ctx.params["id"]]
    ctx.store.touch(ctx.now)
    return Reply(status=204)


def _password_only(ctx: Ctx) -> None:
    if ctx.scheme != "password":
        raise message(401, "Unauthorized")


def _authorization(auth: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in auth.items() if k != "token"}


def list_authorizations(ctx: Ctx) -> Reply:
    """GET /authorizations (Basic email:password only)."""
    _password_only(ctx)
    items = list(ctx.state.authorizations.values())
    return paginate(ctx, items, _authorization)


def create_authorization(ctx: Ctx) -> Reply:
    """POST /authorizations: the new token is shown once."""
    _password_only(ctx)
    args = ctx.json()
    note = req_str(args, "note", "Authorization")
    scopes = str_list(args, "scopes", "Authorization") or ["read", "write"]
    bad = [s for s in scopes if s not in ("read", "write", "orders.create", "team.manage")]
    if bad:
        raise invalid("Authorization", "scopes", "is invalid")
    token = ctx.store.new_id() + ctx.store.new_id()
    auth = {
        "id": ctx.store.new_id(),
        "note": note,
        "token_last_eight": token[-8:],
        "hashed_token": hashlib.sha256(token.encode()).hexdigest(),
        "scopes": scopes,
        "expires_at": opt_str(args, "expires_at", "Authorization"),
        "created_at": iso(ctx.now),
        "updated_at": iso(ctx.now),
    }
    ctx.state.authorizations[auth["id"]] = auth
    ctx.state.extra_tokens[auth["hashed_token"]] = frozenset(scopes)
    ctx.store.touch(ctx.now)
    return json_reply({**auth, "token": token}, 201)


def show_authorization(ctx: Ctx) -> Reply:
    """GET /authorizations/{id}."""
    _password_only(ctx)
    auth = ctx.state.authorizations.get(ctx.params["id"])
    if auth is None:
        raise not_found()
    return json_reply(_authorization(auth))


def update_authorization(ctx: Ctx) -> Reply:
    """PATCH /authorizations/{id}: note, scopes, expiry."""
    _password_only(ctx)
    auth = ctx.state.authorizations.get(ctx.params["id"])
    if auth is None:
        raise not_found()
    args = ctx.json()
    note = opt_str(args, "note", "Authorization")
    scopes = str_list(args, "scopes", "Authorization")
    if scopes is not None:
        if any(s not in ("read", "write", "orders.create", "team.manage") for s in scopes):
            raise invalid("Authorization", "scopes", "is invalid")
        auth["scopes"] = scopes
        ctx.state.extra_tokens[auth["hashed_token"]] = frozenset(scopes)
    if note is not None:
        auth["note"] = note
    auth["updated_at"] = iso(ctx.now)
    ctx.store.touch(ctx.now)
    return json_reply(_authorization(auth))


def delete_authorization(ctx: Ctx) -> Reply:
    """DELETE /authorizations/{id}."""
    _password_only(ctx)
    auth = ctx.state.authorizations.pop(ctx.params["id"], None)
    if auth is None:
        raise not_found()
    ctx.state.extra_tokens.pop(auth["hashed_token"], None)
    ctx.store.touch(ctx.now)
    return Reply(status=204)


def _icu_check(text: str) -> None:
    depth = 0
    for char in text:
        depth += (char == "{") - (char == "}")
        if depth < 0:
            break
    if depth != 0:
        raise_icu("Unbalanced braces in message")


def raise_icu(text: str) -> None:
    """Answer 422 the way the ICU endpoint does: `{"error": ...}`."""
    raise ApiError(Reply(status=422, body=dumps({"error": text})))


def icu_skeleton(ctx: Ctx) -> Reply:
    """POST /icu/skeleton: plural skeletons for the requested locales."""
    args = ctx.json()
    content = args.get("content")
    ref = args.get("id")
    if (content is None) == (ref is None):
        raise message(400, "Exactly one of content or id must be given")
    if not isinstance(content, str):
        raise message(400, "content must be a string")
    _icu_check(content)
    codes = str_list(args, "locale_codes", "Icu") or ["en"]
    out = {}
    for code in codes:
        forms = ICU_PLURALS.get(code.split("-")[0], ["other"])
        out[code] = "{number, plural, " + " ".join(f"{f} {{}}" for f in forms) + "}"
    return json_reply(out)


def search_in_account(ctx: Ctx) -> Reply:
    """POST /accounts/{account_id}/search: paging parameters travel in the JSON body."""
    if ctx.params["account_id"] not in ctx.store.accounts:
        raise not_found()
    args = ctx.json()
    query = (opt_str(args, "query", "Search") or "").lower()
    code = opt_str(args, "locale_code", "Search")
    project_ids = str_list(args, "project_ids", "Search")
    for name in ("page", "per_page"):
        value = args.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise invalid("Search", name, "is not a number")
    results: list[dict[str, Any]] = []
    for proj in ctx.store.projects.values():
        if project_ids and proj.id not in project_ids:
            continue
        data = proj.data
        for tr in data.translations.values():
            loc = data.locales[tr.locale_id]
            if code and loc.code != code and loc.name != code:
                continue
            if query and query not in tr.content.lower():
                continue
            results.append({"proj": proj, "tr": tr})
            if len(results) >= 10_000:
                break
    ctx.query = [(k, v) for k, v in ctx.query if k not in ("page", "per_page")]
    ctx.query += [(k, str(args[k])) for k in ("page", "per_page") if k in args]

    def render(item: dict[str, Any]) -> dict[str, Any]:
        proj, tr = item["proj"], item["tr"]
        return {
            "query": query,
            "excerpt": tr.content[:80],
            "key": views.key_preview(proj.data.keys.get(tr.key_id)),
            "locale": views.locale_preview(proj.data.locales.get(tr.locale_id)),
            "project": views.project(ctx.store, proj),
            "translation": views.translation(proj.data, tr),
        }

    return paginate(ctx, results, render, link=False)


ROUTES: list[RouteSpec] = [
    ("GET", "/user", get_user),
    ("GET", "/accounts", list_accounts),
    ("GET", "/accounts/{id}", show_account),
    ("GET", "/accounts/{id}/locales", account_locales),
    ("POST", "/accounts/{account_id}/search", search_in_account),
    ("GET", "/formats", list_formats),
    ("GET", "/projects", list_projects),
    ("POST", "/projects", create_project),
    ("GET", "/projects/{id}", show_project),
    ("PATCH", "/projects/{id}", update_project),
    ("DELETE", "/projects/{id}", delete_project),
    ("GET", "/authorizations", list_authorizations),
    ("POST", "/authorizations", create_authorization),
    ("GET", "/authorizations/{id}", show_authorization),
    ("PATCH", "/authorizations/{id}", update_authorization),
    ("DELETE", "/authorizations/{id}", delete_authorization),
    ("POST", "/icu/skeleton", icu_skeleton),
]
