"""Background work the real service does asynchronously: uploads, async downloads, branches.

Nothing runs in the background here: each piece of work completes lazily, once it has been polled
`app.state.async_polls` times or `app.state.async_delay` seconds have passed, whichever is first.
"""

from __future__ import annotations

from asyncdam.emulator.phrase.context import Ctx
from asyncdam.emulator.phrase.store import (
    Branch,
    Download,
    Key,
    ProjectData,
    Tag,
    Translation,
    Upload,
)


def due(ctx: Ctx, created: float, polls: int) -> bool:
    """Whether work started at `created` and polled `polls` times is finished by now."""
    limit_polls = int(getattr(ctx.state, "async_polls", 1))
    delay = float(getattr(ctx.state, "async_delay", 0.5))
    return polls > limit_polls or ctx.now - created >= delay


def settle_uploads(ctx: Ctx, data: ProjectData) -> None:
    """Finish every upload of `data` whose time has come (their data becomes visible)."""
    for up in data.uploads.values():
        if up.state in ("initialized", "processing") and due(ctx, up.created, up.polls):
            apply_upload(ctx, data, up)


def apply_upload(ctx: Ctx, data: ProjectData, up: Upload) -> None:
    """Merge an upload's entries into the data and fill its summary."""
    summary = {
        "locales_created": 0,
        "translation_keys_created": 0,
        "translation_keys_updated": 0,
        "translation_keys_unmentioned": 0,
        "translations_created": 0,
        "translations_updated": 0,
        "tags_created": 0,
        "translation_keys_ignored": 0,
        "processed_translations": 0,
        "upload_total_translations": len(up.entries),
    }
    now = ctx.now
    store = ctx.store
    for tag in up.tags:
        if tag not in data.tags:
            data.tags[tag] = Tag(name=tag, created=now, updated=now)
            summary["tags_created"] += 1
    for name, content in up.entries.items():
        key_id = data.key_names.get(name)
        if key_id is None:
            key = Key(id=store.new_id(), name=name, created=now, updated=now, tags=list(up.tags))
            data.add_key(key)
            key_id = key.id
            summary["translation_keys_created"] += 1
        else:
            key = data.keys[key_id]
            new_tags = [t for t in up.tags if t not in key.tags]
            if new_tags:
                key.tags.extend(new_tags)
                key.updated = now
                summary["translation_keys_updated"] += 1
        tr_id = data.by_key_locale.get((key_id, up.locale_id))
        if tr_id is None:
            data.add_translation(
                Translation(
                    id=store.new_id(),
                    key_id=key_id,
                    locale_id=up.locale_id,
                    content=content,
                    created=now,
                    updated=now,
                )
            )
            summary["translations_created"] += 1
        elif up.update_translations and data.translations[tr_id].content != content:
            tr = data.translations[tr_id]
            tr.content = content
            tr.updated = now
            summary["translations_updated"] += 1
        summary["processed_translations"] += 1
    summary["translation_keys_unmentioned"] = sum(
        1 for name in data.key_names if name not in up.entries
    )
    up.summary = summary
    up.state = "success"
    up.updated = now
    data.touch(now)
    if ctx.project is not None:
        ctx.project.updated = now
        if ctx.project.data is not data:
            ctx.project.data.touch(now)
    store.touch(now)


def advance_download(ctx: Ctx, dl: Download, render: bool) -> None:
    """Complete an async download when due; `render` builds its file (done once)."""
    if dl.status == "processing" and due(ctx, dl.created, dl.polls) and render:
        dl.status = "completed"
        dl.completed = ctx.now


def advance_branch(ctx: Ctx, br: Branch) -> None:
    """Move a branch from its transient state to the next one when due."""
    if br.state in ("creating_branch", "initialized") and due(ctx, br.created, br.polls):
        br.state = "success"
    elif br.state == "merging_branch" and due(ctx, br.updated, br.polls):
        br.state = "merged"
