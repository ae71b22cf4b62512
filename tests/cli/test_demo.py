"""`asyncdam demo`: runs offline to a clean exit, reports each pass, fails loudly on a problem."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

pytest.importorskip("uvicorn")

from asyncdam.cli.demo import DemoRow, ServiceJob, _check, quota_bound
from asyncdam.cli.main import main
from asyncdam.emulator.config import EmulatorConfig


def test_demo_runs_to_a_clean_exit() -> None:
    result = CliRunner().invoke(main, ["demo", "--size", "0.1", "--latency-ms", "2"])
    assert result.exit_code == 0, result.output
    for service in ("phrase", "phraseanet", "openasset"):
        assert f"{service} export" in result.output
        assert f"{service} revalidate" in result.output
    assert "error:" not in result.output
    # The tight-quota job: asyncdam fetched all 60 keys without a 429, the naive gather did not.
    paced = _cells(result.output, "phrase tight: asyncdam")
    naive = _cells(result.output, "phrase tight: naive gather")
    assert paced[:4] == ["60", "60", "0", "0"]  # items, requests, 304s, 429s
    assert int(naive[3]) > 0 and int(naive[0]) < 60
    assert int(naive[0]) + int(naive[3]) == 60
    assert "demo finished" in result.output
    # Off a terminal: a few progress lines, never one per item.
    assert len(result.output.splitlines()) < 80


def _cells(output: str, label: str) -> list[str]:
    """The cells after `label` in the demo table's row for it."""
    (line,) = [row for row in output.splitlines() if row.strip().startswith(label)]
    return line.strip()[len(label) :].split()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size", "-1"], "--size must be above 0"),
        (["--size", "0"], "--size must be above 0"),
        (["--size", "1000"], "at most 10"),
        (["--latency-ms", "-5"], "--latency-ms must be between 0 and 2000"),
    ],
)
def test_bad_demo_options_are_one_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["demo", *args])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: demo:") and message in lines[0]


def test_demo_one_service() -> None:
    result = CliRunner().invoke(
        main, ["demo", "--service", "phrase", "--size", "0.1", "--no-tight-quota"]
    )
    assert result.exit_code == 0, result.output
    assert "phraseanet" not in result.output
    assert "tight" not in result.output
    assert "quota 1000 requests per 300 s" in result.output  # the current service default


def test_quota_bound() -> None:
    assert quota_bound(10, None, None) is None
    assert quota_bound(500, 500, 300.0) == 0.0
    assert quota_bound(501, 500, 300.0) == 300.0
    assert quota_bound(1500, 500, 300.0) == 600.0


def _row(
    job: str, items: int, *, requests: int = 3, not_modified: int = 0, rate_limited: int = 0
) -> DemoRow:
    return DemoRow(
        service="s", job=job, items=items, expected=3, requests=requests,
        not_modified=not_modified, rate_limited=rate_limited, retries=0, throttle_wait=0.0,
        elapsed=0.1, minimum="no quota",
    )  # fmt: skip


def _job(revalidates: bool) -> ServiceJob:
    async def listing(client: object) -> tuple[object, str]:
        raise AssertionError("not called")

    return ServiceJob(
        service="s", config=EmulatorConfig(), make_client=lambda *a: None, open_listing=listing,
        identity=lambda x: x, quota=None, window=None, revalidates=revalidates,
    )  # fmt: skip


def test_check_flags_each_kind_of_problem() -> None:
    ok1, ok2 = _row("export", 3), _row("revalidate", 3, not_modified=3)
    assert _check(_job(True), ok1, [1, 2, 3], ok2, [1, 2, 3]) == []
    throttled = _row("export", 3, rate_limited=1)
    assert "429" in _check(_job(True), throttled, [1, 2, 3], ok2, [1, 2, 3])[0]
    short = _row("export", 2)
    assert "got 2 items" in _check(_job(True), short, [1, 2], ok2, [1, 2])[0]
    problems = _check(_job(True), ok1, [1, 1, 3], ok2, [1, 2, 3])
    assert any("twice" in p for p in problems)
    assert any("same items" in p for p in problems)
    no_304 = _row("revalidate", 3)
    assert "304" in _check(_job(True), ok1, [1, 2, 3], no_304, [1, 2, 3])[0]
    assert _check(_job(False), ok1, [1, 2, 3], no_304, [1, 2, 3]) == []


def test_demo_fails_with_one_line_when_a_check_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import attrs

    from asyncdam.cli import demo as demo_module

    real = demo_module._phrase_job

    def lossy(latency_ms: float, size: float) -> ServiceJob | None:
        job = real(latency_ms, size)
        assert job is not None
        # Every key looks like the same item: the demo must notice "delivered twice".
        return attrs.evolve(job, identity=lambda key: "same")

    monkeypatch.setattr(demo_module, "_phrase_job", lossy)
    result = CliRunner().invoke(
        main, ["demo", "--service", "phrase", "--size", "0.05", "--no-tight-quota"]
    )
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "delivered twice" in errors[0]
