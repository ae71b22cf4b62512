"""The shared export pieces: option bundle, resume path, safe file names, the shared options."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from asyncdam.cli.export import ExportArgs, export_options, safe_name
from asyncdam.cli.jobs import ResumeState, save_resume


def _args(**overrides: object) -> ExportArgs:
    values: dict[str, object] = {
        "output": Path("out/items.jsonl"),
        "resume_file": None,
        "download_dir": None,
        "concurrency": 2,
        "dry_run": False,
        "profile": None,
        "base_url": None,
        "token_insecure": "s3cr3t-token",
        "debug": False,
    }
    values.update(overrides)
    return ExportArgs(**values)  # type: ignore[arg-type]


def test_resume_defaults_beside_output_and_honours_the_option() -> None:
    assert _args().resume == Path("out/items.jsonl.resume.json")
    assert _args(resume_file=Path("r.json")).resume == Path("r.json")


def test_repr_hides_the_insecure_token() -> None:
    assert "s3cr3t-token" not in repr(_args())


def test_safe_name_keeps_no_path_or_leading_dot() -> None:
    assert safe_name("../../etc/passwd") == "_.._etc_passwd"
    assert safe_name("...") == "_"
    assert safe_name("photo 1.jpg") == "photo_1.jpg"
    assert "/" not in safe_name("a/b\\c")


def test_export_options_bundle_the_shared_options() -> None:
    seen: list[tuple[ExportArgs, str]] = []

    @click.command()
    @click.option("--extra", default="x")
    @export_options(download_help="files")
    def cmd(args: ExportArgs, extra: str) -> None:
        seen.append((args, extra))

    result = CliRunner().invoke(
        cmd, ["-o", "a.jsonl", "--download", "d", "--concurrency", "5", "--extra", "y"]
    )
    assert result.exit_code == 0, result.output
    args, extra = seen[0]
    assert (args.output, args.download_dir, args.concurrency, extra) == (
        Path("a.jsonl"),
        Path("d"),
        5,
        "y",
    )
    assert not args.dry_run and args.token_insecure is None


def test_download_option_only_when_asked() -> None:
    @click.command()
    @export_options()
    def cmd(args: ExportArgs) -> None:
        """No files."""

    result = CliRunner().invoke(cmd, ["-o", "a.jsonl", "--download", "d"])
    assert result.exit_code != 0 and "--download" in result.output


@pytest.mark.skipif(os.name != "posix", reason="file modes are a POSIX matter")
def test_resume_files_are_owner_only(tmp_path: Path) -> None:
    """A resume file holds a cursor into a tenant's data: nobody else may read it."""
    old_umask = os.umask(0o022)
    try:
        path = tmp_path / "out.jsonl.resume.json"
        save_resume(path, ResumeState(cursor={"page": 2}, offset=10, count=3, job="j"))
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
