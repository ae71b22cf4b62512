"""Shared machinery of the bulk export jobs: JSON Lines output, an atomic resume file, the loop.

Crash safety rests on one ordering. After each batch of items the output file is flushed and
fsynced *first*, then the resume file (paginator cursor + the byte offset of the output) is
replaced atomically. A crash between the two leaves extra lines past the recorded offset; on resume
the output is truncated back to that offset and the listing restarts from the matching cursor, so
no item is lost or written twice, even after SIGKILL.
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TypeGuard

import attrs

from asyncdam.engine.consistency import InvalidCursorError
from asyncdam.engine.errors import ConfigurationError

__all__ = [
    "ExportResult",
    "JsonLinesWriter",
    "ResumeFileError",
    "ResumeState",
    "load_resume",
    "record_field_id",
    "run_export",
    "save_resume",
    "to_jsonable",
]

RESUME_VERSION = 1
_RESUME_FIELDS = frozenset({"v", "job", "cursor", "offset", "count"})
_MAX_OFFSET = 1 << 53


class ResumeFileError(ConfigurationError):
    """A resume file is unreadable, malformed, impossible, or disagrees with the output file.

    Raised before the output file is opened for writing: a bad resume file never costs a line
    already written.
    """


class CursorSource(Protocol):
    """What `run_export` iterates: an async iterator of items with a JSON-able `.cursor`."""

    @property
    def cursor(self) -> dict[str, Any]:
        """Resume point just after the last item handed out."""

    @property
    def total(self) -> int | None:
        """Total item count once known."""

    def __aiter__(self) -> AsyncIterator[Any]:
        """The items, in order."""


def to_jsonable(value: Any) -> Any:
    """Plain JSON data from an attrs model (unknown fields in `extra` merged back in)."""
    if attrs.has(type(value)):
        out: dict[str, Any] = {}
        extra: Any = None
        for field in attrs.fields(type(value)):
            item = getattr(value, field.name)
            if field.name == "extra":
                extra = item
                continue
            if field.name == "problems" and not item:
                continue  # decoding bookkeeping: only worth a key when something did not fit
            if item is not None:
                out[field.name] = to_jsonable(item)
        if isinstance(extra, Mapping):
            for key, item in extra.items():
                out.setdefault(str(key), to_jsonable(item))
        return out
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


@attrs.frozen
class ResumeState:
    """What the resume file holds: the listing's cursor, the output offset, items written so far."""

    cursor: dict[str, Any]
    offset: int
    count: int
    job: str = ""


