"""JSON shapes of the resources: short list forms and detailed show forms, named as in the spec."""

from __future__ import annotations

import hashlib
from typing import Any

from asyncdam.emulator.phrase.store import (
    Account,
    Branch,
    Job,
    Key,
    Locale,
    Project,
    ProjectData,
    Store,
    Tag,
    Translation,
    Upload,
    User,
)
from asyncdam.emulator.phrase.web import iso

PLURAL_FORMS = ["zero", "one", "other"]


def account(acc: Account) -> dict[str, Any]:
    """`account`."""
    return {
        "id": acc.id,
        "name": acc.name,
        "slug": acc.slug,
        "company": acc.company,
        "created_at": iso(acc.created),
        "updated_at": iso(acc.updated),
        "company_logo_url": None,
    }


def account_details(acc: Account) -> dict[str, Any]:
    """`account_details`."""
    out = account(acc)
    out["subscription"] = {"plan": "emulated"}
    out["roles"] = ["Owner"]
    return out


def user_preview(user: User) -> dict[str, Any]:
    """`user_preview`."""
    return {"id": user.id, "username": user.username, "name": user.name, "gravatar_uid": None}


def current_user(user: User) -> dict[str, Any]:
    """`current_user`."""
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "position": "Developer",
        "language": "en",
        "created_at": iso(user.created),
        "updated_at": iso(user.updated),
    }


def project(store: Store, proj: Project) -> dict[str, Any]:
    """`project` (list form, with the nested account)."""
    return {
        "id": proj.id,
        "name": proj.name,
        "slug": proj.slug,
        "main_format": proj.main_format,
        "project_image_url": None,
        "media": proj.settings.get("media"),
        "account": account(store.accounts[proj.account_id]),
        "space": None,
        "point_of_contact": user_preview(store.user),
        "created_at": iso(proj.created),
        "updated_at": iso(proj.updated),
    }


PROJECT_FLAGS = (
    "shares_translation_memory",
    "machine_translation_enabled",
    "zero_plural_form_enabled",
    "enable_all_data_type_translation_keys_for_translators",
    "enable_icu_message_format",
    "enable_branching",
    "protect_master_branch",
    "autotranslate_enabled",
    "autocomplete_job_enabled",
    "job_locking_enabled",
)


def project_details(store: Store, proj: Project) -> dict[str, Any]:
    """`project_details`."""
    out = project(store, proj)
    for flag in PROJECT_FLAGS:
        out[flag] = bool(proj.settings.get(flag, flag == "enable_branching"))
    out["default_encoding"] = proj.settings.get("default_encoding")
    out["cldr_version"] = proj.settings.get("cldr_version", "legacy")
    out["placeholder_styles"] = proj.settings.get("placeholder_styles", [])
    return out


def project_short(proj: Project) -> dict[str, Any]:
    """`project_short`."""
    return {
        "id": proj.id,
        "name": proj.name,
        "main_format": proj.main_format,
        "created_at": iso(proj.created),
        "updated_at": iso(proj.updated),
    }


def locale_preview(loc: Locale | None) -> dict[str, Any] | None:
    """`locale_preview`."""
    if loc is None:
        return None
    return {"id": loc.id, "name": loc.name, "code": loc.code}


def locale(data: ProjectData, loc: Locale) -> dict[str, Any]:
    """`locale`."""
    src = data.locales.get(loc.source_locale_id or "")
    fallback = data.locales.get(loc.fallback_locale_id or "")
    return {
        "id": loc.id,
        "name": loc.name,
        "code": loc.code,
        "default": loc.default,
        "main": loc.main,
        "rtl": loc.rtl,
        "plural_forms": ["one", "other"],
        "ordinal_plural_forms": ["one", "two", "few", "other"],
        "source_locale": locale_preview(src),
        "fallback_locale": locale_preview(fallback),
        "language_ai_profile": None,
        "created_at": iso(loc.created),
        "updated_at": iso(loc.updated),
    }


def locale_details(data: ProjectData, loc: Locale) -> dict[str, Any]:
    """`locale_details` with statistics counted from the data."""
    out = locale(data, loc)
    total = len(data.keys)
    translated = unverified = 0
    for key_id in data.keys:
        tr_id = data.by_key_locale.get((key_id, loc.id))
        if tr_id is None:
            continue
        tr = data.translations[tr_id]
        if tr.content:
            translated += 1
            unverified += tr.unverified
    out["statistics"] = {
        "keys_total_count": total,
        "translations_completed_count": translated,
        "translations_unverified_count": unverified,
        "keys_untranslated_count": total - translated,
    }
    return out


