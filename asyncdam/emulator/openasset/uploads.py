"""Multipart uploads (`_jsonBody` + `file` parts), content replacement, and size-file downloads."""

from __future__ import annotations

import json
import mimetypes
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from asyncdam.emulator.openasset.coerce import default_row, parse_body
from asyncdam.emulator.openasset.errors import ApiError, error_entry, html_page
from asyncdam.emulator.openasset.render import Ctx, json_response
from asyncdam.emulator.openasset.schema import NOUNS
from asyncdam.emulator.openasset.seed import ORIGINAL_SIZE_ID, now_dt, size_entry
from asyncdam.emulator.openasset.store import Record, Store, md5_hex, seeded_bytes
from asyncdam.emulator.openasset.writes import apply_lists, check_refs, ignored_header

FILES = NOUNS["Files"]


async def read_multipart(request: Request) -> tuple[Any, list[tuple[str, bytes]]]:
    """The decoded `_jsonBody` (None when absent) and every `file` part as (filename, bytes)."""
    form = await request.form()
    body: Any = None
    raw = form.get("_jsonBody")
    if isinstance(raw, UploadFile):
        raw = (await raw.read()).decode("utf-8", "replace")
    if raw:
        try:
            body = json.loads(raw)
        except ValueError:
            raise ApiError(400, "Invalid JSON in _jsonBody") from None
    files: list[tuple[str, bytes]] = []
    for key, value in form.multi_items():
        if key == "file" and isinstance(value, UploadFile):
            files.append((value.filename or "", await value.read()))
    return body, files


def _ext(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def _store_content(store: Store, file: Record, data: bytes) -> None:
    """Keep the bytes and (re)generate the original plus every always-created size."""
    store.contents[file["id"]] = data
    entries = store.link("Files", "Sizes", file["id"])
    entries.clear()
    for size in store.table("Sizes").values():
        if size["id"] == ORIGINAL_SIZE_ID:
            entries.append(size_entry(file, size, len(data)))
        elif size["always_create"] and size["alive"]:
            entries.append(size_entry(file, size, max(16, len(data) // 4)))


def _create_uploaded(item: Any, parts: dict[str, bytes], ctx: Ctx, ignored: list[str]) -> Record:
    if not isinstance(item, dict):
        raise ApiError(400, "Expected a JSON object")
    name = str(item.get("original_filename", ""))
    if not name:
        raise ApiError(400, "Missing required field original_filename")
    if "category_id" not in item:
        raise ApiError(400, "Missing required field category_id")
    if name not in parts:
        raise ApiError(400, f"No file uploaded for {name}")
    data = parts[name]
    # Files cannot be created from JSON alone; build the row from an empty shape and fields.
    parsed = parse_body(FILES, item, creating=True)
    check_refs(FILES, parsed.values, ctx, None)
    row = default_row(FILES)
    row.update(parsed.values)
    stamp = now_dt()
    row.update(
        filename=name,
        original_filename=name,
        md5_at_upload=md5_hex(data),
        md5_now=md5_hex(data),
        created=stamp,
        uploaded=stamp,
        updated=stamp,
        user_id=ctx.caller.user_id,
    )
    created = ctx.store.insert("Files", row)
    _store_content(ctx.store, created, data)
    apply_lists("Files", created["id"], parsed.lists, ctx)
    ignored.extend(k for k in parsed.ignored if k not in ignored)
    ctx.stats.uploads += 1
    return created


async def upload(request: Request, ctx: Ctx, render: Any) -> Response:
    """POST /Files as multipart: one created File per JSON object, matched by filename."""
    body, files = await read_multipart(request)
    if body is None:
        raise ApiError(400, "No JSON body provided for POST request")
    parts = dict(files)
    ignored: list[str] = []
    if isinstance(body, list):
        out: list[Any] = []
        for item in body:
            try:
                out.append(render(_create_uploaded(item, parts, ctx, ignored)))
            except ApiError as exc:
                out.append(error_entry(exc.status, exc.message))
        return json_response(out, ctx, 200, ignored_header(ignored))
    row = _create_uploaded(body, parts, ctx, ignored)
    return json_response(render(row), ctx, 201, ignored_header(ignored))


async def replace(request: Request, ctx: Ctx, file_id: int | None, render: Any) -> Response:
    """PUT /Files/{id} (or /Files with an id in `_jsonBody`) as multipart: new content."""
    body, files = await read_multipart(request)
    item = body[0] if isinstance(body, list) and body else body
    if file_id is None:
        if not isinstance(item, dict) or "id" not in item:
            raise ApiError(400, "An id is required to replace a file")
        file_id = int(item["id"])
    row = ctx.store.get("Files", file_id)
    if row is None:
        raise ApiError(404, "Requested object not found")
    if len(files) != 1:
        raise ApiError(400, "Exactly one file part is required to replace a file")
    name, data = files[0]
    if isinstance(item, dict) and item.get("original_filename", name) != name:
        raise ApiError(400, "original_filename does not match the uploaded file name")
    if _ext(name) != _ext(str(row["original_filename"])):
        raise ApiError(400, "The replacement file must have the same extension as the original")
    stamp = now_dt()
    row.update(
        original_filename=name,
        md5_now=md5_hex(data),
        replaced=stamp,
        replaced_user_id=ctx.caller.user_id,
        updated=stamp,
    )
    _store_content(ctx.store, row, data)
    ctx.stats.uploads += 1
    rendered = render(row)
    return json_response([rendered] if isinstance(body, list) else rendered, ctx, 200)


def download(request: Request) -> Response:
    """GET/HEAD of a size file under /storage/: no credentials, HEAD gives Content-Length."""
    state = request.app.state
    store: Store = state.store
    params = request.path_params
    file_id, size_id = int(params["file_id"]), int(params["size_id"])
    file = store.get("Files", file_id)
    entry = None
    if file is not None:
        entry = next((e for e in store.link("Files", "Sizes", file_id) if e["id"] == size_id), None)
    expected = f"{file_id}/{size_id}/{params['name']}"
    if file is None or entry is None or entry["relative_path"] != expected:
        return Response(html_page(403, "Access Denied"), 403, media_type="text/html")
    if size_id == ORIGINAL_SIZE_ID and state.settings.refuse_original:
        return Response(html_page(403, "Access Denied"), 403, media_type="text/html")
    content = store.contents.get(file_id) if size_id == ORIGINAL_SIZE_ID else None
    if content is None:
        content = seeded_bytes(file_id, size_id, int(entry["filesize"]))
    state.stats.downloads += 1
    media = mimetypes.guess_type(str(params["name"]))[0] or "application/octet-stream"
    headers = {"content-length": str(len(content))}
    body = b"" if request.method == "HEAD" else content
    return Response(body, 200, headers, media)
