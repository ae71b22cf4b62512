"""The CLI's rough edges: each bad input gives one clear line and a non-zero exit, never a trace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

pytest.importorskip("uvicorn")

from asyncdam.cli.credentials import CredentialError, resolve
from asyncdam.cli.main import main
from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.runner import EmulatorServer

TOKEN = "rough-edges-token"
UA = "asyncdam-tests (tests@example.com)"


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, str]]:
    """A Phrase emulator on loopback: (base URL, a project id)."""
    config = EmulatorConfig(seed=5, token=TOKEN, size=0.05)
    with EmulatorServer("phrase", config) as served:
        base = served.origin + "/v2"
        headers = {"Authorization": f"token {TOKEN}", "User-Agent": UA}
        project = httpx.get(base + "/projects", headers=headers).json()[0]["id"]
        yield base, project


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "ASYNCDAM_PHRASE_TOKEN": TOKEN,
        "ASYNCDAM_CONFIG": str(tmp_path / "none.toml"),
        "ASYNCDAM_PROFILE": "",
    }


def run(args: list[str], env: dict[str, str]) -> Any:
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def one_error_line(result: Any) -> str:
    """The single `error:` line of a failed run (and that nothing else was printed)."""
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    return str(lines[0])


def test_pull_of_an_unknown_locale_names_the_locale(
    server: tuple[str, str], env: dict[str, str], tmp_path: Path
) -> None:
    base, project = server
    args = ["phrase", "pull", "--project", project, "-d", str(tmp_path / "l"), "--locale", "xx"]
    line = one_error_line(run([*args, "--base-url", base], env))
    assert "unknown locale 'xx'" in line
    assert "unknown project" not in line
    assert not list((tmp_path / "l").glob("*.yml"))  # nothing was downloaded


def test_pull_of_a_known_locale_by_name_still_works(
    server: tuple[str, str], env: dict[str, str], tmp_path: Path
) -> None:
    base, project = server
    args = ["phrase", "pull", "--project", project, "-d", str(tmp_path / "l"), "--locale", "en"]
    result = run([*args, "--base-url", base], env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "l" / "en.yml").exists()


def test_pull_of_an_unknown_project_says_so(
    server: tuple[str, str], env: dict[str, str], tmp_path: Path
) -> None:
    base, _ = server
    args = ["phrase", "pull", "--project", "nope", "-d", str(tmp_path), "--locale", "en"]
    assert "unknown project 'nope'" in one_error_line(run([*args, "--base-url", base], env))


@pytest.mark.parametrize(
    "url", ["https://api.example.com:99999/v2", "http://[::1/v2", "ftp://api.example.com/v2", "v2"]
)
def test_a_malformed_base_url_variable_is_one_line(
    url: str, env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "ASYNCDAM_PHRASE_BASE_URL": url}
    args = ["phrase", "export", "--project", "p", "-o", str(tmp_path / "o.jsonl")]
    line = one_error_line(run(args, env))
    assert "$ASYNCDAM_PHRASE_BASE_URL" in line
    assert "unexpected" not in line and "Overflow" not in line


def test_a_non_ascii_token_is_one_line_without_the_token(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "ASYNCDAM_PHRASE_TOKEN": "tøken-sécret"}
    args = ["phrase", "export", "--project", "p", "-o", str(tmp_path / "o.jsonl")]
    line = one_error_line(run([*args, "--base-url", "https://api.example.com/v2"], env))
    assert "non-ASCII" in line and "$ASYNCDAM_PHRASE_TOKEN" in line
    assert "sécret" not in line and "codec" not in line


def test_a_numeric_token_in_the_config_file_is_read_as_a_token(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[default.phrase]\ntoken = 1234567890\n")
    creds = resolve("phrase", environ={"ASYNCDAM_CONFIG": str(config)})
    assert creds.token == "1234567890"


@pytest.mark.parametrize(("value", "kind"), [("1.5", "a number"), ("true", "a boolean")])
def test_a_token_of_another_type_is_refused_clearly(value: str, kind: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"[default.phrase]\ntoken = {value}\n")
    with pytest.raises(CredentialError, match=f"token under .* must be a string, not {kind}"):
        resolve("phrase", environ={"ASYNCDAM_CONFIG": str(config)})


def test_an_existing_output_is_not_overwritten_silently(
    server: tuple[str, str], env: dict[str, str], tmp_path: Path
) -> None:
    base, project = server
    out = tmp_path / "keys.jsonl"
    out.write_text("precious\n")
    args = ["phrase", "export", "--project", project, "-o", str(out), "--base-url", base]
    line = one_error_line(run(args, env))
    assert "already exists" in line and "--force" in line
    assert out.read_text() == "precious\n"
    # The dry run says the same before anything else.
    one_error_line(run([*args, "--dry-run"], env))
    forced = run([*args, "--force"], env)
    assert forced.exit_code == 0, forced.output
    assert out.read_text() != "precious\n"


def test_a_finished_export_is_not_replaced_by_a_rerun(
    server: tuple[str, str], env: dict[str, str], tmp_path: Path
) -> None:
    base, project = server
    out = tmp_path / "keys.jsonl"
    args = ["phrase", "export", "--project", project, "-o", str(out), "--base-url", base]
    assert run(args, env).exit_code == 0
    first = out.read_bytes()
    assert "already exists" in one_error_line(run(args, env))
    assert out.read_bytes() == first


def test_openasset_filter_on_an_unknown_field_is_refused(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "ASYNCDAM_OPENASSET_TOKEN": "1:secret"}
    args = ["openasset", "export", "-o", str(tmp_path / "f.jsonl"), "--filter", "bogus=1"]
    result = run([*args, "--base-url", "https://oa.example.com", "--dry-run"], env)
    assert result.exit_code == 2
    assert "files have no field 'bogus'" in result.output
    known = run(
        ["openasset", "export", "-o", str(tmp_path / "g.jsonl"), "--filter", "filename=a.jpg",
         "--base-url", "https://oa.example.com", "--dry-run"],
        env,
    )  # fmt: skip
    assert known.exit_code == 0, known.output


@pytest.mark.parametrize("command", ["export", "pull", "push"])
def test_a_blank_project_is_refused(command: str, env: dict[str, str], tmp_path: Path) -> None:
    extra = {
        "export": ["-o", str(tmp_path / "o.jsonl")],
        "pull": ["-d", str(tmp_path)],
        "push": ["--format", "yml", "--locale", "en", __file__],
    }[command]
    result = run(["phrase", command, "--project", " ", *extra], env)
    assert result.exit_code == 2
    assert "'--project': must not be empty" in result.output


def test_openasset_size_id_must_be_positive(env: dict[str, str], tmp_path: Path) -> None:
    env = {**env, "ASYNCDAM_OPENASSET_TOKEN": "1:secret"}
    args = ["openasset", "export", "-o", str(tmp_path / "f.jsonl"), "--size", "0"]
    result = run([*args, "--base-url", "https://oa.example.com", "--dry-run"], env)
    assert result.exit_code == 2
    assert "--size" in result.output


def test_pull_into_a_directory_it_did_not_write_needs_force(
    server: tuple[str, str], env: dict[str, str], tmp_path: Path
) -> None:
    base, project = server
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "en.yml").write_text("my own work\n")
    args = ["phrase", "pull", "--project", project, "-d", str(dest), "--base-url", base]
    line = one_error_line(run([*args, "--locale", "en"], env))
    assert "did not write" in line and "--force" in line
    assert (dest / "en.yml").read_text() == "my own work\n"
    forced = run([*args, "--locale", "en", "--force"], env)
    assert forced.exit_code == 0, forced.output
    # From now on the directory is the pull's own: a second pull needs no --force.
    assert run([*args, "--locale", "en"], env).exit_code == 0
