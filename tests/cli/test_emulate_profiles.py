"""`asyncdam emulate --quirks` and the hostile-deployment fault options reach the EmulatorConfig."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from asyncdam.cli.main import main
from asyncdam.emulator import runner
from asyncdam.emulator.config import QUIRK_KINDS, EmulatorConfig


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[EmulatorConfig]:
    """Configs `run_forever` would have served (nothing is served)."""
    seen: list[EmulatorConfig] = []

    def fake_run_forever(service: str, config: EmulatorConfig, *args: Any, **kw: Any) -> int:
        seen.append(config)
        return 0

    monkeypatch.setattr(runner, "run_forever", fake_run_forever)
    return seen


def test_defaults_are_polite(captured: list[EmulatorConfig]) -> None:
    result = CliRunner().invoke(main, ["emulate", "phraseanet"])
    assert result.exit_code == 0, result.output
    (config,) = captured
    assert not config.quirks.active and not config.faults.active


def test_quirks_and_hostile_faults(captured: list[EmulatorConfig]) -> None:
    args = ["emulate", "openasset", "--seed", "9", "--quirks", "--quirk-rate", "0.5"]
    args += ["--quirk-kinds", "php_empty, numeric_strings", "--redirect-rate", "0.1"]
    args += ["--offsite-redirect-rate", "0.1", "--offsite-origin", "https://other.invalid"]
    args += ["--oversize-rate", "0.1", "--oversize-bytes", "1000", "--bomb-rate", "0.1"]
    args += ["--bomb-bytes", "5000", "--drip-rate", "0.1", "--drip-interval-ms", "5"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (config,) = captured
    assert config.quirks.active and config.quirks.rate == 0.5
    assert config.quirks.kinds == {"php_empty", "numeric_strings"}
    faults = config.faults
    assert (faults.redirect_rate, faults.offsite_redirect_rate) == (0.1, 0.1)
    assert faults.offsite_origin == "https://other.invalid"
    assert (faults.oversize_bytes, faults.bomb_bytes, faults.drip_interval_ms) == (1000, 5000, 5)
    assert faults.seed == 9 and faults.active


def test_all_quirk_kinds_by_default(captured: list[EmulatorConfig]) -> None:
    assert CliRunner().invoke(main, ["emulate", "phrase", "--quirks"]).exit_code == 0
    assert captured[0].quirks.kinds == set(QUIRK_KINDS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quirk-kinds", "php_empty,nonsense"], "unknown quirk kind(s) nonsense"),
        (["--redirect-rate", "0.6", "--drip-rate", "0.6"], "add up to 1.2"),
        (["--offsite-origin", "elsewhere"], "offsite_origin must be an absolute"),
        (["--bomb-bytes", "0"], "--bomb-bytes"),
    ],
)
def test_bad_profile_arguments(
    captured: list[EmulatorConfig], args: list[str], message: str
) -> None:
    result = CliRunner().invoke(main, ["emulate", "phrase", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not captured
