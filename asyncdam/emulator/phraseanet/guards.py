"""Lookups with the server's permission answers: 404 when unknown, 401 envelope when not allowed."""

from __future__ import annotations

from asyncdam.emulator.phraseanet.context import Ctx
from asyncdam.emulator.phraseanet.envelope import ApiError
from asyncdam.emulator.phraseanet.store import Collection, Databox, Record

NOT_AUTHORIZED = "You are not authorized"


def databox(ctx: Ctx, databox_id: int, structure: bool = False) -> Databox:
    """A databox the user can reach (`structure` demands the structure right too)."""
    db = ctx.store.databoxes.get(databox_id)
    if db is None:
        raise ApiError(404, f"Databox `{databox_id}` not found")
    if not ctx.store.databox_accessible(databox_id) or (structure and not db.structure_right):
        raise ApiError(401, NOT_AUTHORIZED)
    return db


def collection(ctx: Ctx, base_id: int) -> Collection:
    """A collection the user has access to."""
    coll = ctx.store.collections.get(base_id)
    if coll is None:
        raise ApiError(404, f"Collection `{base_id}` not found")
    if not coll.access:
        raise ApiError(401, NOT_AUTHORIZED)
    return coll


def record(ctx: Ctx, databox_id: int, record_id: int, edit: bool = False) -> Record:
    """A record (or story) the user may read, or edit when `edit`."""
    databox(ctx, databox_id)
    rec = ctx.store.records.get((databox_id, record_id))
    if rec is None:
        raise ApiError(404, f"Record `{databox_id}_{record_id}` not found")
    coll = ctx.store.collections[rec.base_id]
    if not coll.access or (edit and not coll.can_edit):
        raise ApiError(401, NOT_AUTHORIZED)
    return rec


def story(ctx: Ctx, databox_id: int, story_id: int, edit: bool = False) -> Record:
    """A story the user may read (a plain record id answers 404)."""
    rec = record(ctx, databox_id, story_id, edit)
    if not rec.is_story:
        raise ApiError(404, f"Story `{databox_id}_{story_id}` not found")
    return rec