def key(k: Key) -> dict[str, Any]:
    """`translation_key` (list form)."""
    return {
        "id": k.id,
        "name": k.name,
        "description": k.description,
        "name_hash": k.id,
        "plural": k.plural,
        "use_ordinal_rules": False,
        "tags": list(k.tags),
        "data_type": k.data_type,
        "created_at": iso(k.created),
        "updated_at": iso(k.updated),
    }


def key_details(store: Store, k: Key) -> dict[str, Any]:
    """`translation_key_details`."""
    out = key(k)
    out.update(
        {
            "name_plural": k.name_plural,
            "comments_count": 0,
            "max_characters_allowed": k.max_characters_allowed,
            "screenshot_url": None,
            "unformatted": k.unformatted,
            "xml_space_preserve": False,
            "original_file": None,
            "format_value_type": None,
            "creator": user_preview(store.user),
            "custom_metadata": {},
        }
    )
    return out


def key_preview(k: Key | None) -> dict[str, Any] | None:
    """`key_preview`."""
    if k is None:
        return None
    return {"id": k.id, "name": k.name, "plural": k.plural, "use_ordinal_rules": False}


def translation(data: ProjectData, tr: Translation) -> dict[str, Any]:
    """`translation` (list form with key and locale previews)."""
    return {
        "id": tr.id,
        "content": tr.content,
        "unverified": tr.unverified,
        "excluded": tr.excluded,
        "plural_suffix": "",
        "key": key_preview(data.keys.get(tr.key_id)),
        "locale": locale_preview(data.locales.get(tr.locale_id)),
        "placeholders": [],
        "state": tr.state,
        "created_at": iso(tr.created),
        "updated_at": iso(tr.updated),
        "linked_translation": None,
    }


def translation_details(store: Store, data: ProjectData, tr: Translation) -> dict[str, Any]:
    """`translation_details`."""
    out = translation(data, tr)
    out["user"] = user_preview(store.user)
    out["word_count"] = len(tr.content.split())
    return out


def tag(t: Tag, count: int) -> dict[str, Any]:
    """`tag`."""
    return {
        "name": t.name,
        "keys_count": count,
        "system_tag": False,
        "created_at": iso(t.created),
        "updated_at": iso(t.updated),
    }


def tag_with_stats(data: ProjectData, t: Tag, count: int) -> dict[str, Any]:
    """`tag_with_stats`."""
    out = tag(t, count)
    out["statistics"] = [
        {"locale": locale_preview(loc), "statistics": {"keys_total_count": count}}
        for loc in data.locales.values()
    ]
    return out


def branch(store: Store, proj: Project, br: Branch) -> dict[str, Any]:
    """`branch`."""
    return {
        "base_project_id": proj.id,
        "branch_project_id": hashlib.md5(
            f"{proj.id}/{br.name}".encode(), usedforsecurity=False
        ).hexdigest(),
        "name": br.name,
        "base": None,
        "created_at": iso(br.created),
        "updated_at": iso(br.updated),
        "merged_at": iso(br.merged),
        "merged_by": user_preview(store.user) if br.merged else None,
        "created_by": user_preview(store.user),
        "state": br.state,
        "child_branches": [],
    }


def upload(store: Store, up: Upload) -> dict[str, Any]:
    """`upload`."""
    return {
        "id": up.id,
        "filename": up.filename,
        "format": up.format,
        "state": up.state,
        "tag": up.tags[0] if up.tags else None,
        "tags": list(up.tags),
        "url": None,
        "user": user_preview(store.user),
        "summary": dict(up.summary),
        "created_at": iso(up.created),
        "updated_at": iso(up.updated),
    }


def job(proj: Project, j: Job) -> dict[str, Any]:
    """`job` (list form)."""
    return {
        "id": j.id,
        "name": j.name,
        "briefing": j.briefing,
        "due_date": j.due_date,
        "state": j.state,
        "ticket_url": j.ticket_url,
        "project": project_short(proj),
        "branch": {"name": j.branch} if j.branch else None,
        "created_at": iso(j.created),
        "updated_at": iso(j.updated),
        "automation_id": None,
        "job_template_id": None,
        "review_due_date": None,
    }


def job_details(store: Store, proj: Project, data: ProjectData, j: Job) -> dict[str, Any]:
    """`job_details`."""
    out = job(proj, j)
    out.update(
        {
            "owner": user_preview(store.user),
            "job_tag_name": f"job-{j.id[:8]}",
            "source_translations_updated_at": None,
            "source_locale": locale_preview(data.locales.get(j.source_locale_id or "")),
            "locales": [locale_preview(data.locales.get(i)) for i in j.locale_ids],
            "keys": [key_preview(data.keys.get(i)) for i in j.key_ids if i in data.keys],
            "annotations": [],
            "locked": j.locked,
        }
    )
    return out
