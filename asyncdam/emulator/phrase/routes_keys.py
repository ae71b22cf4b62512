"""Routes for keys (list, search, CRUD, bulk by query, tag/untag) and tags."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from asyncdam.emulator.phrase import views
from asyncdam.emulator.phrase.router import RouteSpec
from asyncdam.emulator.phrase.store import Key, ProjectData, Tag, Translation
from asyncdam.emulator.phrase.web import (
    Ctx,
    Reply,
    invalid,
    json_reply,
    not_found,
    opt_bool,
    opt_str,
    paginate,
    project_data,
    req_str,
    str_list,
    wrote,
)

KeyTest = Callable[[Key], bool]
_SPLIT = re.compile(r"(?<!\\) ")


def _unescape(text: str) -> str:
    return re.sub(r"\\+(.)", r"\1", text)


def _name_has(word: str) -> KeyTest:
    return lambda k: word in k.name.lower()


def _in_set(attr: str, wanted: set[str]) -> KeyTest:
    if attr == "tags":
        return lambda k: bool(wanted.intersection(k.tags))
    return lambda k: getattr(k, attr) in wanted


def _translated(data: ProjectData, loc_id: str, want: bool) -> KeyTest:
    index, trs = data.by_key_locale, data.translations

    def test(k: Key) -> bool:
        tr_id = index.get((k.id, loc_id))
        return (tr_id is not None and bool(trs[tr_id].content)) == want

    return test


def _updated(op: str, limit: float) -> KeyTest:
    compare: dict[str, Callable[[float], bool]] = {
        ">=": lambda v: v >= limit,
        ">": lambda v: v > limit,
        "<=": lambda v: v <= limit,
        "<": lambda v: v < limit,
    }
    check = compare[op]
    return lambda k: check(k.updated)


def key_filter(data: ProjectData, q: str, locale_ref: str | None) -> KeyTest:
    """A predicate for the keys `q` syntax: ids:, name:, tags:, translated:, updated_at:, text."""
    tests: list[KeyTest] = []
    for token in _SPLIT.split(q.strip()):
        if not token:
            continue
        field, sep, value = token.partition(":")
        if sep and field == "ids":
            tests.append(_in_set("id", set(value.split(","))))
        elif sep and field == "name":
            tests.append(_in_set("name", {_unescape(v) for v in re.split(r"(?<!\\),", value)}))
        elif sep and field == "tags":
            tests.append(_in_set("tags", set(value.split(","))))
        elif sep and field == "translated":
            loc = data.locale(locale_ref) if locale_ref else None
            if loc is not None:
                tests.append(_translated(data, loc.id, value.lower() == "true"))
        elif sep and field == "updated_at":
            match = re.match(r"([<>]=?)(.+)", value)
            if match:
                try:
                    stamp = datetime.fromisoformat(match.group(2).replace("Z", "+00:00"))
                except ValueError:
                    continue
                tests.append(_updated(match.group(1), stamp.timestamp()))
        else:
            tests.append(_name_has(_unescape(token).lower()))
    if len(tests) == 1:
        return tests[0]
    return lambda k: all(test(k) for test in tests)


def _sorted(keys: list[Key], sort: str | None, order: str | None) -> list[Key]:
    if sort in ("name", "created_at", "updated_at"):
        attr = {"name": "name", "created_at": "created", "updated_at": "updated"}[sort]
        keys.sort(key=lambda k: getattr(k, attr), reverse=(order or "asc").lower() == "desc")
    return keys


def _select(ctx: Ctx, data: ProjectData, args: dict[str, Any]) -> list[Key]:
    q = opt_str(args, "q", "Key")
    keys = list(data.keys.values())
    if q:
        test = key_filter(data, q, opt_str(args, "locale_id", "Key"))
        keys = [k for k in keys if test(k)]
    return _sorted(keys, opt_str(args, "sort", "Key"), opt_str(args, "order", "Key"))


def list_keys(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/keys."""
    data = project_data(ctx, ctx.params["project_id"])
    return paginate(ctx, _select(ctx, data, dict(ctx.query)), views.key)


def search_keys(ctx: Ctx) -> Reply:
    """POST /projects/{project_id}/keys/search: filters in the body, paging in the query."""
    data = project_data(ctx, ctx.params["project_id"])
    return paginate(ctx, _select(ctx, data, ctx.json()), views.key, link=False)


def _key(data: ProjectData, key_id: str) -> Key:
    key = data.keys.get(key_id)
    if key is None:
        raise not_found()
    return key


