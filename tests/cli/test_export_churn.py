"""`asyncdam phrase export` while keys change, interrupted and resumed; bad resume files refused.

The Phrase emulator runs on loopback; keys are deleted and created through its API while the
export runs and while it is down. Every key that existed for the whole export must be in the
output exactly once. A tampered resume file is one clear line, exit status 1, and the output
keeps every byte it had.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

pytest.importorskip("uvicorn")

from asyncdam.cli import jobs
from asyncdam.cli.main import main
from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.emulator.registry import create_app
from asyncdam.emulator.runner import EmulatorServer

TOKEN = "cli-churn-token"
HEADERS = {"Authorization": f"token {TOKEN}", "User-Agent": "asyncdam-tests (t@example.com)"}


class Served:
    """A Phrase emulator on loopback and its biggest project (750 keys) to change."""

    def __init__(self, server: EmulatorServer) -> None:
        self.base_url = server.origin + "/v2"
        self.http = httpx.Client(base_url=self.base_url, headers=HEADERS)
        projects = self.http.get("/projects").json()
        self.project = projects[0]["id"]
        self.serial = 0

    def keys(self) -> list[str]:
        out, page = [], 1
        while True:
            batch = self.http.get(
                f"/projects/{self.project}/keys", params={"per_page": 100, "page": page}
            ).json()
            out += [k["id"] for k in batch]
            if len(batch) < 100:
                return out
            page += 1

    def delete(self, key: str) -> None:
        self.http.delete(f"/projects/{self.project}/keys/{key}").raise_for_status()

    def create(self) -> str:
        self.serial += 1
        reply = self.http.post(f"/projects/{self.project}/keys", json={"name": f"c.{self.serial}"})
        reply.raise_for_status()
        return str(reply.json()["id"])


@pytest.fixture
def served() -> Iterator[Served]:
    config = EmulatorConfig(
        seed=5, token=TOKEN, size=0.3, quota=10**6, faults=FaultConfig(latency_ms=2)
    )
    app = create_app("phrase", config)
    with EmulatorServer("phrase", config, app=app) as server:
        s = Served(server)
        yield s
        s.http.close()


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "ASYNCDAM_PHRASE_TOKEN": TOKEN,
        "ASYNCDAM_CONFIG": str(tmp_path / "none.toml"),
        "ASYNCDAM_PROFILE": "",
    }


def _export(served: Served, out: Path, tmp_path: Path) -> Any:
    args = ["phrase", "export", "--project", served.project, "-o", str(out)]
    args += ["--base-url", served.base_url, "--concurrency", "4"]
    return CliRunner().invoke(main, args, env=_env(tmp_path))


def _written(out: Path) -> list[str]:
    return [json.loads(line)["id"] for line in out.read_text().splitlines()]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_export_under_churn_interrupted_and_resumed(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    initial = served.keys()
    alive, deleted = list(initial), set()

    def change() -> None:
        if rng.random() < 0.6:
            victim = alive.pop(rng.randrange(len(alive)))
            served.delete(victim)
            deleted.add(victim)
        else:
            alive.append(served.create())

    real_write = jobs.JsonLinesWriter.write
    state = {"writes": 0, "die_at": 0}

    def write_change_die(self: jobs.JsonLinesWriter, record: Any) -> None:
        state["writes"] += 1
        if rng.random() < 0.01:
            change()  # the collection changes while the export runs
        if state["writes"] == state["die_at"]:
            raise KeyboardInterrupt
        real_write(self, record)

    monkeypatch.setattr(jobs.JsonLinesWriter, "write", write_change_die)
    out = tmp_path / "keys.jsonl"
    for attempt in range(4):
        state["die_at"] = state["writes"] + rng.randint(50, 400) if attempt < 3 else -1
        result = _export(served, out, tmp_path)
        if result.exit_code == 0:
            break
        assert result.exit_code == 130, result.output
        change()  # ... and while it is down
    assert result.exit_code == 0, result.output
    got = _written(out)
    assert len(got) == len(set(got)), "a key was written twice"
    missing = set(initial) - deleted - set(got)
    assert not missing, f"{len(missing)} keys that existed throughout were not written"


@pytest.mark.parametrize(
    ("field", "value", "word"),
    [
        ("offset", -1, "offset"),
        ("count", -1, "count"),
        ("cursor", {"v": 1, "strategy": "link-header", "done": True}, "finished"),
        ("cursor.at.per_page", 1000, "page size"),
        ("cursor.skip", 5000, "skips"),
        ("cursor.index", 999999, "disagree"),
    ],
)
def test_bad_resume_file_is_one_line_and_keeps_the_output(
    served: Served,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    field: str,
    value: Any,
    word: str,
) -> None:
    real_write = jobs.JsonLinesWriter.write
    calls = {"n": 0}

    def write_then_die(self: jobs.JsonLinesWriter, record: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 130:
            raise KeyboardInterrupt
        real_write(self, record)

    monkeypatch.setattr(jobs.JsonLinesWriter, "write", write_then_die)
    out = tmp_path / "keys.jsonl"
    assert _export(served, out, tmp_path).exit_code == 130
    monkeypatch.setattr(jobs.JsonLinesWriter, "write", real_write)
    resume = out.with_name(out.name + ".resume.json")
    state = json.loads(resume.read_text())
    target = state
    *path, last = field.split(".")
    for key in path:
        target = target[key]
    target[last] = value
    resume.write_text(json.dumps(state))
    before = out.read_bytes()
    result = _export(served, out, tmp_path)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and word in lines[0], result.output
    assert out.read_bytes() == before


def test_export_says_when_the_data_changed_under_it(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    initial = served.keys()
    real_write = jobs.JsonLinesWriter.write
    calls = {"n": 0}

    def write_and_delete(self: jobs.JsonLinesWriter, record: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 300:
            for key in initial[:5]:  # written already: pushes 5 unwritten keys back a page
                served.delete(key)
        real_write(self, record)

    monkeypatch.setattr(jobs.JsonLinesWriter, "write", write_and_delete)
    out = tmp_path / "keys.jsonl"
    result = _export(served, out, tmp_path)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "the data changed during the export: 1 extra pass(es)" in said
    assert "5 key(s) found by them" in said
    assert sorted(_written(out)) == sorted(initial)
