"""Routes computed from a project's own keys and translations: the project and locale reports,
and linked keys (a parent key whose children share its content; main project data only)."""

from __future__ import annotations

from typing import Any

from asyncdam.emulator.phrase import views
from asyncdam.emulator.phrase.router import RouteSpec
from asyncdam.emulator.phrase.store import Locale, ProjectData
from asyncdam.emulator.phrase.web import (
    Ctx,
    Reply,
    invalid,
    iso,
    json_reply,
    not_found,
    opt_bool,
    paginate,
    project_data,
    str_list,
    wrote,
)


def _words(text: str) -> int:
    return len(text.split())


def _locale_report(data: ProjectData, loc: Locale, key_ids: set[str]) -> dict[str, Any]:
    rows = [data.translations[t] for (k, l_id), t in data.by_key_locale.items()
            if l_id == loc.id and k in key_ids]  # fmt: skip
    done = [t for t in rows if t.content]
    unverified = [t for t in done if t.unverified]
    reviewed = [t for t in done if t.reviewed]
    total = len(key_ids)
    source = next((lo for lo in data.locales.values() if lo.default), loc)

    def share(part: int) -> float:
        return round(100.0 * part / total, 2) if total else 0.0

    source_words = sum(_words(data.translations[t].content)
                       for (k, l_id), t in data.by_key_locale.items()
                       if l_id == source.id and k in key_ids)  # fmt: skip
    return {
        "keys_count": total,
        "translated_translations_percentage": share(len(done)),
        "unverified_translations_percentage": share(len(unverified)),
        "reviewed_translations_percentage": share(len(reviewed)),
        "untranslated_keys_percentage": share(total - len(done)),
        "completed_translations_count": len(done),
        "untranslated_keys_count": total - len(done),
        "unverified_translations_count": len(unverified),
        "reviewed_translations_count": len(reviewed),
        "source_word_count": source_words,
        "word_count": sum(_words(t.content) for t in done),
        "word_count_unverified": sum(_words(t.content) for t in unverified),
        "word_count_missing": max(0, source_words - sum(_words(t.content) for t in done)),
        "locale": views.locale_preview(loc),
    }


def _tagged_keys(ctx: Ctx, data: ProjectData) -> set[str]:
    tag = ctx.q("tag")
    return {k.id for k in data.keys.values() if not tag or tag in k.tags}


def project_report(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/report: counts over the project's (or branch's) data."""
    data = project_data(ctx, ctx.params["project_id"])
    assert ctx.project is not None
    translations = list(data.translations.values())
    done_keys = {t.key_id for t in translations if t.content}
    return json_reply(
        {
            "locales_count": len(data.locales),
            "keys_count": len(data.keys),
            "translations_count": len(translations),
            "untranslated_keys_count": len(data.keys) - len(done_keys & set(data.keys)),
            "unverified_translations_count": sum(1 for t in translations if t.unverified),
            "reviewed_translations_count": sum(1 for t in translations if t.reviewed),
            "managed_words_count": sum(_words(t.content) for t in translations),
            "project": views.project_short(ctx.project),
        }
    )


def locale_reports(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/report/locales (filters `locale_codes`, `tag`; paged)."""
    data = project_data(ctx, ctx.params["project_id"])
    codes = {c for c in (ctx.q("locale_codes") or "").split(",") if c}
    locales = [lo for lo in data.locales.values() if not codes or lo.code in codes]
    key_ids = _tagged_keys(ctx, data)
    return paginate(ctx, locales, lambda lo: _locale_report(data, lo, key_ids))


def _links(ctx: Ctx) -> tuple[ProjectData, str, list[str]]:
    data = project_data(ctx, ctx.params["project_id"])
    if ctx.project is not None and data is not ctx.project.data:
        raise not_found()  # linked keys live on the main data only
    parent = ctx.params["id"]
    if parent not in data.keys:
        raise not_found()
    links = ctx.store.key_links.setdefault(ctx.params["project_id"], {})
    return data, parent, links.setdefault(parent, [])


def _link_view(ctx: Ctx, data: ProjectData, parent: str, children: list[str]) -> dict[str, Any]:
    user = views.user_preview(ctx.store.user)
    assert ctx.project is not None
    account = ctx.store.accounts.get(ctx.project.account_id)
    stamp = iso(data.keys[parent].updated)
    return {
        "created_at": stamp,
        "updated_at": stamp,
        "created_by": user,
        "updated_by": user,
        "account": views.account(account) if account is not None else None,
        "parent": views.key_preview(data.keys[parent]),
        "children": [views.key_preview(data.keys[c]) for c in children if c in data.keys],
    }


def _child_ids(ctx: Ctx, data: ProjectData, parent: str) -> list[str]:
    ids = str_list(ctx.json(), "child_key_ids", "KeyLink")
    if not ids:
        raise invalid("KeyLink", "child_key_ids", "can't be blank")
    if any(c not in data.keys or c == parent for c in ids):
        raise invalid("KeyLink", "child_key_ids", "is invalid")
    return ids


def show_links(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/keys/{id}/key_links."""
    data, parent, children = _links(ctx)
    return json_reply(_link_view(ctx, data, parent, children))


def create_links(ctx: Ctx) -> Reply:
    """POST /projects/{project_id}/keys/{id}/key_links: link children to the parent (201)."""
    data, parent, children = _links(ctx)
    children += [c for c in _child_ids(ctx, data, parent) if c not in children]
    data.keys[parent].updated = ctx.now
    wrote(ctx)
    return json_reply(_link_view(ctx, data, parent, children), 201)


def unlink_many(ctx: Ctx) -> Reply:
    """DELETE /projects/{project_id}/keys/{id}/key_links (JSON body `child_key_ids`)."""
    data, parent, children = _links(ctx)
    gone = set(_child_ids(ctx, data, parent))
    if opt_bool(ctx.json(), "unlink_parent", "KeyLink"):
        gone = set(children)
    children[:] = [c for c in children if c not in gone]
    data.keys[parent].updated = ctx.now
    wrote(ctx)
    return json_reply(_link_view(ctx, data, parent, children))


def unlink_one(ctx: Ctx) -> Reply:
    """DELETE /projects/{project_id}/keys/{id}/key_links/{child_key_id}: 200, no body."""
    children = _links(ctx)[2]
    if ctx.params["child_key_id"] not in children:
        raise not_found()
    children.remove(ctx.params["child_key_id"])
    wrote(ctx)
    return Reply(status=200, body=b"")


ROUTES: list[RouteSpec] = [
    ("GET", "/projects/{project_id}/report", project_report),
    ("GET", "/projects/{project_id}/report/locales", locale_reports),
    ("GET", "/projects/{project_id}/keys/{id}/key_links", show_links),
    ("POST", "/projects/{project_id}/keys/{id}/key_links", create_links),
    ("DELETE", "/projects/{project_id}/keys/{id}/key_links", unlink_many),
    ("DELETE", "/projects/{project_id}/keys/{id}/key_links/{child_key_id}", unlink_one),
]
