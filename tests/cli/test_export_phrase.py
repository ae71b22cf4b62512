"""`asyncdam phrase export|pull` through the Phrase emulator on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

pytest.importorskip("uvicorn")

from asyncdam.cli.main import main
from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.emulator.registry import create_app
from asyncdam.emulator.runner import EmulatorServer

TOKEN = "cli-export-token"
UA = "asyncdam-tests (tests@example.com)"


class Emulator:
    """A served Phrase emulator, its app (for server-side counters) and the biggest project."""

    def __init__(self, server: EmulatorServer, app: Any) -> None:
        self.server = server
        self.app = app
        self.base_url = server.origin + "/v2"
        headers = {"Authorization": f"token {TOKEN}", "User-Agent": UA}
        projects = httpx.get(self.base_url + "/projects", headers=headers).json()
        self.project = projects[0]["id"]
        keys: list[str] = []
        page = 1
        while True:
            batch = httpx.get(
                f"{self.base_url}/projects/{self.project}/keys",
                params={"per_page": 100, "page": page},
                headers=headers,
            ).json()
            keys.extend(k["id"] for k in batch)
            if len(batch) < 100:
                break
            page += 1
        self.keys = keys

    @property
    def requests(self) -> int:
        return int(self.app.state.stats.requests)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    config = EmulatorConfig(seed=3, token=TOKEN, size=0.2, faults=FaultConfig(latency_ms=5))
    app = create_app("phrase", config)
    with EmulatorServer("phrase", config, app=app) as server:
        yield Emulator(server, app)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "ASYNCDAM_PHRASE_TOKEN": TOKEN,
        "ASYNCDAM_CONFIG": str(tmp_path / "none.toml"),
        "ASYNCDAM_PROFILE": "",
    }


def ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def run(args: list[str], env: dict[str, str]) -> Any:
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def test_export_writes_every_key_once(
    emulator: Emulator, env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "keys.jsonl"
    args = ["phrase", "export", "--project", emulator.project, "-o", str(out)]
    result = run([*args, "--base-url", emulator.base_url], env)
    assert result.exit_code == 0, result.output
    assert ids(out) == emulator.keys
    assert not (tmp_path / "keys.jsonl.resume.json").exists()
    assert TOKEN not in result.output


def test_interrupted_export_resumes_without_loss_or_repeat(
    emulator: Emulator, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from asyncdam.cli import jobs

    out = tmp_path / "keys.jsonl"
    args = ["phrase", "export", "--project", emulator.project, "-o", str(out)]
    args += ["--base-url", emulator.base_url]
    real_write = jobs.JsonLinesWriter.write
    calls = {"n": 0}

    def write_then_die(self: jobs.JsonLinesWriter, record: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 250:
            raise KeyboardInterrupt
        real_write(self, record)

    monkeypatch.setattr(jobs.JsonLinesWriter, "write", write_then_die)
    first = run(args, env)
    assert first.exit_code == 130
    assert "resume" in first.output
    assert len(ids(out)) == 249  # lines past the last checkpoint (200) are on disk too
    monkeypatch.setattr(jobs.JsonLinesWriter, "write", real_write)
    second = run(args, env)
    assert second.exit_code == 0, second.output
    assert "resumed" in second.output
    assert ids(out) == emulator.keys


@pytest.mark.slow
def test_sigkilled_export_resumes(emulator: Emulator, env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "keys.jsonl"
    resume = tmp_path / "keys.jsonl.resume.json"
    cmd = [sys.executable, "-m", "asyncdam.cli.main", "phrase", "export"]
    cmd += ["--project", emulator.project, "-o", str(out), "--base-url", emulator.base_url]
    child_env = {**os.environ, **env}
    proc = subprocess.Popen(cmd, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
    deadline = time.monotonic() + 30
    while not resume.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    if proc.returncode != -signal.SIGKILL:
        pytest.skip("the export finished before it could be killed")
    assert len(ids(out)) < len(emulator.keys)
    done = subprocess.run(cmd, env=child_env, capture_output=True, text=True, timeout=60)  # noqa: S603
    assert done.returncode == 0, done.stderr
    assert ids(out) == emulator.keys


def test_dry_run_sends_nothing(emulator: Emulator, env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "keys.jsonl"
    before = emulator.requests
    for sub in (
        ["export", "--project", emulator.project, "-o", str(out)],
        ["pull", "--project", emulator.project, "-d", str(tmp_path / "pull")],
    ):
        result = run(["phrase", *sub, "--base-url", emulator.base_url, "--dry-run"], env)
        assert result.exit_code == 0, result.output
        assert "dry run" in result.output
        assert TOKEN not in result.output
    assert emulator.requests == before
    assert not out.exists()


def test_bad_credential_is_one_line(
    emulator: Emulator, env: dict[str, str], tmp_path: Path
) -> None:
    secret = "not-the-right-token"
    result = CliRunner().invoke(
        main,
        ["phrase", "export", "--project", emulator.project, "-o", str(tmp_path / "o.jsonl"),
         "--base-url", emulator.base_url],
        env={**env, "ASYNCDAM_PHRASE_TOKEN": secret},
    )  # fmt: skip
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "401" in lines[0]
    assert secret not in result.output and "Traceback" not in result.output


def test_unknown_project_is_one_line(
    emulator: Emulator, env: dict[str, str], tmp_path: Path
) -> None:
    result = run(
        ["phrase", "export", "--project", "no-such-project", "-o", str(tmp_path / "o.jsonl"),
         "--base-url", emulator.base_url],
        env,
    )  # fmt: skip
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "unknown project 'no-such-project'" in lines[0]


def test_missing_credential_names_the_variable(tmp_path: Path) -> None:
    env = {"ASYNCDAM_PHRASE_TOKEN": "", "ASYNCDAM_CONFIG": str(tmp_path / "none.toml")}
    result = run(["phrase", "export", "--project", "p", "-o", str(tmp_path / "o")], env)
    assert result.exit_code == 1
    assert "ASYNCDAM_PHRASE_TOKEN" in result.output


def test_debug_keeps_the_traceback(emulator: Emulator, env: dict[str, str], tmp_path: Path) -> None:
    from asyncdam.engine.errors import Unauthorized

    result = CliRunner().invoke(
        main,
        ["phrase", "export", "--project", emulator.project, "-o", str(tmp_path / "o.jsonl"),
         "--base-url", emulator.base_url, "--debug"],
        env={**env, "ASYNCDAM_PHRASE_TOKEN": "wrong"},
    )  # fmt: skip
    assert isinstance(result.exception, Unauthorized)


def test_pull_twice_second_is_unchanged(
    emulator: Emulator, env: dict[str, str], tmp_path: Path
) -> None:
    dest = tmp_path / "locales"
    args = ["phrase", "pull", "--project", emulator.project, "-d", str(dest)]
    args += ["--base-url", emulator.base_url]
    first = run(args, env)
    assert first.exit_code == 0, first.output
    assert "0 changed" not in first.output
    assert (dest / "en.yml").stat().st_size > 0
    second = run(args, env)
    assert second.exit_code == 0, second.output
    assert "0 changed" in second.output


@pytest.mark.slow
def test_unreachable_host_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    result = run(
        ["phrase", "export", "--project", "p", "-o", str(tmp_path / "o.jsonl"),
         "--base-url", "http://127.0.0.1:1/v2"],
        env,
    )  # fmt: skip
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "cannot reach 127.0.0.1" in lines[0]


def test_push_uploads_and_waits(emulator: Emulator, env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "en.yml"
    source.write_text("en:\n  cli_push_test:\n    greeting: Hello from the CLI\n")
    args = ["phrase", "push", "--project", emulator.project, "--format", "yml", "--locale", "en"]
    args += ["--base-url", emulator.base_url, str(source)]
    before = emulator.requests
    dry = run([*args, "--dry-run"], env)
    assert dry.exit_code == 0 and "upload" in dry.output
    assert emulator.requests == before
    result = run(args, env)
    assert result.exit_code == 0, result.output
    assert "en.yml success" in result.output
    assert "1 file(s) uploaded" in result.output
