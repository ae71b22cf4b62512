"""Interruption: `asyncdam <service> export` SIGKILLed at random points, then resumed.

The CLI runs as a real subprocess against a loopback emulator. It is killed several times, each
time once its output has grown past a randomly drawn (seeded) number of lines, and rerun with the
same output and resume file. The final output must list every item exactly once, in order.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("uvicorn")

from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.emulator.registry import create_app
from asyncdam.emulator.runner import EmulatorServer

pytestmark = pytest.mark.slow

TOKENS = {
    "phrase": "interrupt-phrase-token",
    "phraseanet": "interrupt-phraseanet-token",
    "openasset": "5:interrupt-openasset-secret",
}
SIZES = {"phrase": 0.3, "phraseanet": 0.3, "openasset": 0.3}
KILLS = 3


class Served:
    """A loopback emulator plus how to run the CLI export against it."""

    def __init__(self, service: str, server: EmulatorServer) -> None:
        self.service = service
        self.origin = server.origin
        self.base_url = server.origin + ("/v2" if service == "phrase" else "")
        self.extra: list[str] = []
        if service == "phrase":
            headers = {"Authorization": f"token {TOKENS[service]}", "User-Agent": "tests"}
            projects = httpx.get(self.base_url + "/projects", headers=headers).json()
            self.extra = ["--project", projects[0]["id"]]

    def command(self, out: Path) -> list[str]:
        cmd = [sys.executable, "-m", "asyncdam.cli.main", self.service, "export"]
        return [*cmd, *self.extra, "-o", str(out), "--base-url", self.base_url]

    def env(self, tmp_path: Path) -> dict[str, str]:
        return {
            **os.environ,
            f"ASYNCDAM_{self.service.upper()}_TOKEN": TOKENS[self.service],
            "ASYNCDAM_CONFIG": str(tmp_path / "none.toml"),
            "ASYNCDAM_PROFILE": "",
        }


@pytest.fixture(scope="module", params=sorted(TOKENS))
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    service = str(request.param)
    # Some latency so a kill lands mid-listing rather than after the last page.
    faults = FaultConfig(latency_ms=8, jitter_ms=6, seed=4)
    config = EmulatorConfig(
        seed=4, token=TOKENS[service], size=SIZES[service], quota=10**9, faults=faults
    )
    app = create_app(service, config)
    with EmulatorServer(service, config, app=app) as server:
        yield Served(service, server)


def key(service: str, row: dict[str, Any]) -> str:
    if service == "phraseanet":
        return f"{row['databox_id']}/{row['record_id']}"
    return str(row["id"])


def keys(service: str, path: Path) -> list[str]:
    """Item keys of a JSONL export; a torn last line would fail json.loads, as it should."""
    if not path.exists():
        return []
    return [key(service, json.loads(line)) for line in path.read_text().splitlines()]


def line_count(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def test_sigkilled_export_resumes_to_every_item_once(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = served.env(tmp_path)
    full = tmp_path / "full.jsonl"
    done = subprocess.run(served.command(full), env=env, capture_output=True, timeout=120)  # noqa: S603
    assert done.returncode == 0, done.stderr
    expected = keys(served.service, full)
    assert len(expected) > 300 and len(set(expected)) == len(expected)

    out = tmp_path / "part.jsonl"
    rng = random.Random(f"interrupt-{served.service}")
    thresholds = sorted(rng.sample(range(1, len(expected) - 50), KILLS))
    killed = 0
    for threshold in thresholds:
        proc = subprocess.Popen(  # noqa: S603
            served.command(out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while line_count(out) < threshold and proc.poll() is None:
            assert time.monotonic() < deadline, "export made no progress"
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if proc.returncode == -signal.SIGKILL:
            killed += 1
    final = subprocess.run(served.command(out), env=env, capture_output=True, timeout=120)  # noqa: S603
    assert final.returncode == 0, final.stderr
    got = keys(served.service, out)
    duplicates = len(got) - len(set(got))
    losses = len(set(expected) - set(got))
    with capsys.disabled():
        print(
            f"\n[interrupt {served.service}] items={len(got)} kills={killed} "
            f"at_lines={thresholds} losses={losses} duplicates={duplicates}"
        )
    assert killed >= 2
    assert got == expected
