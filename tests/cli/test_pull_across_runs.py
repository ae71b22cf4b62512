"""`asyncdam phrase pull` run twice as two processes: the second still revalidates for free.

Cache keys carry a keyed tag of the credential, and each process draws its own random key secret
unless one is configured; the pull's cache file keeps a secret so separate runs agree.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.registry import create_app
from asyncdam.emulator.runner import EmulatorServer
from asyncdam.engine.keys import KEY_SECRET_ENV

TOKEN = "pull-across-runs-token"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    config = EmulatorConfig(seed=5, token=TOKEN, size=0.1)
    with EmulatorServer("phrase", config, app=create_app("phrase", config)) as server:
        yield server.origin + "/v2"


def _project(base_url: str) -> str:
    import httpx

    headers = {"Authorization": f"token {TOKEN}", "User-Agent": "asyncdam-tests (t@example.com)"}
    return str(httpx.get(base_url + "/projects", headers=headers).json()[0]["id"])


def _pull(base_url: str, project: str, dest: Path, env: dict[str, str]) -> str:
    cmd = [sys.executable, "-m", "asyncdam.cli.main", "phrase", "pull", "--project", project]
    cmd += ["-d", str(dest), "--base-url", base_url]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_second_process_pull_is_unchanged_without_a_configured_secret(
    base_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != KEY_SECRET_ENV}
    env |= {"ASYNCDAM_PHRASE_TOKEN": TOKEN, "ASYNCDAM_CONFIG": str(tmp_path / "none.toml")}
    env["ASYNCDAM_PROFILE"] = ""
    project = _project(base_url)
    dest = tmp_path / "locales"
    first = _pull(base_url, project, dest, env)
    assert "0 changed" not in first
    second = _pull(base_url, project, dest, env)
    assert " 0 changed" in second, second
    cache = dest / ".asyncdam-cache.sqlite"
    if os.name == "posix":
        assert stat.S_IMODE(cache.stat().st_mode) == 0o600
