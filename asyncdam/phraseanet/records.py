"""`pn.records`: search, read, edit, move, delete and upload records (v1, plus v2/v3 additions)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import IO, Any, Literal

from asyncdam.engine.errors import InvalidRequestError
from asyncdam.engine.request import Files
from asyncdam.phraseanet import models as m
from asyncdam.phraseanet.converter import structure
from asyncdam.phraseanet.params import (
    checked,
    form,
    opt_bool01,
    opt_int,
    opt_str,
    req_id,
    req_str,
    str_list,
)
from asyncdam.phraseanet.record_search import RecordSearch
from asyncdam.phraseanet.search import (
    _status,
)

__all__ = ["FileInput", "Records"]

R = "v1/records/{databox_id}/{record_id}/"
FileInput = bytes | IO[bytes] | tuple[str, bytes | IO[bytes]] | tuple[str, bytes | IO[bytes], str]
DateLike = dt.date | str | None


def file_part(file: object, name: str = "file") -> Files:
    """A multipart `file` part from bytes, a binary file object or `(filename, content[, type])`."""
    if isinstance(file, bytes):
        return [(name, ("upload.bin", file))]
    if isinstance(file, tuple) and len(file) in (2, 3) and isinstance(file[0], str):
        if not isinstance(file[1], bytes) and not hasattr(file[1], "read"):
            raise InvalidRequestError(f"{name}: content must be bytes or a binary file")
        return [(name, file)]
    if hasattr(file, "read"):
        filename = str(getattr(file, "name", "upload.bin")).replace("\\", "/").rsplit("/", 1)[-1]
        return [(name, (filename, file))]
    raise InvalidRequestError(f"{name} must be bytes, a binary file or (filename, content)")


def _metadata_updates(value: object) -> list[dict[str, str | int]]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or not value:
        raise InvalidRequestError("metadatas must be a non-empty list of mappings")
    out = []
    for n, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise InvalidRequestError(f"metadatas[{n}] must be a mapping")
        unknown = set(item) - {"meta_struct_id", "meta_id", "value"}
        if unknown:
            raise InvalidRequestError(f"metadatas[{n}]: unknown keys {sorted(unknown)}")
        meta_id = item.get("meta_id")
        out.append(
            {
                "meta_struct_id": req_id(
                    item.get("meta_struct_id"), f"metadatas[{n}].meta_struct_id"
                ),
                # An empty meta_id adds a value; an empty value deletes the one named by meta_id.
                # `meta_id: ""` is the documented spelling of "add"; None and absent mean the same.
                "meta_id": ""
                if meta_id is None or meta_id == ""
                else req_id(meta_id, f"metadatas[{n}].meta_id"),
                "value": req_str(item.get("value", ""), f"metadatas[{n}].value", allow_empty=True),
            }
        )
    return out


def _ids(databox_id: object, record_id: object) -> dict[str, int]:
    return {
        "databox_id": req_id(databox_id, "databox_id"),
        "record_id": req_id(record_id, "record_id"),
    }


class Records(RecordSearch):
    """Records: `search()` pages through every hit; the rest address `(databox_id, record_id)`."""

    # -- one record -------------------------------------------------------------------------

    @checked
    async def get(
        self,
        databox_id: int,
        record_id: int,
        *,
        subdef_url_ttl: int | None = None,
        extended: bool = False,
    ) -> m.Record:
        """One record: `GET /api/v1/records/{databox_id}/{record_id}/`.

        Returns `Record`; `extended=True` adds subdefs, metadata, status and caption in the same
        answer. Required: `databox_id`, `record_id`. One request, no paging. A GET: retried after
        transport errors and retryable statuses (429, most 5xx).
        """
        ttl = opt_int(subdef_url_ttl, "subdef_url_ttl", low=-1)
        query = [("subdef_url_ttl", str(ttl))] if ttl is not None else None
        request = self._request(
            "GET", R, _ids(databox_id, record_id), query=query, extended=extended
        )
        return await self._one(request, "record", m.Record)

    @checked
    async def get_v3(
        self, databox_id: int, record_id: int, *, include: Sequence[str] | None = None
    ) -> m.Record:
        """One record (stories too) in the v3 shape: `GET
        /api/v3/records/{databox_id}/{record_id}/`.

        Returns `Record` (the whole `response` is the record). Required: `databox_id`, `record_id`.
        One request, no paging. A GET: retried after transport errors and retryable statuses (429,
        most 5xx).
        """
        query = form({"include": str_list(include, "include")})
        request = self._request(
            "GET", "v3/records/{databox_id}/{record_id}/", _ids(databox_id, record_id), query=query
        )
        body = await self._payload(request)
        return structure(self._absolute(body), m.Record, what="record")

    @checked
    async def caption(self, databox_id: int, record_id: int) -> list[m.CaptionField]:
        """A record's caption: `GET /api/v1/records/{databox_id}/{record_id}/caption/`.

        Returns `list[CaptionField]` (multiple values joined with ' ; '). Required: `databox_id`,
        `record_id`. One request, no paging. A GET: retried after transport errors and retryable
        statuses (429, most 5xx).
        """
        request = self._request("GET", R + "caption/", _ids(databox_id, record_id))
        return await self._many(request, "caption_metadatas", m.CaptionField)

    @checked
    async def metadatas(self, databox_id: int, record_id: int) -> list[m.RecordMetadata]:
        """A record's metadata values: `GET /api/v1/records/{databox_id}/{record_id}/metadatas/`.

        Returns `list[RecordMetadata]`, one entry per value with its `meta_id` for editing.
        Required: `databox_id`, `record_id`. One request, no paging. A GET: retried after transport
        errors and retryable statuses (429, most 5xx).
        """
        request = self._request("GET", R + "metadatas/", _ids(databox_id, record_id))
        return await self._many(request, "record_metadatas", m.RecordMetadata)

    @checked
    async def status(self, databox_id: int, record_id: int) -> list[m.StatusBit]:
        """A record's status bits: `GET /api/v1/records/{databox_id}/{record_id}/status/`.

        Returns `list[StatusBit]`, the state of each bit the databox defines. Required:
        `databox_id`, `record_id`. One request, no paging. A GET: retried after transport errors and
        retryable statuses (429, most 5xx).
        """
        request = self._request("GET", R + "status/", _ids(databox_id, record_id))
        return await self._many(request, "status", m.StatusBit)

    @checked
    async def related(self, databox_id: int, record_id: int) -> m.Related:
        """The baskets and stories holding a record: `GET
        /api/v1/records/{databox_id}/{record_id}/related/`.

        Returns `Related`. Required: `databox_id`, `record_id`. One request, no paging. A GET:
        retried after transport errors and retryable statuses (429, most 5xx).
        """
        request = self._request("GET", R + "related/", _ids(databox_id, record_id))
        return structure(self._absolute(await self._payload(request)), m.Related, what="related")

    @checked
    async def embed(
        self,
        databox_id: int,
        record_id: int,
        *,
        devices: Sequence[str] | None = None,
        mimes: Sequence[str] | None = None,
    ) -> list[m.Subdef]:
        """The subdefs of a record the user may see: `GET
        /api/v1/records/{databox_id}/{record_id}/embed/`.

        Returns `list[Subdef]`, optionally filtered by `devices` and `mimes`. Required:
        `databox_id`, `record_id`. One request, no paging. A GET: retried after transport errors and
        retryable statuses (429, most 5xx).
        """
        query = form({"devices": str_list(devices, "devices"), "mimes": str_list(mimes, "mimes")})
        request = self._request("GET", R + "embed/", _ids(databox_id, record_id), query=query)
        return await self._many(request, "embed", m.Subdef)

    @checked
    async def set_metadatas(
        self, databox_id: int, record_id: int, metadatas: Sequence[Mapping[str, object]]
    ) -> list[m.RecordMetadata]:
        """Edit a record's metadata: `POST /api/v1/records/{databox_id}/{record_id}/setmetadatas/`.

        Items are `{meta_struct_id, meta_id?, value}`: no `meta_id` (or `meta_id: ""`) adds a value;
        an empty `value` with a `meta_id` deletes that value. Returns the record's
        `list[RecordMetadata]` after the edit. Required: `databox_id`, `record_id`, `metadatas`
        (non-empty). A POST: not retried once sent, so it never runs twice.
        """
        data = form({"metadatas": _metadata_updates(metadatas)})
        request = self._request("POST", R + "setmetadatas/", _ids(databox_id, record_id), data=data)
        return await self._many(request, "record_metadatas", m.RecordMetadata)

    @checked
    async def set_status(
        self, databox_id: int, record_id: int, status: Mapping[int, bool]
    ) -> list[m.StatusBit]:
        """Set a record's status bits: `POST /api/v1/records/{databox_id}/{record_id}/setstatus/`.

        `status` maps bits 4-31 the databox defines to True/False. Returns `list[StatusBit]` after
        the change. Required: `databox_id`, `record_id`, `status` (at least one bit). A POST: not
        retried once sent, so it never runs twice.
        """
        bits = _status(status)
        if not bits:
            raise InvalidRequestError("status must name at least one bit")
        request = self._request(
            "POST", R + "setstatus/", _ids(databox_id, record_id), data=form({"status": bits})
        )
        return await self._many(request, "status", m.StatusBit)

    @checked
    async def set_collection(self, databox_id: int, record_id: int, base_id: int) -> m.Record:
        """Move a record to collection `base_id`: `POST
        /api/v1/records/{databox_id}/{record_id}/setcollection/`.

        Returns the moved `Record`. Required: `databox_id`, `record_id`, `base_id`. A POST: not
        retried once sent, so it never runs twice.
        """
        request = self._request(
            "POST",
            R + "setcollection/",
            _ids(databox_id, record_id),
            data=form({"base_id": req_id(base_id, "base_id")}),
        )
        return await self._one(request, "record", m.Record)

    @checked
    async def delete(self, databox_id: int, record_id: int) -> None:
        """Delete a record: `DELETE /api/v1/records/{databox_id}/{record_id}/`.

        Returns None. Required: `databox_id`, `record_id`. A DELETE, idempotent: retried after
        transport errors and retryable statuses.
        """
        request = self._request("DELETE", R, _ids(databox_id, record_id))
        await self._raw(request)

    @checked
    async def patch_v3(
        self,
        databox_id: int,
        record_id: int,
        *,
        metadatas: Sequence[Mapping[str, Any]] | None = None,
        status: Sequence[Mapping[str, Any]] | None = None,
        base_id: int | None = None,
    ) -> m.Record:
        """Edit a record in one call: v3 `PATCH /api/v3/records/{databox_id}/{record_id}/` (JSON).

        `metadatas` and `status` are lists of actions (set/add/delete/replace); `base_id` moves it.
        Returns the updated `Record`. Required: `databox_id`, `record_id`, and at least one of
        `metadatas`, `status`, `base_id`. A PATCH: not retried once sent, so it never runs twice.
        """
        body: dict[str, Any] = {}
        if metadatas is not None:
            body["metadatas"] = _json_list(metadatas, "metadatas")
        if status is not None:
            body["status"] = _json_list(status, "status")
        if base_id is not None:
            body["base_id"] = req_id(base_id, "base_id")
        if not body:
            raise InvalidRequestError("patch_v3 needs metadatas, status or base_id")
        request = self._request(
            "PATCH", "v3/records/{databox_id}/{record_id}/", _ids(databox_id, record_id), json=body
        )
        return structure(self._absolute(await self._payload(request)), m.Record, what="record")

    # -- uploads ----------------------------------------------------------------------------

    @checked
    async def upload(
        self,
        base_id: int,
        file: FileInput | None = None,
        *,
        url: str | None = None,
        status: str | int | None = None,
        force: Literal["record", "quarantine"] | None = None,
        nosubdefs: bool = False,
    ) -> m.UploadResult:
        """Add a record from a file, or from a `url` the server fetches: `POST /api/v1/records/add/`
        (multipart).

        `status` is a binary string ("0b1011...") or an int; `force` bypasses or forces the
        quarantine checks. Returns `UploadResult` (its `url` absolute; `.quarantined` tells where it
        went). Required: `base_id` and exactly one of `file`, `url`. A POST: not retried once sent,
        so it never runs twice.
        """
        if (file is None) == (url is None):
            raise InvalidRequestError("pass exactly one of file= or url=")
        if isinstance(status, int) and not isinstance(status, bool):
            status = bin(status)
        fields = {
            "base_id": req_id(base_id, "base_id"),
            "url": req_str(url, "url") if url is not None else None,
            "status": opt_str(status, "status"),
            "forceBehavior": {"record": "0", "quarantine": "1", None: None}.get(
                opt_str(force, "force", choices=("record", "quarantine"))
            ),
            "nosubdefs": opt_bool01(nosubdefs, "nosubdefs") if nosubdefs else None,
        }
        files = file_part(file) if file is not None else None
        request = self._request("POST", "v1/records/add/", data=form(fields), files=files)
        return structure(
            self._absolute(await self._payload(request)), m.UploadResult, what="upload result"
        )

    @checked
    async def create_v3(
        self,
        base_id: int,
        file: FileInput | None = None,
        *,
        body: Mapping[str, Any] | None = None,
    ) -> m.UploadResult:
        """Create a record: v3 `POST /api/v3/records/{base_id}/`, from a file (multipart, JSON in
        `body`) or empty from a JSON body.

        Returns `UploadResult`; it may land in quarantine (see `.quarantined`). Required: `base_id`.
        A POST: not retried once sent, so it never runs twice.
        """
        params = {"base_id": req_id(base_id, "base_id")}
        if body is not None and not isinstance(body, Mapping):
            raise InvalidRequestError("body must be a mapping")
        if file is not None:
            data = [("body", json.dumps(dict(body)))] if body is not None else []
            request = self._request(
                "POST", "v3/records/{base_id}/", params, data=data, files=file_part(file)
            )
        else:
            request = self._request("POST", "v3/records/{base_id}/", params, json=dict(body or {}))
        result = self._absolute(await self._payload(request))
        return structure(result, m.UploadResult, what="upload result")

    @checked
    async def substitute(
        self,
        databox_id: int,
        record_id: int,
        name: str,
        file: FileInput,
        *,
        adapt: bool | None = None,
    ) -> m.Subdef:
        """Replace one subdef's file: `POST /api/v1/embed/substitute/` (multipart).

        Returns the new `Subdef`. Required: `databox_id`, `record_id`, `name` (the subdef), `file`.
        A POST: not retried once sent, so it never runs twice.
        """
        fields = {
            **_ids(databox_id, record_id),
            "name": req_str(name, "name"),
            "adapt": opt_bool01(adapt, "adapt"),
        }
        request = self._request(
            "POST", "v1/embed/substitute/", data=form(fields), files=file_part(file)
        )
        return structure(self._absolute(await self._payload(request)), m.Subdef, what="subdef")


def _json_list(value: object, name: str) -> list[dict[str, Any]]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise InvalidRequestError(f"{name} must be a list of mappings")
    out = []
    for n, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise InvalidRequestError(f"{name}[{n}] must be a mapping")
        out.append(dict(item))
    return out
