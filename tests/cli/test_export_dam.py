"""`asyncdam phraseanet export` and `asyncdam openasset export` through their emulators."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

pytest.importorskip("uvicorn")

from asyncdam.cli import jobs
from asyncdam.cli.main import main
from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.registry import create_app
from asyncdam.emulator.runner import EmulatorServer

TOKENS = {"phraseanet": "pn-cli-token", "openasset": "9:oa-cli-secret"}


class Served:
    """An emulator on loopback plus what a test needs to drive the CLI at it."""

    def __init__(self, service: str, server: EmulatorServer, app: Any) -> None:
        self.service = service
        self.base_url = server.origin
        self.app = app

    @property
    def requests(self) -> int:
        """Requests the emulator has seen (each app names its counter its own way)."""
        stats = self.app.state.stats
        return int(stats.total if self.service == "phraseanet" else stats.requests)

    def env(self, tmp_path: Path, token: str | None = None) -> dict[str, str]:
        var = f"ASYNCDAM_{self.service.upper()}_"
        return {
            var + "TOKEN": token or TOKENS[self.service],
            var + "BASE_URL": self.base_url,
            "ASYNCDAM_CONFIG": str(tmp_path / "none.toml"),
        }


@pytest.fixture(scope="module", params=["phraseanet", "openasset"])
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    service = request.param
    config = EmulatorConfig(seed=5, token=TOKENS[service], size=0.1)
    app = create_app(service, config)
    with EmulatorServer(service, config, app=app) as server:
        yield Served(service, server, app)


def key(service: str, row: dict[str, Any]) -> Any:
    return (row["databox_id"], row["record_id"]) if service == "phraseanet" else row["id"]


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def run(served: Served, args: list[str], env: dict[str, str]) -> Any:
    return CliRunner().invoke(main, [served.service, "export", *args], env=env)


def test_export_then_interrupt_and_resume(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = tmp_path / "full.jsonl"
    result = run(served, ["-o", str(full)], served.env(tmp_path))
    assert result.exit_code == 0, result.output
    expected = [key(served.service, r) for r in rows(full)]
    assert len(expected) > 150 and len(set(expected)) == len(expected)

    out = tmp_path / "part.jsonl"
    real_write = jobs.JsonLinesWriter.write
    calls = {"n": 0}

    def write_then_die(self: jobs.JsonLinesWriter, record: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 150:
            raise KeyboardInterrupt
        real_write(self, record)

    monkeypatch.setattr(jobs.JsonLinesWriter, "write", write_then_die)
    first = run(served, ["-o", str(out)], served.env(tmp_path))
    assert first.exit_code == 130, first.output
    monkeypatch.setattr(jobs.JsonLinesWriter, "write", real_write)
    second = run(served, ["-o", str(out)], served.env(tmp_path))
    assert second.exit_code == 0, second.output
    assert "resumed" in second.output
    assert [key(served.service, r) for r in rows(out)] == expected


def test_export_with_downloads(served: Served, tmp_path: Path) -> None:
    out, files = tmp_path / "o.jsonl", tmp_path / "files"
    result = run(served, ["-o", str(out), "--download", str(files)], served.env(tmp_path))
    assert result.exit_code == 0, result.output
    saved = sorted(files.iterdir())
    assert len(saved) == len(rows(out))
    assert all(p.stat().st_size > 0 and not p.name.endswith(".part") for p in saved)


def test_dry_run_sends_nothing(served: Served, tmp_path: Path) -> None:
    before = served.requests
    out = tmp_path / "o.jsonl"
    result = run(served, ["-o", str(out), "--dry-run"], served.env(tmp_path))
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output and TOKENS[served.service] not in result.output
    assert served.requests == before
    assert not out.exists()


def test_bad_credential_is_one_line(served: Served, tmp_path: Path) -> None:
    secret = "1:wrong-secret" if served.service == "openasset" else "wrong-token"
    result = run(served, ["-o", str(tmp_path / "o.jsonl")], served.env(tmp_path, secret))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "401" in lines[0], result.output
    assert secret not in result.output and "Traceback" not in result.output
