"""`pn.stories`: search, read, create stories and manage their children (v1, plus v3 reads)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from asyncdam.engine.errors import InvalidRequestError
from asyncdam.engine.pagination import Paginator
from asyncdam.phraseanet import models as m
from asyncdam.phraseanet.converter import structure
from asyncdam.phraseanet.params import checked, opt_str, req_id
from asyncdam.phraseanet.resource import require_list
from asyncdam.phraseanet.search import SearchMixin, search_fields, v3_paging

__all__ = ["Stories"]

S = "v1/stories/{databox_id}/{story_id}"
RecordRef = tuple[int, int]


def _ids(databox_id: object, story_id: object) -> dict[str, int]:
    return {
        "databox_id": req_id(databox_id, "databox_id"),
        "story_id": req_id(story_id, "story_id"),
    }


def _refs(records: object, name: str = "records") -> list[dict[str, int]]:
    if isinstance(records, str | bytes) or not isinstance(records, Sequence) or not records:
        raise InvalidRequestError(f"{name} must be a non-empty list of (databox_id, record_id)")
    out = []
    for n, ref in enumerate(records):
        if not isinstance(ref, tuple | list) or len(ref) != 2:
            raise InvalidRequestError(f"{name}[{n}] must be a (databox_id, record_id) pair")
        out.append(
            {
                "databox_id": req_id(ref[0], f"{name}[{n}][0]"),
                "record_id": req_id(ref[1], f"{name}[{n}][1]"),
            }
        )
    return out


class Stories(SearchMixin):
    """Stories (records grouping records)."""

    @checked
    def search(
        self,
        query: str = "",
        *,
        bases: Sequence[int] | None = None,
        sort: str | None = None,
        ord: Literal["asc", "desc"] | None = None,
        date_field: Sequence[str] | None = None,
        date_min: dt.date | str | None = None,
        date_max: dt.date | str | None = None,
        status: Mapping[int, bool] | None = None,
        fields: Sequence[str] | None = None,
        per_page: int = 100,
        offset_start: int = 0,
        fetch_ahead: int | None = None,
        cursor: dict[str, Any] | None = None,
    ) -> Paginator[m.Story]:
        """Every matching story, each once: `POST /api/v1/search/` with `search_type=1`.

        Returns `Paginator[Story]`: pages by `offset_start`/`per_page` (default 100) in the form
        body until the reply's `total_results`; `fetch_ahead` and `cursor` as for
        `pn.records.search()`. No parameter is required. A read sent as POST and marked idempotent:
        retried after transport errors and retryable statuses.
        """
        filters = search_fields(
            query=query,
            bases=bases,
            record_type=None,
            sort=sort,
            ord=ord,
            date_field=date_field,
            date_min=date_min,
            date_max=date_max,
            status=status,
            fields=fields,
            stemme=None,
            truncation=None,
        )
        return self._search_pages(
            "v1/search/",
            filters,
            stories=True,
            per_page=per_page,
            offset_start=offset_start,
            subdef_url_ttl=None,
            extended=False,
            decode=self._decode_v1("stories", m.Story),
            fetch_ahead=fetch_ahead,
            cursor=cursor,
        )

    @checked
    async def get(self, databox_id: int, story_id: int) -> m.Story:
        """One story with its child records: `GET /api/v1/stories/{databox_id}/{story_id}/`.

        Returns `Story`. Required: `databox_id`, `story_id`. One request, no paging. A GET: retried
        after transport errors and retryable statuses (429, most 5xx).
        """
        request = self._request("GET", S + "/", _ids(databox_id, story_id))
        return await self._one(request, "story", m.Story)

    @checked
    async def embed(self, databox_id: int, story_id: int) -> list[m.Subdef]:
        """A story's subdefs: `GET /api/v1/stories/{databox_id}/{story_id}/embed/`.

        Returns `list[Subdef]`. Required: `databox_id`, `story_id`. One request, no paging. A GET:
        retried after transport errors and retryable statuses (429, most 5xx).
        """
        request = self._request("GET", S + "/embed/", _ids(databox_id, story_id))
        return await self._many(request, "embed", m.Subdef)

    @checked
    async def create(
        self,
        base_id: int,
        *,
        title: str | None = None,
        metadatas: Mapping[str, Any] | None = None,
        records: Sequence[RecordRef] | None = None,
        cover: RecordRef | None = None,
    ) -> str:
        """Create one story: `POST /api/v1/stories` (JSON).

        Returns the new story's absolute URL. Required: `base_id`; `cover` is added to `records`
        when missing there. A POST: not retried once sent, so it never runs twice.
        """
        story: dict[str, Any] = {"base_id": req_id(base_id, "base_id")}
        if title is not None:
            story["title"] = opt_str(title, "title")
        if metadatas is not None:
            if not isinstance(metadatas, Mapping):
                raise InvalidRequestError("metadatas must map field id or name to value(s)")
            story["metadatas"] = dict(metadatas)
        if records is not None:
            story["story_records"] = _refs(records)
        if cover is not None:
            ref = _refs([cover], "cover")[0]
            if records is None or ref not in story["story_records"]:
                story.setdefault("story_records", []).append(ref)
            for item in story["story_records"]:
                if item == ref:
                    item["use_as_cover"] = True
        request = self._request("POST", "v1/stories", json={"stories": [story]})
        urls = require_list((await self._payload(request)).get("stories", []), "stories")
        if len(urls) != 1 or not isinstance(urls[0], str):
            raise InvalidRequestError("server did not return the story URL")
        return self.absolute_url(urls[0])

    @checked
    async def add_records(
        self, databox_id: int, story_id: int, records: Sequence[RecordRef]
    ) -> list[str]:
        """Add child records to a story: `POST /api/v1/stories/{databox_id}/{story_id}/addrecords`
        (JSON).

        Returns the children added as `"d_r"` strings (see `child_key`). Required: `databox_id`,
        `story_id`, `records` (non-empty pairs). A POST: not retried once sent, so it never runs
        twice.
        """
        request = self._request(
            "POST",
            S + "/addrecords",
            _ids(databox_id, story_id),
            json={"story_records": _refs(records)},
        )
        return [
            str(x)
            for x in require_list((await self._payload(request)).get("records", []), "records")
        ]

    @checked
    async def remove_records(
        self, databox_id: int, story_id: int, records: Sequence[RecordRef]
    ) -> list[str]:
        """Remove child records from a story: `DELETE
        /api/v1/stories/{databox_id}/{story_id}/delrecords` (JSON body).

        Returns the children removed as `"d_r"` strings. Required: `databox_id`, `story_id`,
        `records` (non-empty pairs). A DELETE, idempotent: retried after transport errors and
        retryable statuses.
        """
        request = self._request(
            "DELETE",
            S + "/delrecords",
            _ids(databox_id, story_id),
            json={"story_records": _refs(records)},
        )
        return [
            str(x)
            for x in require_list((await self._payload(request)).get("records", []), "records")
        ]

    @checked
    async def set_cover(
        self,
        databox_id: int,
        story_id: int,
        record_id: int,
        *,
        thumbnail_cover_source: str | None = None,
        preview_cover_source: str | None = None,
    ) -> Any:
        """Use a child record's subdefs as the story cover: `POST
        /api/v1/stories/{databox_id}/{story_id}/setcover` (JSON).

        Returns the unwrapped answer (plain JSON). Required: `databox_id`, `story_id`, `record_id`.
        A POST: not retried once sent, so it never runs twice.
        """
        body: dict[str, Any] = {"record_id": req_id(record_id, "record_id")}
        for key, value in (
            ("thumbnail_cover_source", thumbnail_cover_source),
            ("preview_cover_source", preview_cover_source),
        ):
            if value is not None:
                body[key] = opt_str(value, key)
        request = self._request("POST", S + "/setcover", _ids(databox_id, story_id), json=body)
        return await self._raw(request)

    @checked
    async def get_v3(self, databox_id: int, story_id: int) -> m.Record:
        """One story in the v3 record shape: `GET /api/v3/stories/{databox_id}/{story_id}/`.

        Returns `Record` (404 if the id is a plain record). Required: `databox_id`, `story_id`. One
        request, no paging. A GET: retried after transport errors and retryable statuses (429, most
        5xx).
        """
        request = self._request(
            "GET", "v3/stories/{databox_id}/{story_id}/", _ids(databox_id, story_id)
        )
        return structure(self._absolute(await self._payload(request)), m.Record, what="story")

    @checked
    async def children(
        self, databox_id: int, story_id: int, *, offset: int = 0, limit: int = 100
    ) -> list[str]:
        """A story's children: `GET /api/v3/stories/{databox_id}/{story_id}/children/`.

        Returns the absolute URLs of up to `limit` children from `offset`: one page, not a
        paginator. Required: `databox_id`, `story_id`. A GET: retried after transport errors and
        retryable statuses (429, most 5xx).
        """
        paging = v3_paging(page=None, per_page=None, offset=offset, limit=limit, cursor=None)
        query = [(k, str(v)) for k, v in paging.items() if v is not None]
        request = self._request(
            "GET",
            "v3/stories/{databox_id}/{story_id}/children/",
            _ids(databox_id, story_id),
            query=query,
        )
        urls = require_list(await self._raw(request), "children")
        return [self.absolute_url(str(u), "v3") for u in urls]

    @staticmethod
    def child_key(ref: str) -> tuple[int, int]:
        """`"d_r"` (what add/remove return) as `(databox_id, record_id)`."""
        d, _, r = ref.partition("_")
        return (req_id(d, "databox_id"), req_id(r, "record_id"))
