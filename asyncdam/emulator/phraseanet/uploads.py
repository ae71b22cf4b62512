"""Uploads: v1 `records/add/` (record or quarantine), v3 record creation, quarantine accept."""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

from starlette.datastructures import UploadFile

from asyncdam.emulator.phraseanet import guards
from asyncdam.emulator.phraseanet.context import Ctx
from asyncdam.emulator.phraseanet.envelope import ApiError
from asyncdam.emulator.phraseanet.media import SUBDEFS
from asyncdam.emulator.phraseanet.params import get_str
from asyncdam.emulator.phraseanet.patch import apply_patch
from asyncdam.emulator.phraseanet.seed import add_meta
from asyncdam.emulator.phraseanet.store import Collection, QuarantineItem, Record

_MIMES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
_MIMES |= {"mp4": "video/mp4", "txt": "text/plain", "mp3": "audio/mpeg"}


def new_record(ctx: Ctx, coll: Collection, name: str, sha: str, data: bytes) -> Record:
    """Create a record in a collection from file name and content."""
    now = int(time.time())
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    mime = _MIMES.get(ext, "application/octet-stream")
    kind = mime.split("/")[0] if mime.split("/")[0] in ("image", "video", "audio") else "document"
    rid = ctx.store.new_record_id(coll.databox_id)
    rec = Record(
        databox_id=coll.databox_id,
        record_id=rid,
        base_id=coll.base_id,
        title=name,
        original_name=name,
        mime_type=mime,
        phrasea_type=kind,
        created_on=now,
        updated_on=now,
        sha256=sha or hashlib.sha256(data).hexdigest(),
        uuid=str(uuid.uuid4()),
    )
    add_meta(ctx.store, rec, 1, name)
    ctx.store.records[rec.key] = rec
    if data:
        ctx.store.uploads[rec.key] = data
    return rec


def parse_status(raw: str | None) -> int:
    """The `status` field: binary when only 0/1 digits (optional 0b), 0x hex, else decimal."""
    if raw is None or raw == "":
        return 0
    text = raw.strip().lower()
    try:
        if text.startswith("0b"):
            return int(text[2:], 2)
        if text.startswith("0x"):
            return int(text[2:], 16)
        if set(text) <= {"0", "1"}:
            return int(text, 2)
        return int(text, 10)
    except ValueError as exc:
        raise ApiError(500, "Invalid status") from exc


async def _one_file(ctx: Ctx) -> UploadFile:
    files = ctx.files.get("file", [])
    if len(files) != 1:
        raise ApiError(400, "Missing file parameter" if not files else "Only one file is allowed")
    return files[0]


def _add_collection(ctx: Ctx, raw: str | None) -> Collection:
    if raw is None or not raw.isdigit():
        raise ApiError(400, "Missing base_id parameter")
    coll = ctx.store.collections.get(int(raw))
    if coll is None:
        raise ApiError(404, f"Collection `{raw}` not found")
    if not coll.access or not coll.can_add:
        raise ApiError(403, "You do not have access to this collection")
    return coll


def _duplicate_checks(ctx: Ctx, coll: Collection, name: str, sha: str) -> list[str]:
    checks = []
    for rec in ctx.store.records.values():
        if rec.base_id != coll.base_id:
            continue
        if rec.sha256 == sha:
            checks.append("A file with the same checksum already exists in the collection")
            break
        if rec.original_name == name:
            checks.append("A file with the same filename already exists in the collection")
            break
    return checks


async def ingest(ctx: Ctx, coll: Collection, upload: UploadFile, force: str | None) -> str:
    """Store an upload as a record or a quarantine item; return the relative URL."""
    data = await upload.read()
    name = upload.filename or "upload.bin"
    sha = hashlib.sha256(data).hexdigest()
    checks = [] if force == "0" else _duplicate_checks(ctx, coll, name, sha)
    if force == "1" or checks:
        qid = ctx.store.next_quarantine_id
        ctx.store.next_quarantine_id += 1
        ctx.store.quarantine[qid] = QuarantineItem(
            id=qid,
            session_id=100 + ctx.store.user.id,
            usr_id=ctx.store.user.id,
            base_id=coll.base_id,
            original_name=name,
            sha256=sha,
            uuid=str(uuid.uuid4()),
            forced=force == "1",
            checks=checks,
            created_on=int(time.time()),
            data=data,
        )
        return f"/quarantine/item/{qid}/"
    rec = new_record(ctx, coll, name, sha, data)
    rec.has_subdefs = not ctx.extra.get("nosubdefs", False)
    rec.status = ctx.extra.get("status", 0)
    return f"/records/{rec.databox_id}/{rec.record_id}/"


