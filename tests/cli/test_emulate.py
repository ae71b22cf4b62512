"""`asyncdam emulate`: the printed URL, a served emulator, clean stops, readable argument errors."""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from asyncdam.cli.main import main
from asyncdam.emulator import registry

PYTHON = sys.executable
FAKE_CLI = str(Path(__file__).with_name("fake_cli.py"))
MODULE_CLI = ["-m", "asyncdam.cli.main"]
READY_TIMEOUT_S = 30.0


def read_line(proc: subprocess.Popen[str], timeout: float = READY_TIMEOUT_S) -> str:
    """The first stdout line, or a failure showing stderr if none comes in time."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            proc.kill()
            pytest.fail("the emulator printed no URL in time")
    line = proc.stdout.readline()
    if not line:
        _out, err = proc.communicate(timeout=10)
        pytest.fail(f"the emulator exited with {proc.returncode}: {err}")
    return line.rstrip("\n")


@contextlib.contextmanager
def emulate(
    *args: str, cli: list[str] | None = None, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Run `asyncdam emulate ARGS` in a subprocess; yield it and its URL; kill leftovers."""
    command = [PYTHON, *(cli if cli is not None else [FAKE_CLI]), "emulate", *args]
    proc = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        yield proc, read_line(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[int, str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=15)
    return proc.returncode, out, err


def test_prints_its_url_serves_and_stops_cleanly() -> None:
    args = ["phrase", "--seed", "5", "--quota", "7", "--window", "60", "--concurrency", "3"]
    args += ["--latency", "1", "--error-rate", "0", "--token", "cli-secret-1"]
    with emulate(*args) as (proc, url):
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v2", url)
        ok = httpx.get(url + "/whoami", headers={"Authorization": "token cli-secret-1"})
        assert ok.status_code == 200
        settings = ok.json()
        assert (settings["seed"], settings["quota"], settings["window"]) == (5, 7, 60.0)
        assert settings["concurrency"] == 3
        assert settings["faults"]["latency_ms"] == 1.0 and settings["faults"]["seed"] == 5
        denied = httpx.get(url + "/whoami", headers={"Authorization": "token other"})
        assert denied.status_code == 401
        code, out, err = stop(proc)
    assert code == 0
    assert out == ""  # the URL was the one and only line
    assert "cli-secret-1" not in err and "Traceback" not in err


def test_token_from_environment_and_sigint() -> None:
    env = {"ASYNCDAM_EMULATOR_TOKEN": "env-secret-2"}
    with emulate("phrase", env=env) as (proc, url):
        response = httpx.get(url + "/whoami", headers={"Authorization": "token env-secret-2"})
        assert response.status_code == 200
        code, _out, err = stop(proc, signal.SIGINT)
    assert code == 0 and "Traceback" not in err


def test_explicit_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with emulate("phrase", "--port", str(port)) as (proc, url):
        assert url == f"http://127.0.0.1:{port}/v2"
        assert stop(proc)[0] == 0


def test_busy_port_is_one_readable_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = subprocess.run(  # noqa: S603
            [PYTHON, FAKE_CLI, "emulate", "phrase", "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: cannot listen on 127.0.0.1:")
    assert len(result.stderr.splitlines()) == 1


MISSING_DEPENDENCIES = """
import sys
sys.modules["starlette"] = None
sys.modules["uvicorn"] = None
sys.argv = ["asyncdam", "emulate", "phrase"]
from asyncdam.cli.main import main
main()
"""


def test_missing_emulator_dependencies() -> None:
    result = subprocess.run(  # noqa: S603
        [PYTHON, "-c", MISSING_DEPENDENCIES], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: starlette and uvicorn not installed; install 'asyncdam[emulator]'"
    ]


UNAUTHENTICATED = {
    "phrase": ("/projects", {401}),
    "phraseanet": ("/api/v1/databoxes/list/", {400, 401}),
    "openasset": ("/REST/1/NoSuchNoun", {404}),
}


@pytest.mark.parametrize("service", registry.SERVICES)
def test_real_service_emulators(service: str) -> None:
    if not registry.is_available(service):
        pytest.skip(f"the {service} emulator package is not ready")
    token = "ID7:cli-secret-3" if service == "openasset" else "cli-secret-3"
    with emulate(service, "--seed", "1", "--token", token, cli=MODULE_CLI) as (proc, url):
        prefix = "/v2" if service == "phrase" else ""
        assert re.fullmatch(rf"http://127\.0\.0\.1:\d+{prefix}", url)
        path, statuses = UNAUTHENTICATED[service]
        response = httpx.get(url + path, headers={"User-Agent": "asyncdam-tests"})
        assert response.status_code in statuses
        code, out, err = stop(proc)
    assert code == 0 and out == ""
    assert "cli-secret-3" not in err


# --- argument errors, in-process (click) --------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["emulate", "dropbox"], "Invalid value for '{phrase|phraseanet|openasset}'"),
        (["emulate"], "Missing argument"),
        (["emulate", "phrase", "--error-rate", "1.5"], "--error-rate"),
        (["emulate", "phrase", "--reset-rate", "-0.1"], "--reset-rate"),
        (["emulate", "phrase", "--port", "70000"], "--port"),
        (["emulate", "phrase", "--latency", "-5"], "--latency"),
        (["emulate", "phrase", "--quota", "0"], "--quota"),
        (["emulate", "phrase", "--seed", "abc"], "--seed"),
        (["emulate", "phrase", "--host", "0.0.0.0"], "without --public"),  # noqa: S104
        (["emulate", "phrase", "--token", "  "], "--token must not be empty"),
        (["emulate", "phrase", "--no-such-option"], "No such option"),
    ],
)
def test_bad_arguments(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_group_lists_emulate() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0 and "emulate" in result.output
    assert CliRunner().invoke(main, ["--version"]).exit_code == 0
