"""Files: multipart upload (`file` parts + `_jsonBody`), content replacement, size downloads.

Size files live at `http_root` + `http_relative_path` and need no credentials, so none are sent:
on the API's own origin the engine sends them unauthenticated; on another origin (a storage host,
often an S3-style signed URL) `Engine.stream_external` fetches them, https only, with no
credential, cookie or API header on any hop.
"""

from __future__ import annotations

import builtins
import json
import mimetypes
import os
import re
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import anyio
import attrs
import httpx

from asyncdam.engine.checks import check_int
from asyncdam.engine.errors import (
    DecodeError,
    InvalidRequestError,
    ResponseTooLarge,
    TransportError,
)
from asyncdam.engine.request import Request, Response
from asyncdam.openasset.bulk import BulkItem, BulkResult, ItemError, check_batch_size, run_groups
from asyncdam.openasset.context import Context
from asyncdam.openasset.models import FieldValue, File, FileSize, Ref
from asyncdam.openasset.nested import Nested
from asyncdam.openasset.nouns import NounSpec
from asyncdam.openasset.resources import Resource, check_id
from asyncdam.openasset.writes import encode_body

ORIGINAL_SIZE = 1
UPLOAD_BATCH = 10
Content = bytes | str | os.PathLike[str] | IO[bytes]
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


@attrs.frozen(kw_only=True)
class Upload:
    """One file to upload: its name, its bytes (or a path / binary file), and its metadata."""

    filename: str
    content: Content = attrs.field(repr=False)
    category_id: int
    project_id: int | None = None
    fields: Mapping[str, Any] = attrs.field(factory=dict)

    def body(self, spec: NounSpec, what: str) -> dict[str, Any]:
        """The `_jsonBody` object: `original_filename` pairs it with its `file` part."""
        if not self.filename or "/" in self.filename or "\\" in self.filename:
            raise InvalidRequestError(f"{what}: filename must be a bare, non-empty file name")
        data = dict(self.fields)
        data.update(original_filename=self.filename, category_id=check_id(self.category_id))
        if self.project_id is not None:
            data["project_id"] = check_id(self.project_id)
        return encode_body(spec, data, with_id=False, what=what)


def _opened(content: Content) -> tuple[bytes | IO[bytes], IO[bytes] | None]:
    """The part body and the file this call opened (to close afterwards), if any."""
    if isinstance(content, bytes):
        return content, None
    if isinstance(content, str | os.PathLike):
        handle = open(content, "rb")
        return handle, handle
    if hasattr(content, "read"):
        return content, None
    raise InvalidRequestError("upload content must be bytes, a path or a binary file")


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def size_url(base: httpx.URL, entry: FileSize) -> httpx.URL:
    """The download URL of a size entry.

    `http_root` is protocol-relative (`//host/path`), absolute, a bare host, or (old servers) a
    path on the API host; the relative path may hold spaces, `#`, `?` or non-ASCII characters.
    """
    root = (entry.http_root or "").strip()
    rel = entry.http_relative_path if entry.http_relative_path else entry.relative_path
    if not rel:
        raise DecodeError(f"size {entry.id} has no relative path to download from")
    if root.startswith("//"):
        prefix = f"{base.scheme}:{root}"
    elif "://" in root:
        prefix = root
    elif root.startswith("/"):
        origin = base.copy_with(path="/", query=None, fragment=None)
        prefix = str(origin).rstrip("/") + root
    elif root:
        prefix = f"https://{root}"
    else:
        raise DecodeError(f"size {entry.id} has no http_root")
    path = _STRAY_PERCENT.sub("%25", rel.lstrip("/")).replace("?", "%3F").replace("#", "%23")
    url = httpx.URL(prefix.rstrip("/") + "/" + path)
    if url.scheme not in {"http", "https"} or not url.host:
        raise DecodeError(f"size {entry.id} has no usable URL")
    return url


def same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    """Same scheme, host and port."""
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