async def records_add(ctx: Ctx) -> Any:
    """POST /api/v1/records/add/ (multipart)."""
    params = ctx.params
    if "url" in params and not ctx.files.get("file"):
        raise ApiError(400, "Unable to download the file at the given url")
    upload = await _one_file(ctx)
    coll = _add_collection(ctx, get_str(params, "base_id"))
    force = get_str(params, "forceBehavior")
    if force is not None and force not in ("0", "1"):
        raise ApiError(400, "Invalid forceBehavior value")
    ctx.extra["status"] = parse_status(get_str(params, "status"))
    nosub = get_str(params, "nosubdefs")
    ctx.extra["nosubdefs"] = nosub is not None and nosub.lower() in ("", "1", "yes", "true", "on")
    url = await ingest(ctx, coll, upload, force)
    entity = "1" if url.startswith("/quarantine/") else "0"
    return {"entity": entity, "url": url}


async def quarantine_accept(ctx: Ctx) -> Any:
    """POST /api/v2/quarantine/item/{id}/add/: turn the item into a record."""
    item = quarantine_item(ctx, ctx.int_param("id"))
    coll = ctx.store.collections[item.base_id]
    rec = new_record(ctx, coll, item.original_name, item.sha256, item.data)
    del ctx.store.quarantine[item.id]
    return {"success": True, "message": "", "result": {"record_id": rec.record_id}}


def quarantine_item(ctx: Ctx, qid: int) -> QuarantineItem:
    """A quarantine item of the user's own upload sessions (others' answer 403)."""
    item = ctx.store.quarantine.get(qid)
    if item is None:
        raise ApiError(404, f"Quarantine item `{qid}` not found")
    if item.usr_id != ctx.store.user.id:
        raise ApiError(403, "You do not have access to this quarantine item")
    return item


async def record_create_v3(ctx: Ctx) -> Any:
    """POST /api/v3/records/{base_id}/: a record from a file (or an empty one) plus a JSON body."""
    coll = _add_collection(ctx, ctx.path_params["base_id"])
    files = ctx.files.get("file", [])
    body = ctx.json_body()
    if body is not None and not isinstance(body, dict):
        raise ApiError(400, "JSON schema validation failed: body must be an object")
    if files:
        url = await ingest(ctx, coll, files[0], None)
        rec = _rec_from_url(ctx, url)
        if rec is not None and body:
            _apply_title(ctx, rec, body)
        return {"entity": None, "url": url}
    rec = new_record(ctx, coll, "untitled", "", b"")
    rec.has_subdefs = False
    if body:
        _apply_title(ctx, rec, body)
    return {"url": f"/records/{rec.databox_id}/{rec.record_id}/"}


def _rec_from_url(ctx: Ctx, url: str) -> Record | None:
    parts = url.strip("/").split("/")
    if parts[0] != "records":
        return None
    return ctx.store.records.get((int(parts[1]), int(parts[2])))


def _apply_title(ctx: Ctx, rec: Record, body: dict[str, Any]) -> None:
    apply_patch(ctx, rec, body)


async def substitute(ctx: Ctx) -> Any:
    """POST /api/v1/embed/substitute/ (multipart `file`, `databox_id`, `record_id`, `name`,
    `adapt`): replace one subdef's file; answers the new subdef plus `adapt`."""
    upload = await _one_file(ctx)
    params = ctx.params
    ids = [get_str(params, k) for k in ("databox_id", "record_id")]
    if not all(v is not None and v.isdigit() for v in ids):
        raise ApiError(400, "Missing databox_id or record_id parameter")
    d, r = (int(v or 0) for v in ids)
    rec = guards.record(ctx, d, r, edit=True)
    name = get_str(params, "name") or ""
    if name not in SUBDEFS or (rec.is_story and name != "thumbnail"):
        raise ApiError(400, f"Unknown subdef `{name}`")
    adapt = (get_str(params, "adapt") or "").lower() in ("1", "yes", "true", "on")
    ctx.store.substituted[(d, r, name)] = await upload.read()
    rec.has_subdefs = True
    rec.updated_on = int(time.time())
    return {**ctx.view.subdef(rec, name), "adapt": adapt}
