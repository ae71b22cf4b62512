"""The committed generated code is exactly what the generator makes from the spec."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

from .conftest import REPO, SPEC_PATH, load_spec


def _tree(root: Path) -> set[str]:
    files = {p.relative_to(root).as_posix() for p in (root / "resources").rglob("*.py")}
    return files | {"models.py"}


def test_generated_code_has_not_drifted(tmp_path: Path) -> None:
    load_spec()  # skips when the spec is absent
    out = tmp_path / "phrase"
    out.mkdir()
    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(REPO / "tools" / "generate_phrase.py"),
            "--out",
            str(out),
            "--spec",
            str(SPEC_PATH),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "generated 287 operations" in done.stdout
    committed = REPO / "asyncdam" / "phrase"
    assert _tree(out) == _tree(committed)
    changed = [
        name
        for name in sorted(_tree(out))
        if not filecmp.cmp(out / name, committed / name, shallow=False)
    ]
    assert not changed, f"regenerate with tools/generate_phrase.py: {changed}"
