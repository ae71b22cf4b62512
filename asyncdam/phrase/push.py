"""`phrase.push`: upload locale files, then poll the uploads until the server has processed them."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asyncdam.engine.errors import InvalidRequestError, TimeoutError
from asyncdam.phrase import models
from asyncdam.phrase._tasks import run_all
from asyncdam.phrase.formats import check_file_format
from asyncdam.phrase.polling import Backoff

if TYPE_CHECKING:
    from asyncdam.phrase.host import PhraseHost

__all__ = ["FINISHED_STATES", "push"]

FINISHED_STATES = frozenset({"success", "error"})

PathLike = str | os.PathLike[str]


async def push(
    phrase: PhraseHost,
    project_id: str,
    files: Sequence[PathLike] | Mapping[PathLike, str],
    *,
    file_format: str,
    locale_id: str | None = None,
    wait: bool = True,
    branch: str | None = None,
    backoff: Backoff | None = None,
    **upload_options: Any,
) -> list[models.Upload]:
    """Upload each file (a mapping gives each its own locale); with `wait`, poll until done."""
    check_file_format(file_format)
    if isinstance(files, Mapping):
        plan = [(Path(p), loc) for p, loc in files.items()]
    else:
        if locale_id is None:
            raise InvalidRequestError("push needs locale_id= (or a mapping of file -> locale id)")
        plan = [(Path(p), locale_id) for p in files]
    for path, _ in plan:
        if not path.is_file():
            raise InvalidRequestError(f"no such file to push: {path}")
    uploads: list[models.Upload | None] = [None] * len(plan)

    async def one(index: int, path: Path, locale: str) -> None:
        upload = await phrase.uploads.create(
            project_id,
            file=path,
            file_format=file_format,
            locale_id=locale,
            branch=branch,
            **upload_options,
        )
        if wait:
            upload = await wait_for_upload(phrase, project_id, upload, branch, backoff)
        uploads[index] = upload

    await run_all([partial(one, i, path, locale) for i, (path, locale) in enumerate(plan)])
    return [u for u in uploads if u is not None]


async def wait_for_upload(
    phrase: PhraseHost,
    project_id: str,
    upload: models.Upload,
    branch: str | None = None,
    backoff: Backoff | None = None,
) -> models.Upload:
    """Poll one upload (0.5 s doubling to 10 s, jittered) until it succeeds or fails."""
    policy = backoff or Backoff()
    clock = phrase.engine.clock  # the engine's clock, so a fake clock drives polling in tests
    started = clock.monotonic()
    attempt = 0
    while upload.state not in FINISHED_STATES:
        if not upload.id:
            raise InvalidRequestError("the server returned an upload without an id")
        if clock.monotonic() - started > policy.timeout:
            raise TimeoutError(f"upload {upload.id} still {upload.state!r} after {policy.timeout}s")
        await clock.sleep(policy.delay(attempt))
        attempt += 1
        upload = await phrase.uploads.show(project_id, upload.id, branch=branch)
    return upload
