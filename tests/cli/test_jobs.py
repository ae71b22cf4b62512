"""Export machinery: JSONL output, atomic resume file, crash and resume without loss or repeats."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import attrs
import pytest

from asyncdam.cli.jobs import (
    JsonLinesWriter,
    ResumeState,
    load_resume,
    run_export,
    save_resume,
    to_jsonable,
)

ITEMS = list(range(1, 538))


class Boom(Exception):
    """Stands in for a crash in the middle of a job."""


class FakeListing:
    """A paginator stand-in: items in order, a cursor just after the last one handed out."""

    def __init__(self, cursor: dict[str, Any] | None, fail_at: int | None = None) -> None:
        self.position = 0 if cursor is None else int(cursor["at"])
        self.fail_at = fail_at
        self.entered = False

    @property
    def cursor(self) -> dict[str, Any]:
        return {"at": self.position}

    @property
    def total(self) -> int | None:
        return len(ITEMS)

    async def __aenter__(self) -> FakeListing:
        self.entered = True
        return self

    async def __aexit__(self, *exc: Any) -> None:
        return None

    def __aiter__(self) -> FakeListing:
        return self

    async def __anext__(self) -> dict[str, int]:
        if self.position >= len(ITEMS):
            raise StopAsyncIteration
        if self.fail_at is not None and self.position == self.fail_at:
            raise Boom("crash")
        self.position += 1
        return {"id": ITEMS[self.position - 1]}


def read_ids(path: Path) -> list[int]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


async def test_export_writes_every_item_and_removes_the_resume_file(tmp_path: Path) -> None:
    out, resume = tmp_path / "out.jsonl", tmp_path / "out.resume.json"
    seen: list[tuple[int, int | None]] = []
    listings: list[FakeListing] = []

    def source(cursor: dict[str, Any] | None) -> FakeListing:
        listings.append(FakeListing(cursor))
        return listings[-1]

    result = await run_export(
        source, out, resume_file=resume, job="t", progress=lambda d, t: seen.append((d, t))
    )
    assert read_ids(out) == ITEMS
    assert result.written == result.total_written == len(ITEMS)
    assert not result.resumed
    assert not resume.exists()
    assert listings[0].entered  # fetch-ahead runs inside `async with`
    assert seen[-1] == (len(ITEMS), len(ITEMS))


@pytest.mark.parametrize("fail_at", [0, 1, 99, 100, 101, 250, 536])
async def test_crash_then_resume_gives_each_item_exactly_once(tmp_path: Path, fail_at: int) -> None:
    out, resume = tmp_path / "out.jsonl", tmp_path / "r.json"
    with pytest.raises(Boom):
        await run_export(
            lambda c: FakeListing(c, fail_at=fail_at), out, resume_file=resume, job="t", batch=100
        )
    committed = fail_at // 100 * 100
    if committed:
        state = load_resume(resume)
        assert state is not None and state.count == committed
    result = await run_export(lambda c: FakeListing(c), out, resume_file=resume, job="t", batch=100)
    assert read_ids(out) == ITEMS
    assert result.written == len(ITEMS) - committed
    assert result.resumed == bool(committed)


async def test_lines_written_after_the_last_checkpoint_are_dropped(tmp_path: Path) -> None:
    # The crash window: output fsynced past the offset, resume file not yet replaced.
    out, resume = tmp_path / "out.jsonl", tmp_path / "r.json"
    with pytest.raises(Boom):
        await run_export(
            lambda c: FakeListing(c, fail_at=150), out, resume_file=resume, job="t", batch=100
        )
    with out.open("ab") as fh:
        fh.write(b'{"id": 999999}\n{"id": 1')  # a stray line and a torn one
    await run_export(lambda c: FakeListing(c), out, resume_file=resume, job="t", batch=100)
    assert read_ids(out) == ITEMS


async def test_resume_refuses_another_jobs_state(tmp_path: Path) -> None:
    out, resume = tmp_path / "out.jsonl", tmp_path / "r.json"
    save_resume(resume, ResumeState(cursor={"at": 3}, offset=0, count=0, job="other"))
    with pytest.raises(ValueError, match="another job"):
        await run_export(lambda c: FakeListing(c), out, resume_file=resume, job="t")


async def test_resume_refuses_an_output_shorter_than_recorded(tmp_path: Path) -> None:
    out, resume = tmp_path / "out.jsonl", tmp_path / "r.json"
    out.write_bytes(b"{}\n")
    save_resume(resume, ResumeState(cursor={"at": 3}, offset=500, count=3, job="t"))
    with pytest.raises(ValueError, match="shorter"):
        await run_export(lambda c: FakeListing(c), out, resume_file=resume, job="t")


def test_resume_file_round_trip_and_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "r.json"
    assert load_resume(path) is None
    state = ResumeState(cursor={"v": 1, "at": {"page": 3}}, offset=12, count=4, job="j")
    save_resume(path, state)
    assert load_resume(path) == state
    assert [p.name for p in path.parent.iterdir()] == ["r.json"]  # no temp file left behind
    path.write_text("{not json")
    with pytest.raises(ValueError, match="unreadable"):
        load_resume(path)
    path.write_text(json.dumps({"v": 99}))
    with pytest.raises(ValueError, match="format"):
        load_resume(path)


def test_writer_truncates_to_offset(tmp_path: Path) -> None:
    path = tmp_path / "o.jsonl"
    writer = JsonLinesWriter(path)
    writer.write({"a": 1})
    offset = writer.commit()
    writer.write({"a": 2})
    writer.close()
    again = JsonLinesWriter(path, truncate_to=offset)
    again.write({"a": 3})
    again.close()
    assert [json.loads(x) for x in path.read_text().splitlines()] == [{"a": 1}, {"a": 3}]


@attrs.frozen
class Inner:
    when: dt.datetime
    tags: tuple[str, ...] = ()


@attrs.frozen
class Model:
    id: str
    inner: Inner | None = None
    missing: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


def test_to_jsonable_flattens_models_and_keeps_unknown_fields() -> None:
    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    model = Model(id="k1", inner=Inner(when=when, tags=("a", "b")), extra={"future": [1]})
    assert to_jsonable(model) == {
        "id": "k1",
        "inner": {"when": "2024-01-02T03:04:05+00:00", "tags": ["a", "b"]},
        "future": [1],
    }
