"""Export resume files: every field checked before anything is written; bad ones never cost output.

A resume file or cursor that is malformed, tampered with or impossible is refused with a
`ResumeFileError` (one line through the CLI's error handler) and the output file keeps every
byte it had. Also: the export under churn, crashed and resumed many times, writes every item
that existed throughout exactly once.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from asyncdam.cli.jobs import ResumeFileError, load_resume, run_export
from asyncdam.engine.page_strategies import LinkHeaderStrategy
from asyncdam.engine.pagination import Paginator
from asyncdam.engine.request import Request, Response

pytestmark = pytest.mark.anyio
JOB = "test:keys"


class Keys:
    """A Phrase-like listing (Pagination header, per_page at most 100) that can change."""

    def __init__(self, n: int, seed: int = 0) -> None:
        self.items = [f"key{i:04d}" for i in range(n)]
        self.serial = n
        self.rng = random.Random(seed)
        self.deleted: set[str] = set()
        self.created: set[str] = set()
        self.churn = 0.0
        self.budget = 0  # changes still to make at random requests

    def mutate(self) -> None:
        if self.items and self.rng.random() < 0.6:
            self.deleted.add(self.items.pop(self.rng.randrange(len(self.items))))
        else:
            name = f"key{self.serial:04d}"
            self.serial += 1
            self.items.append(name)
            self.created.add(name)

    async def fetch(self, request: Request) -> Response:
        await anyio.lowlevel.checkpoint()
        if self.budget and self.rng.random() < self.churn:
            self.budget -= 1
            self.mutate()
        query = dict(request.query or {})
        size, page = min(int(query.get("per_page", 25)), 100), int(query.get("page", 1))
        chunk = self.items[(page - 1) * size : page * size]
        pages = max(1, -(-len(self.items) // size))
        meta = {"total_count": len(self.items), "total_pages_count": pages, "current_page": page}
        return Response(
            status=200,
            headers=httpx.Headers({"Pagination": json.dumps(meta)}),
            content=json.dumps([{"id": i, "name": i} for i in chunk]).encode(),
            method="GET",
            url="https://api.test/keys",
        )

    def listing(self, cursor: dict[str, Any] | None) -> Paginator[dict[str, str]]:
        return Paginator(
            self.fetch,
            Request(method="GET", path="/keys"),
            LinkHeaderStrategy(per_page=10, max_per_page=100),
            lambda r: r.json(),
            fetch_ahead=2,
            cursor=cursor,
            identify=lambda item: item["id"],
            stable_order=True,
            # Churn here lasts for most of the job: allow passes enough to outlast it.
            reconcile_passes=8,
        )


async def _crash_after(keys: Keys, out: Path, resume: Path, count: int) -> None:
    seen = 0

    def crash(_item: Any) -> None:
        nonlocal seen
        seen += 1
        if seen > count:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        await run_export(keys.listing, out, resume_file=resume, job=JOB, batch=7, on_item=crash)


async def _half_done(tmp_path: Path) -> tuple[Keys, Path, Path]:
    keys = Keys(95)
    out, resume = tmp_path / "keys.jsonl", tmp_path / "keys.resume.json"
    await _crash_after(keys, out, resume, 40)
    assert resume.exists() and out.stat().st_size > 0
    return keys, out, resume


def _edit(resume: Path, **changes: Any) -> None:
    state = json.loads(resume.read_text())
    for dotted, value in changes.items():
        target = state
        *path, last = dotted.split("__")
        for key in path:
            target = target[key]
        target[last] = value
    resume.write_text(json.dumps(state))


@pytest.mark.parametrize(
    ("change", "word"),
    [
        ({"offset": -1}, "offset"),
        ({"offset": True}, "offset"),
        ({"offset": "12"}, "offset"),
        ({"offset": 10**20}, "offset"),
        ({"count": -3}, "count"),
        ({"count": 10**6}, "cannot take"),
        ({"job": 7}, "job"),
        ({"v": 2}, "format"),
        ({"cursor": "page 4"}, "cursor"),
        ({"cursor": {"v": 1, "strategy": "link-header", "done": True}}, "finished"),
        ({"surprise": 1}, "unknown"),
        ({"cursor__index": -2}, "index"),
        ({"cursor__skip": 10**8}, "skips"),
        ({"cursor__at__page": 10**6}, "disagree"),
        ({"cursor__at__per_page": 500}, "page size"),
        ({"cursor__guard__handed": 3}, "integrity"),
        ({"cursor__guard": None}, "consistency state"),
        ({"cursor__strategy": "offset-limit"}, "paging"),
    ],
)
async def test_bad_resume_state_is_refused_and_output_kept(
    tmp_path: Path, change: dict[str, Any], word: str
) -> None:
    keys, out, resume = await _half_done(tmp_path)
    _edit(resume, **change)
    before = out.read_bytes()
    with pytest.raises(ResumeFileError, match=word):
        await run_export(keys.listing, out, resume_file=resume, job=JOB)
    assert out.read_bytes() == before


async def test_offset_off_a_line_end_or_a_changed_output_is_refused(tmp_path: Path) -> None:
    keys, out, resume = await _half_done(tmp_path)
    state = json.loads(resume.read_text())
    _edit(resume, offset=state["offset"] - 3)
    before = out.read_bytes()
    with pytest.raises(ResumeFileError, match="line end"):
        await run_export(keys.listing, out, resume_file=resume, job=JOB)
    _edit(resume, offset=state["offset"])
    lines = before.splitlines(keepends=True)
    out.write_bytes(lines[0] + lines[0] + b"".join(lines[2:]))  # a line replaced by another
    with pytest.raises(ResumeFileError, match="disagree"):
        await run_export(keys.listing, out, resume_file=resume, job=JOB)
    out.write_bytes(before[:10])
    with pytest.raises(ResumeFileError, match="shorter"):
        await run_export(keys.listing, out, resume_file=resume, job=JOB)
    out.unlink()
    with pytest.raises(ResumeFileError, match="missing"):
        await run_export(keys.listing, out, resume_file=resume, job=JOB)


async def test_another_jobs_resume_file_is_refused(tmp_path: Path) -> None:
    keys, out, resume = await _half_done(tmp_path)
    before = out.read_bytes()
    with pytest.raises(ResumeFileError, match="another job"):
        await run_export(keys.listing, out, resume_file=resume, job="other")
    assert out.read_bytes() == before


async def test_resume_file_leaves_seen_ids_to_the_output(tmp_path: Path) -> None:
    keys, out, resume = await _half_done(tmp_path)
    state = load_resume(resume)
    assert state is not None and state.cursor["guard"]["seen"] is None
    result = await run_export(keys.listing, out, resume_file=resume, job=JOB)
    names = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert names == keys.items and result.resumed and not resume.exists()


@pytest.mark.parametrize("seed", range(12))
async def test_export_under_churn_killed_and_resumed(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    keys = Keys(120, seed=seed)
    keys.churn, keys.budget = 0.08, 6
    initial = list(keys.items)
    out, resume = tmp_path / "keys.jsonl", tmp_path / "keys.resume.json"
    for _ in range(4):
        await _crash_after(keys, out, resume, rng.randint(5, 40))
        if rng.random() < 0.5:
            keys.mutate()  # the collection also changes while the job is down
    await run_export(keys.listing, out, resume_file=resume, job=JOB, batch=7)
    names = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert len(names) == len(set(names)), "an item was written twice"
    missing = set(initial) - keys.deleted - set(names)
    assert not missing, f"items that existed throughout were never written: {missing}"