def _natural(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _MAX_OFFSET


def load_resume(path: Path) -> ResumeState | None:
    """The recorded state, or None when there is no resume file (a fresh start).

    Every field is checked here (`ResumeFileError` names the bad one); the cursor itself is
    checked by the listing it belongs to, still before anything is written.
    """
    try:
        raw = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ResumeFileError(f"unreadable resume file {path}: {exc}") from None
    if not isinstance(raw, dict) or raw.get("v") != RESUME_VERSION:
        raise ResumeFileError(f"resume file {path} is not in a format this version understands")
    extra = set(raw) - _RESUME_FIELDS
    if extra:
        raise ResumeFileError(f"resume file {path} has unknown field(s) {sorted(extra)}")
    cursor, offset, count, job = (
        raw.get("cursor"),
        raw.get("offset"),
        raw.get("count"),
        raw.get("job", ""),
    )
    if not isinstance(cursor, dict):
        raise ResumeFileError(f"resume file {path}: 'cursor' must be an object")
    if not _natural(offset):
        raise ResumeFileError(
            f"resume file {path}: 'offset' must be a byte offset >= 0, got {offset!r}"
        )
    if not _natural(count):
        raise ResumeFileError(
            f"resume file {path}: 'count' must be an item count >= 0, got {count!r}"
        )
    if not isinstance(job, str):
        raise ResumeFileError(f"resume file {path}: 'job' must be a string")
    if (offset == 0) != (count == 0) or 2 * count > offset:
        raise ResumeFileError(
            f"resume file {path}: {count} item(s) cannot take {offset} byte(s) of output"
        )
    if cursor.get("done"):
        # A finished export removes its resume file: a "done" cursor here would end the job
        # "successfully" without the items after the recorded offset.
        raise ResumeFileError(
            f"resume file {path} claims a finished listing, which leaves no resume file; "
            "remove it (and the output) to export again"
        )
    return ResumeState(cursor=cursor, offset=offset, count=count, job=job)


def _committed_ids(
    output: Path, state: ResumeState, record_id: Callable[[Any], object]
) -> Iterator[object]:
    """The ids of the records up to the recorded offset, checking the lines are intact."""
    try:
        handle = output.open("rb")
    except FileNotFoundError:
        raise ResumeFileError(
            f"{output} is missing but the resume file records {state.count} item(s) in it"
        ) from None
    with handle:
        size = handle.seek(0, os.SEEK_END)
        if size < state.offset:
            raise ResumeFileError(
                f"{output} is shorter ({size} bytes) than the resume file records "
                f"({state.offset}); it was changed since, so the job cannot resume safely"
            )
        handle.seek(0)
        remaining, lines = state.offset, 0
        for line in handle:
            if remaining <= 0:
                break
            remaining -= len(line)
            if remaining < 0 or not line.endswith(b"\n"):
                raise ResumeFileError(
                    f"{output}: the recorded offset {state.offset} is not at a line end"
                )
            lines += 1
            try:
                record = json.loads(line)
            except ValueError:
                raise ResumeFileError(f"{output}: line {lines} is not JSON") from None
            yield record_id(record)
        if lines != state.count:
            raise ResumeFileError(
                f"{output} holds {lines} line(s) up to the recorded offset, the resume file "
                f"says {state.count}"
            )


def record_field_id(record: Any) -> object:
    """A written record's `"id"` (None when it has none): what most listings dedupe on."""
    return record.get("id") if isinstance(record, dict) else None


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not every platform lets a directory be opened.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_resume(path: Path, state: ResumeState) -> None:
    """Replace the resume file atomically (temp file, fsync, rename, fsync of the directory)."""
    body = {
        "v": RESUME_VERSION,
        "job": state.job,
        "cursor": state.cursor,
        "offset": state.offset,
        "count": state.count,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(body, fh, separators=(",", ":"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _remove(path: Path) -> None:
    """Delete `path` if present (the job is complete; its resume state is no longer needed)."""
    path.unlink(missing_ok=True)


class JsonLinesWriter:
    """Appends one JSON object per line; `commit()` makes everything so far durable."""

    def __init__(self, path: Path, *, truncate_to: int | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: BinaryIO
        if truncate_to is None:
            self._fh = path.open("wb")
        else:
            self._fh = path.open("r+b") if path.exists() else path.open("w+b")
            size = self._fh.seek(0, os.SEEK_END)
            if size < truncate_to:
                self._fh.close()
                raise ValueError(
                    f"{path} is shorter ({size} bytes) than the resume file records "
                    f"({truncate_to}); it was changed since, so the job cannot resume safely"
                )
            # Lines past the recorded offset were written after the last commit: drop them.
            self._fh.truncate(truncate_to)
            self._fh.seek(truncate_to)
        self.path = path

    @property
    def offset(self) -> int:
        """Bytes written so far (the resume offset once committed)."""
        return self._fh.tell()

    def write(self, record: Any) -> None:
        """Buffer one record as a line."""
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        self._fh.write(line.encode("utf-8") + b"\n")

    def commit(self) -> int:
        """Flush and fsync; returns the durable offset."""
        self._fh.flush()
        os.fsync(self._fh.fileno())
        return self._fh.tell()

    def close(self) -> None:
        """Commit and close."""
        if not self._fh.closed:
            self.commit()
            self._fh.close()


@attrs.frozen
class ExportResult:
    """How an export ended: items written in this run, in total, and whether it resumed."""

    written: int
    total_written: int
    resumed: bool
    path: Path


ProgressCallback = Callable[[int, int | None], None]


async def run_export(
    open_source: Callable[[dict[str, Any] | None], CursorSource],
    output: Path,
    *,
    resume_file: Path | None,
    job: str,
    serialize: Callable[[Any], Any] = to_jsonable,
    batch: int = 100,
    on_item: Callable[[Any], Any] | None = None,
    progress: ProgressCallback | None = None,
    record_id: Callable[[Any], object] = record_field_id,
) -> ExportResult:
    """Stream every item of `open_source(cursor)` into `output` as JSON Lines, resumably.

    `open_source` gets the cursor of an earlier run (or None) and returns a paginator. Every
    `batch` items the output is committed and then the resume file replaced. On completion the
    resume file is removed. `on_item` (awaitable or not) runs per item before it is written,
    e.g. to download its file. `record_id` reads the id back from a written record (a JSON
    object): on resume, the ids already written are handed to the listing (`mark_seen`) so
    that no item is written twice even when the collection changed in between.

    The resume file, the cursor and the output's committed lines are all checked before the
    output is opened for writing: a bad resume state raises and leaves the output untouched.
    """
    state = load_resume(resume_file) if resume_file is not None else None
    if state is not None and state.job and state.job != job:
        raise ResumeFileError(
            f"resume file {resume_file} belongs to another job ({state.job!r}); "
            "remove it or pick another --resume-file"
        )
    try:
        source = open_source(state.cursor if state is not None else None)
    except InvalidCursorError as exc:
        raise ResumeFileError(f"resume file {resume_file}: bad cursor: {exc}") from None
    if state is not None:
        ids = _committed_ids(output, state, record_id)
        mark_seen = getattr(source, "mark_seen", None)
        guard = state.cursor.get("guard")
        wants_ids = isinstance(guard, dict) and "seen" in guard and guard["seen"] is None
        try:
            if mark_seen is not None and wants_ids:
                mark_seen(ids)
            else:
                for _ in ids:  # still check every committed line
                    pass
        except InvalidCursorError as exc:
            raise ResumeFileError(
                f"resume file {resume_file} and {output} disagree: {exc}"
            ) from None
    writer = JsonLinesWriter(output, truncate_to=state.offset if state is not None else None)
    count = state.count if state is not None else 0
    written = 0
    checkpoint_of = getattr(source, "checkpoint", None)

    def checkpoint() -> None:
        offset = writer.commit()
        if resume_file is not None:
            # The ids handed out are not stored: a resumed run reads them back from the output.
            cursor = checkpoint_of(include_seen=False) if checkpoint_of else source.cursor
            save_resume(
                resume_file,
                ResumeState(cursor=cursor, offset=offset, count=count, job=job),
            )

    if state is None:
        # A resume file from the start: an interruption before the first batch resumes too.
        checkpoint()
    try:
        async with _streaming(source):
            pending = 0
            async for item in source:
                if on_item is not None:
                    result = on_item(item)
                    if hasattr(result, "__await__"):
                        await result
                writer.write(serialize(item))
                count += 1
                written += 1
                pending += 1
                if pending >= batch:
                    checkpoint()
                    pending = 0
                if progress is not None:
                    progress(count, source.total)
            checkpoint()
    finally:
        writer.close()
    if resume_file is not None:
        _remove(resume_file)
    return ExportResult(
        written=written,
        total_written=count,
        resumed=state is not None and state.count > 0,
        path=output,
    )


class _streaming:
    """`async with paginator:` when the source supports it (background fetch-ahead)."""

    def __init__(self, source: Any) -> None:
        self._source = source
        self._entered = False

    async def __aenter__(self) -> None:
        if hasattr(self._source, "__aenter__"):
            await self._source.__aenter__()
            self._entered = True

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        if self._entered:
            result: bool | None = await self._source.__aexit__(*exc_info)
            return result
        return None
