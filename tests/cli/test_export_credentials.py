"""Where the CLI's credentials come from: env, config profiles, the insecure argument; no leaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncdam.cli.credentials import CredentialError, config_path, resolve

CONFIG = """
[default.phrase]
token = "cfg-default-phrase"

[work.phrase]
token = "cfg-work-phrase"
base_url = "https://api.us.app.phrase.com/v2"

[work.openasset]
token = "12:cfg-secret"
base_url = "https://acme.openasset.com"
"""


@pytest.fixture
def cfg(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    return {"ASYNCDAM_CONFIG": str(path)}


def test_environment_beats_config(cfg: dict[str, str]) -> None:
    creds = resolve("phrase", environ={**cfg, "ASYNCDAM_PHRASE_TOKEN": "from-env"})
    assert (creds.token, creds.source) == ("from-env", "$ASYNCDAM_PHRASE_TOKEN")


def test_default_profile_then_named_profile(cfg: dict[str, str]) -> None:
    assert resolve("phrase", environ=cfg).token == "cfg-default-phrase"
    work = resolve("phrase", profile="work", environ=cfg)
    assert work.token == "cfg-work-phrase"
    assert work.base_url == "https://api.us.app.phrase.com/v2"
    assert "[work.phrase]" in work.source
    via_env = resolve("phrase", environ={**cfg, "ASYNCDAM_PROFILE": "work"})
    assert via_env.token == "cfg-work-phrase"


def test_base_url_precedence(cfg: dict[str, str]) -> None:
    env = {**cfg, "ASYNCDAM_PHRASE_BASE_URL": "http://127.0.0.1:9/v2"}
    assert resolve("phrase", profile="work", environ=env).base_url == "http://127.0.0.1:9/v2"
    flag = resolve("phrase", profile="work", environ=env, base_url="http://x.test/v2")
    assert flag.base_url == "http://x.test/v2"


def test_openasset_pair(cfg: dict[str, str]) -> None:
    assert resolve("openasset", profile="work", environ=cfg).openasset_pair() == (
        "12",
        "cfg-secret",
    )
    bad = resolve("openasset", environ={**cfg, "ASYNCDAM_OPENASSET_TOKEN": "no-colon"})
    with pytest.raises(CredentialError, match="ID:SECRET") as info:
        bad.openasset_pair()
    assert "no-colon" not in str(info.value)


def test_insecure_argument_warns(cfg: dict[str, str]) -> None:
    warnings: list[str] = []
    creds = resolve("phrase", environ=cfg, insecure_token="argv-token", warn=warnings.append)
    assert creds.token == "argv-token" and creds.source == "--token-insecure"
    assert len(warnings) == 1 and "visible" in warnings[0]
    assert "argv-token" not in warnings[0]


def test_missing_and_broken(tmp_path: Path, cfg: dict[str, str]) -> None:
    empty = {"ASYNCDAM_CONFIG": str(tmp_path / "absent.toml")}
    with pytest.raises(CredentialError, match="ASYNCDAM_PHRASEANET_TOKEN"):
        resolve("phraseanet", environ=empty)
    with pytest.raises(CredentialError, match="profile 'work'"):
        resolve("phrase", profile="work", environ=empty)
    with pytest.raises(CredentialError, match=r"\[work.phraseanet\]"):
        resolve("phraseanet", profile="work", environ=cfg)
    broken = tmp_path / "broken.toml"
    broken.write_text('[default.phrase]\ntoken = "secret-in-a-broken-file\n')
    with pytest.raises(CredentialError, match="not valid TOML") as info:
        resolve("phrase", environ={"ASYNCDAM_CONFIG": str(broken)})
    assert "secret-in-a-broken-file" not in str(info.value)


def test_repr_hides_the_secret(cfg: dict[str, str]) -> None:
    creds = resolve("phrase", environ=cfg)
    assert "cfg-default-phrase" not in repr(creds)
    assert creds.fingerprint and creds.fingerprint not in "cfg-default-phrase"


def test_config_path_follows_xdg(tmp_path: Path) -> None:
    path = config_path({"XDG_CONFIG_HOME": str(tmp_path)})
    assert path == tmp_path / "asyncdam" / "config.toml"
