"""Per-item isolation: `on_invalid` raise / skip / raw, counted, reported, never silent."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from asyncdam.decoding import DecodedItems, Decoder, InvalidItemError, Rules, identity_by_field
from asyncdam.engine.events import EngineStats, Event, Hooks
from asyncdam.engine.session import Engine
from asyncdam.phrase import Phrase, models

DECODER = Decoder(Rules(identity=identity_by_field("id")))
MIXED: list[Any] = [{"id": "a"}, "oops", {"name": "no id"}, {"id": "b"}, []]


def test_skip_keeps_the_good_items_and_counts_the_rest() -> None:
    items = DECODER.items(MIXED, models.TranslationKey, on_invalid="skip")
    assert [k.id for k in items] == ["a", "b"]
    assert items.source_count == 5
    assert [(bad.index, bad.reason.split(":")[0]) for bad in items.invalid] == [
        (1, "not an object"),
        (2, "TranslationKey without its identity field 'id'"),
        (4, "not an object"),
    ]


def test_raw_yields_the_raw_values_in_place() -> None:
    items = DECODER.items(MIXED, models.TranslationKey, on_invalid="raw")
    assert items[1:3] == ["oops", {"name": "no id"}] and items[4] == []
    assert isinstance(items[0], models.TranslationKey) and len(items) == len(MIXED)


async def test_finish_page_counts_reports_and_raises_under_raise() -> None:
    events: list[Event] = []
    stats = EngineStats()
    hooks = Hooks(invalid_item=[events.append])
    items = DECODER.items(MIXED, models.TranslationKey, on_invalid="raise")
    items.bind(stats=stats, hooks=hooks, method="GET", url="https://h/v2/keys?access_token=s3")
    with pytest.raises(InvalidItemError) as caught:
        await items.finish_page(7)
    assert (caught.value.page, caught.value.index) == (7, 1)
    assert stats.invalid_items == 3
    assert [e.detail["index"] for e in events] == [1, 2, 4]
    assert all(e.detail["page"] == 7 and e.kind == "invalid_item" for e in events)
    assert all("s3" not in e.url for e in events)  # the secret never travels in a report


async def test_finish_page_reports_once() -> None:
    stats = EngineStats()
    items = DECODER.items(MIXED, models.TranslationKey, on_invalid="skip")
    items.bind(stats=stats, hooks=None)
    await items.finish_page(0)
    await items.finish_page(0)
    assert stats.invalid_items == 3


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="on_invalid"):
        DECODER.items([], models.TranslationKey, on_invalid="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="on_invalid"):
        Phrase(token="t", on_invalid="drop")  # type: ignore[arg-type]


def _pages(bad_page: int, per_page: int = 3, pages: int = 3) -> httpx.MockTransport:
    """A Phrase keys listing of `pages` full pages; page `bad_page` carries one bad item."""

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        body: list[Any] = [{"id": f"k{page}-{i}", "name": f"n{i}"} for i in range(per_page)]
        if page == bad_page:
            body[1] = {"name": "lost its id"}
        headers = {"Pagination": json.dumps({"total_count": per_page * pages})}
        if page < pages:
            url = request.url.copy_merge_params({"page": str(page + 1)})
            headers["Link"] = f'<{url}>; rel="next"'
        return httpx.Response(200, json=body, headers=headers)

    return httpx.MockTransport(handler)


@pytest.mark.parametrize("policy", ["skip", "raw"])
async def test_a_bad_item_never_ends_the_listing(policy: Any) -> None:
    events: list[Event] = []
    async with Engine(transport=_pages(2), hooks=Hooks(invalid_item=[events.append])) as engine:
        phrase = Phrase(token="t0k3n", engine=engine, on_invalid=policy)
        keys = [k async for k in phrase.keys.list("p1", per_page=3)]
    expected = 8 if policy == "skip" else 9
    assert len(keys) == expected
    assert isinstance(keys[-1], models.TranslationKey) and keys[-1].id == "k3-2"
    assert engine.stats.invalid_items == 1
    assert [(e.detail["page"], e.detail["index"]) for e in events] == [(1, 1)]
    if policy == "raw":
        assert keys[4] == {"name": "lost its id"}


async def test_raise_names_the_page_and_index() -> None:
    async with Engine(transport=_pages(3)) as engine:
        phrase = Phrase(token="t0k3n", engine=engine, on_invalid="raise")
        got: list[models.TranslationKey] = []
        with pytest.raises(InvalidItemError) as caught:
            async for key in phrase.keys.list("p1", per_page=3):
                got.append(key)
    assert (caught.value.page, caught.value.index) == (2, 1)
    assert len(got) == 6 and engine.stats.invalid_items == 1


def test_decoded_items_is_a_plain_list_to_readers() -> None:
    items: DecodedItems[int] = DecodedItems(on_invalid="skip", source_count=0)
    items.extend([1, 2])
    assert items == [1, 2] and isinstance(items, list)


async def test_openasset_listing_isolates_bad_items() -> None:
    from asyncdam.openasset import OpenAsset

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "HEAD":
            return httpx.Response(200, headers={"X-OpenAsset-Version": "12.0.0"})
        offset = int(request.url.params.get("offset", "0"))
        limit = int(request.url.params.get("limit", "3"))
        # Items 1 (not an object) and 3 (no id, on a page boundary) are broken for good.
        broken: dict[int, Any] = {1: ["not", "an", "object"], 3: {"filename": "no id"}}
        ids = range(offset + 1, min(offset + limit, 6) + 1)
        body = [broken.get(i, {"id": i, "filename": f"f{i}"}) for i in ids]
        headers = {"X-Full-Results-Count": "6", "X-OpenAsset-Version": "12.0.0"}
        return httpx.Response(200, json=body, headers=headers)

    events: list[Event] = []
    hooks = Hooks(invalid_item=[events.append])
    async with Engine(transport=httpx.MockTransport(handler), hooks=hooks) as engine:
        oa = OpenAsset("https://oa.example.com", basic=("u", "p"), engine=engine, page_size=3)
        files = [f async for f in oa.files.list()]
    assert [f.id for f in files] == [2, 4, 5, 6]
    # Counted once per page that carried them (an overlapping page shows an item twice).
    assert engine.stats.invalid_items >= 2
    assert {e.reason.split(":")[0] for e in events} == {
        "not an object",
        "File without its identity field 'id'",
    }


@pytest.mark.parametrize("consistency", ["repair", "off"])
async def test_phraseanet_search_isolates_bad_records(consistency: Any) -> None:
    from urllib.parse import parse_qs

    from asyncdam.phraseanet import Phraseanet

    def handler(request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        offset, limit = int(form["offset"][0]), int(form["limit"][0])
        records: list[Any] = [
            {"databox_id": 1, "record_id": i, "title": f"r{i}", "thumbnail": []}
            for i in range(offset + 1, min(offset + limit, 6) + 1)
        ]
        for position, record in enumerate(records):
            if record["record_id"] == 2:
                records[position] = {"databox_id": 1, "title": "lost its record_id"}
            if record["record_id"] == 5:
                records[position] = "garbage"
        body = {
            "meta": {"http_code": 200},
            "response": {"total": 6, "results": {"records": records}},
        }
        return httpx.Response(200, json=body)

    async with Engine(transport=httpx.MockTransport(handler)) as engine:
        pn = Phraseanet("https://pn.example.com", token="t0k3n", engine=engine)
        records = [r async for r in pn.records.search_v3(limit=3, consistency=consistency)]
    assert [r.record_id for r in records] == [1, 3, 4, 6]
    assert all(r.thumbnail is None for r in records)  # PHP's [] for a model: no thumbnail
    # With the guard on, pages overlap by one item: one that sits on a boundary counts twice.
    counted = engine.stats.invalid_items
    assert counted == 2 if consistency == "off" else 2 <= counted <= 3


async def test_a_page_of_garbage_logs_a_bounded_number_of_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stats = EngineStats()
    items = DECODER.items(["x"] * 50, models.TranslationKey, on_invalid="skip")
    items.bind(stats=stats, hooks=None)
    with caplog.at_level("WARNING", logger="asyncdam"):
        await items.finish_page(0)
    assert stats.invalid_items == 50
    assert len(caplog.records) == 4 and "47 more" in caplog.records[-1].getMessage()