def show_key(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/keys/{id}."""
    data = project_data(ctx, ctx.params["project_id"])
    return json_reply(views.key_details(ctx.store, _key(data, ctx.params["id"])))


def _apply_key(ctx: Ctx, data: ProjectData, key: Key, args: dict[str, Any]) -> None:
    name = opt_str(args, "name", "Key")
    if name is not None:
        if not name.strip():
            raise invalid("Key", "name", "can't be blank")
        other = data.key_names.get(name)
        if other is not None and other != key.id:
            raise invalid("Key", "name", "has already been taken")
    for field in ("description", "name_plural", "data_type"):
        value = opt_str(args, field, "Key")
        if value is not None:
            if field == "data_type" and value not in (
                "string", "number", "boolean", "array", "markdown"
            ):  # fmt: skip
                raise invalid("Key", "data_type", "is not included in the list")
            setattr(key, field, value)
    for flag in ("plural", "unformatted"):
        flag_value = opt_bool(args, flag, "Key")
        if flag_value is not None:
            setattr(key, flag, flag_value)
    if "max_characters_allowed" in args:
        value_i = args["max_characters_allowed"]
        if isinstance(value_i, str) and value_i.isdigit():
            value_i = int(value_i)
        if not isinstance(value_i, int) or isinstance(value_i, bool) or value_i < 0:
            raise invalid("Key", "max_characters_allowed", "is not a number")
        key.max_characters_allowed = value_i
    tags = str_list(args, "tags", "Key")
    if tags is not None:
        key.tags = sorted(set(tags))
        for tag in key.tags:
            data.tags.setdefault(tag, Tag(name=tag, created=ctx.now, updated=ctx.now))
    if name is not None and name != key.name:
        data.key_names.pop(key.name, None)
        key.name = name
        data.key_names[name] = key.id


def create_key(ctx: Ctx) -> Reply:
    """POST /projects/{project_id}/keys."""
    data = project_data(ctx, ctx.params["project_id"])
    args = ctx.json()
    key = Key(id=ctx.store.new_id(), name="", created=ctx.now, updated=ctx.now)
    name = req_str(args, "name", "Key")
    if name in data.key_names:
        raise invalid("Key", "name", "has already been taken")
    _apply_key(ctx, data, key, args)
    data.add_key(key)
    default = opt_str(args, "default_translation_content", "Key")
    if default:
        main = next((loc for loc in data.locales.values() if loc.default), None)
        if main is not None:
            data.add_translation(
                Translation(ctx.store.new_id(), key.id, main.id, default, ctx.now, ctx.now)
            )
    wrote(ctx)
    return json_reply(views.key_details(ctx.store, key), 201)


def update_key(ctx: Ctx) -> Reply:
    """PATCH /projects/{project_id}/keys/{id}."""
    data = project_data(ctx, ctx.params["project_id"])
    key = _key(data, ctx.params["id"])
    draft = attrs.evolve(key, tags=list(key.tags))
    _apply_key(ctx, data, draft, ctx.json())
    for field in ("name", "description", "name_plural", "data_type", "plural", "unformatted"):
        setattr(key, field, getattr(draft, field))
    key.tags, key.max_characters_allowed = draft.tags, draft.max_characters_allowed
    key.updated = ctx.now
    wrote(ctx)
    return json_reply(views.key_details(ctx.store, key))


def delete_key(ctx: Ctx) -> Reply:
    """DELETE /projects/{project_id}/keys/{id}."""
    data = project_data(ctx, ctx.params["project_id"])
    data.remove_key(_key(data, ctx.params["id"]).id)
    wrote(ctx)
    return Reply(status=204)


def delete_keys(ctx: Ctx) -> Reply:
    """DELETE /projects/{project_id}/keys: every key matching `q` (query string)."""
    data = project_data(ctx, ctx.params["project_id"])
    keys = _select(ctx, data, dict(ctx.query))
    for key in keys:
        data.remove_key(key.id)
    if keys:
        wrote(ctx)
    return json_reply({"records_affected": len(keys)})


def _retag(ctx: Ctx, add: bool) -> Reply:
    data = project_data(ctx, ctx.params["project_id"])
    args = ctx.args()
    tags = str_list(args, "tags", "Key")
    if not tags:
        raise invalid("Key", "tags", "can't be blank")
    keys = _select(ctx, data, args)
    changed = 0
    for key in keys:
        before = set(key.tags)
        after = before | set(tags) if add else before - set(tags)
        if after != before:
            key.tags, key.updated = sorted(after), ctx.now
            changed += 1
    if add:
        for tag in tags:
            data.tags.setdefault(tag, Tag(name=tag, created=ctx.now, updated=ctx.now))
    if changed:
        wrote(ctx)
    return json_reply({"records_affected": changed})


def _exclusion(excluded: bool) -> Callable[[Ctx], Reply]:
    def act(ctx: Ctx) -> Reply:
        data = project_data(ctx, ctx.params["project_id"])
        args = ctx.args()
        keys = _select(ctx, data, args)
        tags = set(str_list(args, "tags", "Key") or ())
        if tags:
            keys = [k for k in keys if tags & set(k.tags)]
        target = opt_str(args, "target_locale_id", "Key")
        locale = data.locale(target) if target else None
        if target and locale is None:
            raise invalid("Key", "target_locale_id", "is invalid")
        locale_ids = [locale.id] if locale is not None else list(data.locales)
        changed = 0
        for key in keys:
            hit = False
            for loc_id in locale_ids:
                tr_id = data.by_key_locale.get((key.id, loc_id))
                tr = data.translations.get(tr_id) if tr_id else None
                if tr is not None and tr.excluded != excluded:
                    tr.excluded, tr.updated, hit = excluded, ctx.now, True
            changed += hit
        if changed:
            wrote(ctx)
        return json_reply({"records_affected": changed})

    verb = "exclude" if excluded else "include"
    act.__doc__ = f"PATCH /projects/{{project_id}}/keys/{verb}: the matching keys' translations."
    return act


def tag_keys(ctx: Ctx) -> Reply:
    """PATCH /projects/{project_id}/keys/tag."""
    return _retag(ctx, True)


def untag_keys(ctx: Ctx) -> Reply:
    """PATCH /projects/{project_id}/keys/untag."""
    return _retag(ctx, False)


def _tag_counts(data: ProjectData) -> dict[str, int]:
    counts = dict.fromkeys(data.tags, 0)
    for key in data.keys.values():
        for tag in key.tags:
            if tag in counts:
                counts[tag] += 1
    return counts


def list_tags(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/tags."""
    data = project_data(ctx, ctx.params["project_id"])
    counts = _tag_counts(data)
    items = list(data.tags.values())
    text = (ctx.q("q") or "").lower()
    if text:
        items = [t for t in items if text in t.name.lower()]
    return paginate(ctx, items, lambda t: views.tag(t, counts[t.name]))


def show_tag(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/tags/{name}."""
    data = project_data(ctx, ctx.params["project_id"])
    tag = data.tags.get(ctx.params["name"])
    if tag is None:
        raise not_found()
    return json_reply(views.tag_with_stats(data, tag, _tag_counts(data)[tag.name]))


def create_tag(ctx: Ctx) -> Reply:
    """POST /projects/{project_id}/tags."""
    data = project_data(ctx, ctx.params["project_id"])
    name = req_str(ctx.json(), "name", "Tag")
    if name in data.tags:
        raise invalid("Tag", "name", "has already been taken")
    tag = Tag(name=name, created=ctx.now, updated=ctx.now)
    data.tags[name] = tag
    wrote(ctx)
    return json_reply(views.tag_with_stats(data, tag, 0), 201)


def delete_tag(ctx: Ctx) -> Reply:
    """DELETE /projects/{project_id}/tags/{name} (keys keep existing, lose the tag)."""
    data = project_data(ctx, ctx.params["project_id"])
    name = ctx.params["name"]
    if data.tags.pop(name, None) is None:
        raise not_found()
    for key in data.keys.values():
        if name in key.tags:
            key.tags.remove(name)
    wrote(ctx)
    return Reply(status=204)


ROUTES: list[RouteSpec] = [
    ("GET", "/projects/{project_id}/keys", list_keys),
    ("POST", "/projects/{project_id}/keys", create_key),
    ("DELETE", "/projects/{project_id}/keys", delete_keys),
    ("POST", "/projects/{project_id}/keys/search", search_keys),
    ("PATCH", "/projects/{project_id}/keys/tag", tag_keys),
    ("PATCH", "/projects/{project_id}/keys/untag", untag_keys),
    ("PATCH", "/projects/{project_id}/keys/exclude", _exclusion(True)),
    ("PATCH", "/projects/{project_id}/keys/include", _exclusion(False)),
    ("GET", "/projects/{project_id}/keys/{id}", show_key),
    ("PATCH", "/projects/{project_id}/keys/{id}", update_key),
    ("DELETE", "/projects/{project_id}/keys/{id}", delete_key),
    ("GET", "/projects/{project_id}/tags", list_tags),
    ("POST", "/projects/{project_id}/tags", create_tag),
    ("GET", "/projects/{project_id}/tags/{name}", show_tag),
    ("DELETE", "/projects/{project_id}/tags/{name}", delete_tag),
]
