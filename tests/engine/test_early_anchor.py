"""The early anchor: over creation order, the anchor is read beside the first fetch-ahead window.

Its answer must prove the pages read beside it (total unchanged, last item created before the
first page was read, by the server's `Date`); otherwise those pages are read again after it.
A fake server with a clock dates its answers and its items; its collection changes at random.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from asyncdam.engine.consistency import (
    ANCHOR_AGE_MARGIN,
    FirstAnswer,
    InvalidCursorError,
    PassWatch,
    created_before,
)
from asyncdam.engine.events import EngineStats, Hooks
from asyncdam.engine.pagination import ListingMonitor, Paginator
from asyncdam.engine.request import Request, Response
from tests.engine.test_consistency_churn import ChurnServer, _check, make

pytestmark = pytest.mark.anyio

T0 = 1_700_000_000.0  # when the fake server starts; the seeded items are older


class DatedServer(ChurnServer):
    """`ChurnServer` whose items carry `created_at` and whose answers carry `Date`."""

    def __init__(self, n: int, *, seed: int, tick: float = 1.0, **options: Any) -> None:
        super().__init__(n, "pagination", seed=seed, **options)
        self.now = T0
        self.tick = tick  # server seconds per request moment
        self.created_at: dict[int, float] = {i: T0 - 86_400 for i in self.items}
        self.log: list[tuple[str, int]] = []  # ("start" | "end", page number)
        self.dated = True

    def create(self) -> int:
        item = self.next_id
        self.items.append(item)
        self.created.add(item)
        self.created_at[item] = self.now
        self.next_id += 1
        return item

    def mutate(self) -> None:
        before = self.next_id
        super().mutate()
        for item in range(before, self.next_id):
            self.created_at[item] = self.now

    def _maybe_mutate(self) -> None:
        self.now += self.tick
        super()._maybe_mutate()

    async def fetch(self, request: Request) -> Response:
        page = int(dict(request.query or {}).get("page", 1))
        self.log.append(("start", page))
        response = await super().fetch(request)
        self.log.append(("end", page))
        return response

    def _respond(self, request: Request) -> Response:
        plain = super()._respond(request)
        body = [
            {"id": item["id"], "created_at": _iso(self.created_at[item["id"]])}
            for item in json.loads(plain.content)
        ]
        headers = httpx.Headers(plain.headers)
        if self.dated:
            headers["Date"] = formatdate(self.now, usegmt=True)
        return Response(
            status=200,
            headers=headers,
            content=json.dumps(body).encode(),
            method="GET",
            url=plain.url,
        )


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).isoformat().replace("+00:00", "Z")


def _created(item: dict[str, Any]) -> object:
    return dt.datetime.fromisoformat(item["created_at"])


def dated(server: DatedServer, size: int, **options: Any) -> Paginator[dict[str, Any]]:
    return make(server, size, created=_created, **options)  # type: ignore[arg-type]


async def _drain(pager: Paginator[dict[str, Any]], streaming: bool) -> list[int]:
    if streaming:
        async with pager:
            return [item["id"] async for item in pager]
    return [item["id"] async for item in pager]


@pytest.mark.parametrize("fetch_ahead", [0, 2, 4])
@pytest.mark.parametrize("streaming", [False, True])
async def test_survivors_exactly_once_under_churn(fetch_ahead: int, streaming: bool) -> None:
    outcomes: set[bool] = set()
    for seed in range(40):
        rng = random.Random(seed)
        # Ticks from a fraction of a second to minutes: creations land both inside and outside
        # the proof's margin before the first page's Date.
        tick = rng.choice([0.2, 1.0, 2.5, 60.0])
        server = DatedServer(97, seed=seed, tick=tick, bursts=rng.randint(0, 4))
        pager = dated(server, 10, fetch_ahead=fetch_ahead, reconcile_passes=8)
        got = await _drain(pager, streaming)
        _check(server, got)
        guard = pager._guard
        assert guard is not None
        if guard.watch.number == 1 and guard.watch.anchor_index is not None:
            outcomes.add(guard.watch.early)
    if fetch_ahead > 1:
        assert outcomes == {True, False}, "both the proven and the refused anchor must occur"


@pytest.mark.parametrize("streaming", [False, True])
async def test_unchanged_collection_reads_the_anchor_beside_the_first_window(
    streaming: bool,
) -> None:
    stats = EngineStats()
    server = DatedServer(95, seed=1)
    monitor = ListingMonitor(stats=stats, hooks=Hooks())
    got = await _drain(dated(server, 10, fetch_ahead=4, monitor=monitor), streaming)
    assert got == list(range(1, 96))
    # 10 pages and the anchor; the proof makes the first page's revalidation unnecessary.
    assert server.requests == 11
    assert stats.listing_drift == 0 and stats.reconciliation_passes == 0
    # Page numbers are 1-based: the anchor is page 10; pages 2-4 go beside it (with the anchor,
    # fetch_ahead requests at once), page 5 only once its answer proved them.
    log = server.log
    anchor_end = log.index(("end", 10))
    assert all(log.index(("start", page)) < anchor_end for page in (2, 3, 4, 10)), log
    assert log.index(("start", 5)) > anchor_end, log


@pytest.mark.parametrize("streaming", [False, True])
async def test_a_new_last_item_sends_the_window_again_after_the_anchor(streaming: bool) -> None:
    stats = EngineStats()
    server = DatedServer(94, seed=1)
    server.create()  # created now: the first page's Date cannot prove it older than that read
    got = await _drain(
        dated(server, 10, fetch_ahead=4, monitor=ListingMonitor(stats, Hooks())), streaming
    )
    assert got == list(range(1, 96))
    # 10 pages, the anchor, the first page's revalidation, and the 3 pages read beside the
    # anchor once more (none of them was handed out before the anchor's answer).
    assert server.requests == 15
    assert stats.listing_drift == 0 and stats.reconciliation_passes == 0


async def test_without_a_date_the_anchor_comes_first() -> None:
    server = DatedServer(95, seed=1)
    server.dated = False
    got = [i["id"] async for i in dated(server, 10, fetch_ahead=4)]
    assert got == list(range(1, 96))
    assert server.requests == 12  # pages, the anchor, the first page's revalidation
    assert server.log[:4] == [("start", 1), ("end", 1), ("start", 10), ("end", 10)]


async def test_a_deletion_beside_the_window_is_caught() -> None:
    """A deletion after the first page and a creation keep the total: Z is new, no proof."""
    for seed in range(30):
        server = DatedServer(95, seed=seed, tick=0.1)
        pager = dated(server, 10, fetch_ahead=4, reconcile_passes=8)
        got: list[int] = []
        async for item in pager:
            got.append(item["id"])
            if len(got) == 1:
                victim = server.items.pop(3)
                server.deleted.add(victim)
                server.create()
        _check(server, got)


async def test_cursor_keeps_the_proof_and_resumes() -> None:
    server = DatedServer(95, seed=2)
    pager = dated(server, 10, fetch_ahead=4)
    got: list[int] = []
    saved: Any = None
    async for item in pager:
        got.append(item["id"])
        if len(got) == 35:
            saved = json.loads(json.dumps(pager.cursor))
            break
    assert saved["guard"]["watch"]["early"] is True
    rest = [i["id"] async for i in dated(server, 10, fetch_ahead=4, cursor=saved)]
    assert got + rest == list(range(1, 96))


# -- the pure parts ------------------------------------------------------------------------------


def _answer(date: str, elapsed: float = 0.2) -> FirstAnswer:
    found = FirstAnswer.of(httpx.Headers({"Date": date}), elapsed)
    assert found is not None
    return found


def test_first_answer_needs_a_usable_date() -> None:
    assert FirstAnswer.of(httpx.Headers({}), 0.1) is None
    assert FirstAnswer.of(httpx.Headers({"Date": "yesterday"}), 0.1) is None
    assert FirstAnswer.of(httpx.Headers({"Date": "Fri, 04 Dec 2026 10:00:00 GMT"}), -1) is None
    answer = _answer("Fri, 04 Dec 2026 10:00:00 GMT")
    assert answer.date == dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)


def test_created_before_allows_the_margin_and_the_round_trip() -> None:
    answer = _answer("Fri, 04 Dec 2026 10:00:00 GMT", elapsed=0.5)
    date = answer.date
    just_old = date - dt.timedelta(seconds=ANCHOR_AGE_MARGIN + 0.5)
    assert created_before(just_old, answer)
    assert not created_before(just_old + dt.timedelta(milliseconds=1), answer)
    assert not created_before(date, answer)
    assert not created_before(None, answer)
    assert not created_before(dt.datetime(2020, 1, 1), answer)  # naive: no known zone


def test_prove_early_needs_the_same_total_and_a_full_anchor_page() -> None:
    answer = _answer("Fri, 04 Dec 2026 10:00:00 GMT")
    old = answer.date - dt.timedelta(days=1)
    watch = PassWatch(mode="anchor", total=95, size=10)
    watch.set_anchor(9, ["z"] * 5, 95)
    assert watch.prove_early(95, 5, old, answer) and watch.early
    for total, count in [(96, 5), (95, 4)]:
        other = PassWatch(mode="anchor", total=95, size=10)
        other.set_anchor(9, ["z"] * count, total)
        assert not other.prove_early(total, count, old, answer) and not other.early


def test_cursor_state_refuses_an_early_proof_without_an_anchor() -> None:
    watch = PassWatch(mode="anchor", total=95, size=10, last_index=0)
    data = watch.export()
    data["early"] = True
    with pytest.raises(InvalidCursorError):
        PassWatch.restore(data, mode="anchor", max_pass=4)
    data.pop("early")  # cursors written before the early anchor restore without it
    assert PassWatch.restore(data, mode="anchor", max_pass=4).early is False
