"""Routes for translations: lists (project, locale, key), search, CRUD and state actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asyncdam.emulator.phrase import views
from asyncdam.emulator.phrase.router import RouteSpec
from asyncdam.emulator.phrase.store import ProjectData, Translation
from asyncdam.emulator.phrase.web import (
    Ctx,
    Reply,
    invalid,
    json_reply,
    not_found,
    opt_bool,
    opt_str,
    paginate,
    parse_bool,
    project_data,
    wrote,
)

SEARCH_CAP = 10_000
TrTest = Callable[[Translation], bool]


def _flag_is(field: str, want: bool) -> TrTest:
    return lambda t: bool(getattr(t, field)) == want


def _key_tagged(data: ProjectData, tags: set[str]) -> TrTest:
    keys = data.keys
    return lambda t: t.key_id in keys and bool(tags.intersection(keys[t.key_id].tags))


def _content_has(word: str) -> TrTest:
    return lambda t: word in t.content.lower()


def _filter(data: ProjectData, q: str) -> TrTest:
    tests: list[TrTest] = []
    for token in q.split():
        field, sep, value = token.partition(":")
        if sep and field in ("unverified", "excluded", "reviewed"):
            tests.append(_flag_is(field, parse_bool(value) is True))
        elif sep and field == "tags":
            tests.append(_key_tagged(data, set(value.split(","))))
        else:
            tests.append(_content_has(token.lower()))
    if len(tests) == 1:
        return tests[0]
    return lambda t: all(test(t) for test in tests)


def _select(
    data: ProjectData, args: dict[str, Any], locale_id: str | None, key_id: str | None
) -> list[Translation]:
    items: list[Translation]
    if key_id is not None:
        items = [
            data.translations[data.by_key_locale[(key_id, loc)]]
            for loc in data.locales
            if (key_id, loc) in data.by_key_locale
        ]
    else:
        items = list(data.translations.values())
    if locale_id is not None:
        items = [t for t in items if t.locale_id == locale_id]
    q = opt_str(args, "q", "Translation")
    if q:
        test = _filter(data, q)
        items = [t for t in items if test(t)]
    sort = opt_str(args, "sort", "Translation")
    if sort in ("created_at", "updated_at"):
        attr = "created" if sort == "created_at" else "updated"
        desc = (opt_str(args, "order", "Translation") or "asc").lower() == "desc"
        items.sort(key=lambda t: getattr(t, attr), reverse=desc)
    return items


def _locale_id(data: ProjectData, ref: str | None) -> str | None:
    if not ref:
        return None
    loc = data.locale(ref)
    if loc is None:
        raise not_found()
    return loc.id


def list_translations(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/translations (filters key_id, locale_id, q)."""
    data = project_data(ctx, ctx.params["project_id"])
    args = dict(ctx.query)
    key_id = args.get("key_id") or None
    if key_id is not None and key_id not in data.keys:
        raise not_found()
    items = _select(data, args, _locale_id(data, args.get("locale_id")), key_id)
    return paginate(ctx, items, lambda t: views.translation(data, t))


