"""How the CLI talks to people: rich progress (plain off a terminal), tables, one-line errors."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
import httpx
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from asyncdam.cli.credentials import CredentialError
from asyncdam.engine.errors import (
    APIStatusError,
    AsyncDamError,
    Forbidden,
    NotFound,
    RateLimited,
    TransportError,
    Unauthorized,
)

__all__ = [
    "Reporter",
    "describe_error",
    "fail",
    "guarded",
    "refuse_foreign_dir",
    "refuse_overwrite",
    "stderr_console",
    "stdout_console",
]


def stdout_console() -> Console:
    """The console for results (tables); wide enough off a terminal that CI logs stay tabular."""
    console = Console(soft_wrap=False)
    if not console.is_terminal:
        console = Console(soft_wrap=False, width=max(console.width, 150))
    return console


def stderr_console() -> Console:
    """The console for progress, warnings and errors."""
    return Console(stderr=True)


def describe_error(exc: BaseException, *, what: str = "", not_found: str = "") -> str:
    """One readable line for an error a user can cause (never a secret: URLs are redacted)."""
    prefix = f"{what}: " if what else ""
    if isinstance(exc, CredentialError):
        return f"{prefix}{exc}"
    if isinstance(exc, Unauthorized) and type(exc).__name__ == "PermissionDenied":
        # Phraseanet answers 401 with an envelope when a valid token lacks a right.
        return f"{prefix}the credential's user may not do this (HTTP 401 on {exc.method} {exc.url})"
    if isinstance(exc, Unauthorized):
        return f"{prefix}the credential was rejected (HTTP 401); check the token and its profile"
    if isinstance(exc, Forbidden):
        return f"{prefix}the credential may not do this (HTTP 403 on {exc.method} {exc.url})"
    if isinstance(exc, NotFound):
        return f"{prefix}{not_found or 'not found'} (HTTP 404 on {exc.method} {exc.url})"
    if isinstance(exc, RateLimited):
        return f"{prefix}rate limited by the server (HTTP 429) after {exc.attempts} attempt(s)"
    if isinstance(exc, APIStatusError):
        detail = exc.message or ""
        return f"{prefix}HTTP {exc.status} on {exc.method} {exc.url}" + (
            f": {detail}" if detail else ""
        )
    if isinstance(exc, TransportError):
        host = httpx.URL(exc.url).host if exc.url else "the server"
        return f"{prefix}cannot reach {host or 'the server'} ({type(exc).__name__}: {exc})"
    if isinstance(exc, AsyncDamError | ValueError | OSError):
        return f"{prefix}{exc}"
    return f"{prefix}unexpected {type(exc).__name__}: {exc}"


def refuse_overwrite(path: Path, *, force: bool, resuming: bool, what: str) -> None:
    """Stop (one line, exit 1) before a command replaces an existing file the user did not offer.

    Every command that writes an output file calls this first: the file may be overwritten only
    when the command resumes into it (its resume state exists) or the user passed `--force`.
    """
    if force or resuming:
        return
    if path.is_dir():
        fail(f"{what}: {path} is a directory; give a file name")
    if path.exists():
        fail(
            f"{what}: {path} already exists and no resume state says it belongs to this job; "
            "pass --force to overwrite it, or choose another file"
        )


def refuse_foreign_dir(directory: Path, *, force: bool, state: Path, what: str) -> None:
    """Stop before a command writes into a directory holding files it did not write.

    `state` is the file the command keeps there (e.g. a pull's cache): with it, the directory is
    the command's own and its files may be replaced; without it, any visible file makes this
    refuse unless the user passed `--force`.
    """
    if force or state.exists() or not directory.is_dir():
        return
    if any(not entry.name.startswith(".") for entry in directory.iterdir()):
        fail(
            f"{what}: {directory} already holds files this command did not write; "
            "pass --force to let it replace them, or choose an empty directory"
        )


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `error: message` on stderr and exit with `code`."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextmanager
def guarded(debug: bool, *, what: str = "", not_found: str = "") -> Iterator[None]:
    """Turn expected failures into one line and a non-zero exit; `debug` keeps the traceback."""
    try:
        yield
    except KeyboardInterrupt:
        if debug:
            raise
        fail("interrupted; run the same command again to resume", 130)
    except (AsyncDamError, CredentialError, ValueError, OSError) as exc:
        if debug:
            raise
        fail(describe_error(exc, what=what, not_found=not_found))
    except click.exceptions.Exit:
        raise
    except click.ClickException:
        raise
    except BaseExceptionGroup as group:
        # Task groups wrap a single failure; report the first meaningful one.
        if debug:
            raise
        leaf: BaseException = group
        while isinstance(leaf, BaseExceptionGroup) and leaf.exceptions:
            leaf = leaf.exceptions[0]
        fail(describe_error(leaf, what=what, not_found=not_found))
    except Exception as exc:
        # A bug of ours still deserves one line; --debug shows where it happened.
        if debug:
            raise
        fail(f"{describe_error(exc, what=what)} (rerun with --debug for details)")


class Reporter:
    """Live progress bars on a terminal; on a pipe or CI log, a few plain lines instead."""

    def __init__(self, console: Console | None = None, *, quiet: bool = False) -> None:
        self.console = console or stderr_console()
        self.live = self.console.is_terminal and not quiet
        self.quiet = quiet
        self._progress: Progress | None = None
        self._last_note: dict[Any, int] = {}

    @contextmanager
    def session(self) -> Iterator[Reporter]:
        """Show live bars for the duration of the block (nothing extra when not a terminal)."""
        if not self.live:
            yield self
            return
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        with self._progress:
            yield self
        self._progress = None

    def task(self, description: str, total: int | None = None) -> Callable[[int, int | None], None]:
        """A callback `update(done, total)` for one job's progress."""
        if self._progress is not None:
            progress = self._progress
            task_id = progress.add_task(description, total=total)

            def update(done: int, known_total: int | None) -> None:
                progress.update(task_id, completed=done, total=known_total)

            return update

        def note(done: int, known_total: int | None) -> None:
            # Plain output: a line per quarter of the way, never a line per item.
            if self.quiet or not known_total:
                return
            step = done * 4 // known_total
            if step == 0:
                return
            if step > self._last_note.get(description, -1):
                self._last_note[description] = step
                self.console.print(f"{description}: {done}/{known_total}", highlight=False)

        return note

    def line(self, message: str) -> None:
        """A plain status line (shown unless quiet)."""
        if not self.quiet:
            self.console.print(message, highlight=False)


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A compact table (fits 80 columns), right-aligning every column but the first."""
    out = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for index, name in enumerate(columns):
        if index == 0:
            out.add_column(name, justify="left", no_wrap=True)
        else:
            widest = max(len(part) for part in name.split("\n"))
            out.add_column(name, justify="right", min_width=widest)
    for row in rows:
        out.add_row(*row)
    return out


def show_plan(
    reporter: Reporter, where: str, source: str, fingerprint: str, lines: list[str]
) -> None:
    """What a `--dry-run` would have done: target, credential origin (never the secret), steps."""
    reporter.console.print(f"dry run: nothing is sent to {where}", highlight=False)
    reporter.console.print(f"  credential: {source} (fingerprint {fingerprint})", highlight=False)
    for line in lines:
        reporter.console.print(f"  {line}", highlight=False)