class Files(Resource[File]):
    """`oa.files`: the File noun plus uploads, replacement, downloads and nested lists."""

    def __init__(self, ctx: Context, spec: NounSpec) -> None:
        super().__init__(ctx, spec)
        self.keywords: Nested[Ref] = Nested(ctx, spec, spec.nested["Keywords"])
        self.fields: Nested[FieldValue] = Nested(ctx, spec, spec.nested["Fields"])
        self.sizes: Nested[FileSize] = Nested(ctx, spec, spec.nested["Sizes"])
        self.albums: Nested[Ref] = Nested(ctx, spec, spec.nested["Albums"])

    # -- uploads --------------------------------------------------------------------------------

    async def upload(
        self,
        content: Content,
        *,
        category_id: int,
        filename: str | None = None,
        project_id: int | None = None,
        low_priority: bool = False,
        **fields: Any,
    ) -> File:
        """Upload one file: `POST /REST/1/Files` (multipart: the file and its `_jsonBody`).

        `fields` are File fields (caption, keywords, ...) sent with it; `low_priority` sends
        `lowPriority=1`. Returns the new `File`; a failure raises the typed error. Required:
        `content`, `category_id`, and `filename` when `content` is not a path. A POST: not retried
        once sent, so it never runs twice.
        """
        if filename is None:
            if not isinstance(content, str | os.PathLike):
                raise InvalidRequestError("filename= is required when content is not a path")
            filename = Path(content).name
        item = Upload(
            filename=filename,
            content=content,
            category_id=category_id,
            project_id=project_id,
            fields=fields,
        )
        result = await self.upload_many([item], low_priority=low_priority)
        outcome = result.items[0]
        if outcome.error is not None:
            if outcome.error.exception is not None:
                raise outcome.error.exception
            raise _item_failure(outcome.error)
        assert outcome.value is not None
        return outcome.value

    async def upload_many(
        self,
        uploads: Iterable[Upload],
        *,
        batch_size: int = UPLOAD_BATCH,
        low_priority: bool = False,
    ) -> BulkResult[File]:
        """Upload many files: `POST /REST/1/Files` (multipart), `batch_size` files per request.

        Returns `BulkResult[File]`: one `BulkItem` per upload, in input order. Required: `uploads`.
        Each batch is a POST: not retried once sent, so it never runs twice.
        """
        self._allow("POST")
        items = list(uploads)
        bodies = [u.body(self.spec, f"upload {i}") for i, u in enumerate(items)]
        batches = _batches_without_duplicates(items, batch_size)
        await self._gate(write=True)
        query = [("lowPriority", "1")] if low_priority else []

        async def send(batch: builtins.list[int]) -> Response:
            opened: builtins.list[IO[bytes]] = []
            try:
                parts: builtins.list[tuple[str, Any]] = []
                for index in batch:
                    body, handle = _opened(items[index].content)
                    if handle is not None:
                        opened.append(handle)
                    name = items[index].filename
                    parts.append(("file", (name, body, _mime(name))))
                payload = json.dumps([bodies[i] for i in batch])
                request = Request(
                    method="POST",
                    path="Files",
                    query=query,
                    data={"_jsonBody": payload},
                    files=parts,
                )
                return await self._ctx.send(request)
            finally:
                for handle in opened:
                    handle.close()

        def read(batch: builtins.list[int], response: Response) -> builtins.list[BulkItem[File]]:
            found = self._read_objects(batch, response, 0)
            return [attrs.evolve(item, index=batch[item.index]) for item in found]

        return await run_groups(batches, send, read, concurrency=self._ctx.concurrency)

    async def replace_content(
        self, file_id: int, content: Content, *, filename: str | None = None
    ) -> File:
        """Replace a file's bytes: `PUT /REST/1/Files/{id}` (multipart); the name's extension must
        stay the same.

        Returns the updated `File`. Required: `file_id`, `content`, and `filename` when `content` is
        not a path. Not retried once sent: a streamed body cannot be resent safely.
        """
        ident = check_id(file_id)
        if filename is None:
            if not isinstance(content, str | os.PathLike):
                raise InvalidRequestError("filename= is required when content is not a path")
            filename = Path(content).name
        await self._gate(write=True)
        body, handle = _opened(content)
        try:
            request = Request(
                method="PUT",
                path="Files/{id}",
                path_params={"id": ident},
                data={"_jsonBody": json.dumps({"id": ident, "original_filename": filename})},
                files=[("file", (filename, body, _mime(filename)))],
                idempotent=False,  # a streamed file body cannot be resent safely
            )
            response = await self._ctx.send(request)
        finally:
            if handle is not None:
                handle.close()
        return self._finish(response, strict=False)

    # -- downloads ------------------------------------------------------------------------------

    async def size_entry(self, file_id: int, size: int | FileSize = ORIGINAL_SIZE) -> FileSize:
        """The generated size `size` (a Size id) of one file, from `GET /REST/1/Files/{id}/Sizes`.

        Returns `FileSize`; `NotFound` if that size was not generated. Required: `file_id`. A GET:
        retried after transport errors and retryable statuses (429, most 5xx).
        """
        if isinstance(size, FileSize):
            return size
        wanted = check_id(size, "size id")
        for entry in await self.sizes.all(file_id):
            if entry.id == wanted:
                return entry
        from asyncdam.engine.errors import NotFound

        raise NotFound(
            f"file {file_id} has no generated size {wanted}",
            status=404,
            method="GET",
            url=f"Files/{file_id}/Sizes",
        )

    async def iter_download(
        self, file_id: int, size: int | FileSize = ORIGINAL_SIZE, *, chunk_size: int = 65536
    ) -> AsyncIterator[bytes]:
        """The bytes of one size of a file, chunk by chunk: `GET` on the size's URL.

        Yields `bytes` of at most `chunk_size` each. No credentials are sent with the file URL.
        Required: `file_id`. The size lookup is a GET, retried as usual; on the API's origin the
        download goes through the engine (retried until the body starts), while a storage host
        elsewhere must be https and is fetched once, without retries, by `Engine.stream_external`
        (redirects may move it to another https host, at most `max_redirects` hops).
        """
        check_int("chunk_size", chunk_size)
        entry = await self.size_entry(file_id, size)
        url = size_url(self._ctx.dialect.base_url, entry)
        if same_origin(url, self._ctx.dialect.base_url):
            request = Request(
                method="GET",
                url=str(url),
                authenticated=False,
                cacheable=False,
                headers={"Accept": "*/*"},
            )
            async with self._ctx.client.stream(request) as streamed:
                async for chunk in streamed.aiter_bytes(chunk_size):
                    yield chunk
            return
        async for chunk in self._foreign(url, chunk_size):
            yield chunk

    async def _foreign(self, url: httpx.URL, chunk_size: int) -> AsyncIterator[bytes]:
        """A size file on a storage host: the engine's credential-free fetch (its pool, proxy,
        TLS and limits; https only; redirects per `Engine.stream_external`)."""
        async with self._ctx.client.engine.stream_external(str(url)) as streamed:
            if not 200 <= streamed.status < 300:  # a 3xx was followed or refused already
                try:
                    body = await streamed.read()  # bounded by max_response_bytes
                except (TransportError, ResponseTooLarge, DecodeError):
                    body = b""  # an error body cut short or unreadable: the status still decides
                failed = Response(
                    status=streamed.status,
                    headers=streamed.headers,
                    content=body,
                    method="GET",
                    url=streamed.url,
                )
                raise self._ctx.dialect.error_for(failed, 0.0)
            async for chunk in streamed.aiter_bytes(chunk_size):
                yield chunk

    async def download(self, file_id: int, size: int | FileSize = ORIGINAL_SIZE) -> bytes:
        """The bytes of one size of a file, held in memory (`GET` on the size's URL).

        Returns `bytes`, so bounded by the engine's `max_response_bytes`; for big files use
        `download_to`. Required: `file_id`. Retries as for `iter_download`.
        """
        limit = self._ctx.client.engine.limits.max_response_bytes
        chunks: list[bytes] = []
        total = 0
        async for chunk in self.iter_download(file_id, size):
            total += len(chunk)
            if total > limit:
                raise ResponseTooLarge(
                    f"file {file_id} is over the max_response_bytes limit of {limit} bytes; "
                    "use download_to",
                    limit=limit,
                    setting="max_response_bytes",
                )
            chunks.append(chunk)
        return b"".join(chunks)

    async def download_to(
        self,
        file_id: int,
        path: str | os.PathLike[str],
        size: int | FileSize = ORIGINAL_SIZE,
    ) -> int:
        """Stream one size of a file to `path` (`GET` on the size's URL).

        Returns the number of bytes written. The file appears at `path` only when complete (written
        to a `.part` file, then renamed). Required: `file_id`, `path`. Retries as for
        `iter_download`.
        """
        target = anyio.Path(path)
        partial = anyio.Path(str(path) + ".part")
        written = 0
        try:
            async with await anyio.open_file(partial, "wb") as out:
                async for chunk in self.iter_download(file_id, size):
                    await out.write(chunk)
                    written += len(chunk)
            await partial.replace(target)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await partial.unlink(missing_ok=True)
            raise
        return written


def _item_failure(error: ItemError) -> Exception:
    from asyncdam.engine.errors import error_class_for

    if error.status is None:
        return DecodeError(error.message)
    return error_class_for(error.status)(
        error.message, status=error.status, method="POST", url="Files"
    )


def _batches_without_duplicates(
    items: builtins.list[Upload], batch_size: int
) -> builtins.list[builtins.list[int]]:
    """Batches of input indexes; a filename appears once per batch (parts pair by filename)."""
    check_batch_size(batch_size)
    batches: builtins.list[builtins.list[int]] = []
    current: builtins.list[int] = []
    names: set[str] = set()
    for index, item in enumerate(items):
        if len(current) >= batch_size or item.filename in names:
            batches.append(current)
            current, names = [], set()
        current.append(index)
        names.add(item.filename)
    if current:
        batches.append(current)
    return batches