def translations_by_locale(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/locales/{locale_id}/translations."""
    data = project_data(ctx, ctx.params["project_id"])
    loc_id = _locale_id(data, ctx.params["locale_id"])
    items = _select(data, dict(ctx.query), loc_id, None)
    return paginate(ctx, items, lambda t: views.translation(data, t))


def translations_by_key(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/keys/{key_id}/translations."""
    data = project_data(ctx, ctx.params["project_id"])
    if ctx.params["key_id"] not in data.keys:
        raise not_found()
    items = _select(data, dict(ctx.query), None, ctx.params["key_id"])
    return paginate(ctx, items, lambda t: views.translation(data, t))


def search_translations(ctx: Ctx) -> Reply:
    """POST /projects/{project_id}/translations/search (at most 10,000 results)."""
    data = project_data(ctx, ctx.params["project_id"])
    args = ctx.json()
    items = _select(data, args, _locale_id(data, opt_str(args, "locale_id", "Translation")), None)
    return paginate(ctx, items[:SEARCH_CAP], lambda t: views.translation(data, t), link=False)


def _translation(data: ProjectData, tr_id: str) -> Translation:
    tr = data.translations.get(tr_id)
    if tr is None:
        raise not_found()
    return tr


def show_translation(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/translations/{id}."""
    data = project_data(ctx, ctx.params["project_id"])
    tr = _translation(data, ctx.params["id"])
    return json_reply(views.translation_details(ctx.store, data, tr))


def _apply(tr: Translation, args: dict[str, Any]) -> None:
    content = opt_str(args, "content", "Translation")
    flags = {f: opt_bool(args, f, "Translation") for f in ("unverified", "excluded", "reviewed")}
    if content is not None:
        tr.content = content
    for field, value in flags.items():
        if value is not None:
            setattr(tr, field, value)


def create_translation(ctx: Ctx) -> Reply:
    """POST /projects/{project_id}/translations (replaces the key's translation in that locale)."""
    data = project_data(ctx, ctx.params["project_id"])
    args = ctx.json()
    loc_ref = opt_str(args, "locale_id", "Translation")
    key_id = opt_str(args, "key_id", "Translation")
    if not loc_ref or data.locale(loc_ref) is None:
        raise invalid("Translation", "locale_id", "is invalid")
    if not key_id or key_id not in data.keys:
        raise invalid("Translation", "key_id", "is invalid")
    if opt_str(args, "content", "Translation") is None:
        raise invalid("Translation", "content", "can't be blank")
    loc = data.locale(loc_ref)
    assert loc is not None
    old_id = data.by_key_locale.get((key_id, loc.id))
    tr = Translation(ctx.store.new_id(), key_id, loc.id, "", ctx.now, ctx.now)
    if old_id is not None:
        tr.created = data.translations[old_id].created
    _apply(tr, args)
    data.add_translation(tr)
    wrote(ctx)
    return json_reply(views.translation_details(ctx.store, data, tr), 201)


def update_translation(ctx: Ctx) -> Reply:
    """PATCH /projects/{project_id}/translations/{id}."""
    data = project_data(ctx, ctx.params["project_id"])
    tr = _translation(data, ctx.params["id"])
    args = ctx.json()
    draft = Translation(tr.id, tr.key_id, tr.locale_id, tr.content, tr.created, tr.updated)
    draft.unverified, draft.excluded, draft.reviewed = tr.unverified, tr.excluded, tr.reviewed
    _apply(draft, args)
    tr.content, tr.unverified = draft.content, draft.unverified
    tr.excluded, tr.reviewed, tr.updated = draft.excluded, draft.reviewed, ctx.now
    wrote(ctx)
    return json_reply(views.translation_details(ctx.store, data, tr))


def _action(field: str, value: bool) -> Callable[[Ctx], Reply]:
    def act(ctx: Ctx) -> Reply:
        data = project_data(ctx, ctx.params["project_id"])
        tr = _translation(data, ctx.params["id"])
        ctx.json()  # a malformed body is still a 400
        setattr(tr, field, value)
        tr.updated = ctx.now
        wrote(ctx)
        return json_reply(views.translation_details(ctx.store, data, tr))

    act.__doc__ = f"PATCH a translation's {field} flag to {value}."
    return act


def _bulk(field: str, value: bool) -> Callable[[Ctx], Reply]:
    def act(ctx: Ctx) -> Reply:
        data = project_data(ctx, ctx.params["project_id"])
        args = ctx.args()
        locale_id = _locale_id(data, opt_str(args, "locale_id", "Translation"))
        changed = [t for t in _select(data, args, locale_id, None) if getattr(t, field) != value]
        for tr in changed:
            setattr(tr, field, value)
            tr.updated = ctx.now
        if changed:
            wrote(ctx)
        return json_reply({"records_affected": len(changed)})

    act.__doc__ = f"PATCH the {field} flag of every matching translation to {value}."
    return act


ROUTES: list[RouteSpec] = [
    ("GET", "/projects/{project_id}/translations", list_translations),
    ("POST", "/projects/{project_id}/translations", create_translation),
    ("POST", "/projects/{project_id}/translations/search", search_translations),
    ("GET", "/projects/{project_id}/locales/{locale_id}/translations", translations_by_locale),
    ("GET", "/projects/{project_id}/keys/{key_id}/translations", translations_by_key),
    ("GET", "/projects/{project_id}/translations/{id}", show_translation),
    ("PATCH", "/projects/{project_id}/translations/{id}", update_translation),
    ("PATCH", "/projects/{project_id}/translations/verify", _bulk("unverified", False)),
    ("PATCH", "/projects/{project_id}/translations/unverify", _bulk("unverified", True)),
    ("PATCH", "/projects/{project_id}/translations/review", _bulk("reviewed", True)),
    ("PATCH", "/projects/{project_id}/translations/unreview", _bulk("reviewed", False)),
    ("PATCH", "/projects/{project_id}/translations/exclude", _bulk("excluded", True)),
    ("PATCH", "/projects/{project_id}/translations/include", _bulk("excluded", False)),
    ("PATCH", "/projects/{project_id}/translations/{id}/verify", _action("unverified", False)),
    ("PATCH", "/projects/{project_id}/translations/{id}/unverify", _action("unverified", True)),
    ("PATCH", "/projects/{project_id}/translations/{id}/review", _action("reviewed", True)),
    ("PATCH", "/projects/{project_id}/translations/{id}/unreview", _action("reviewed", False)),
    ("PATCH", "/projects/{project_id}/translations/{id}/exclude", _action("excluded", True)),
    ("PATCH", "/projects/{project_id}/translations/{id}/include", _action("excluded", False)),
]
