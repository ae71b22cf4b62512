"""Routes for branches (async create, merge, compare), jobs (state machine) and uploads."""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import UploadFile

from asyncdam.emulator.phrase import views
from asyncdam.emulator.phrase.formats import ENCODINGS, FORMAT_NAMES, parse
from asyncdam.emulator.phrase.jobs_async import advance_branch, settle_uploads
from asyncdam.emulator.phrase.router import Handler, RouteSpec
from asyncdam.emulator.phrase.store import Branch, Job, ProjectData, Upload
from asyncdam.emulator.phrase.web import (
    ApiError,
    Ctx,
    Reply,
    dumps,
    invalid,
    json_reply,
    message,
    not_found,
    opt_str,
    paginate,
    parse_bool,
    project_data,
    read_form,
    req_str,
    str_list,
    wrote,
)

BRANCH_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,99}$")


def _conflict(text: str) -> ApiError:
    return ApiError(json_reply({"message": text}, 409))


def _branch(ctx: Ctx) -> Branch:
    project_data(ctx, ctx.params["project_id"], branch="")
    assert ctx.project is not None
    br = ctx.project.branches.get(ctx.params["name"])
    if br is None:
        raise not_found()
    return br


def _open_jobs(br: Branch) -> bool:
    return any(job.state != "completed" for job in br.data.jobs.values())


def list_branches(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/branches."""
    project_data(ctx, ctx.params["project_id"], branch="")
    proj = ctx.project
    assert proj is not None
    return paginate(ctx, list(proj.branches.values()), lambda b: views.branch(ctx.store, proj, b))


def create_branch(ctx: Ctx) -> Reply:
    """POST /projects/{project_id}/branches: starts `creating_branch`, then `success`."""
    data = project_data(ctx, ctx.params["project_id"], branch="")
    proj = ctx.project
    assert proj is not None
    name = req_str(ctx.json(), "name", "Branch")
    if not BRANCH_NAME.match(name):
        raise invalid("Branch", "name", "is invalid")
    if name in proj.branches:
        raise invalid("Branch", "name", "has already been taken")
    br = Branch(
        name=name,
        created=ctx.now,
        updated=ctx.now,
        data=data.clone_content(),
        base_names=frozenset(data.key_names),
    )
    proj.branches[name] = br
    wrote(ctx)
    return json_reply(views.branch(ctx.store, proj, br), 201)


def show_branch(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/branches/{name}."""
    br = _branch(ctx)
    br.polls += 1
    advance_branch(ctx, br)
    assert ctx.project is not None
    return json_reply(views.branch(ctx.store, ctx.project, br))


def update_branch(ctx: Ctx) -> Reply:
    """PATCH /projects/{project_id}/branches/{name}: rename."""
    br = _branch(ctx)
    proj = ctx.project
    assert proj is not None
    name = opt_str(ctx.json(), "name", "Branch")
    if name is not None and name != br.name:
        if not BRANCH_NAME.match(name):
            raise invalid("Branch", "name", "is invalid")
        if name in proj.branches:
            raise invalid("Branch", "name", "has already been taken")
        del proj.branches[br.name]
        br.name = name
        proj.branches[name] = br
    br.updated = ctx.now
    wrote(ctx)
    return json_reply(views.branch(ctx.store, proj, br))


def delete_branch(ctx: Ctx) -> Reply:
    """DELETE /projects/{project_id}/branches/{name}: 409 while jobs are open on it."""
    br = _branch(ctx)
    if _open_jobs(br):
        raise _conflict("Branch has open jobs")
    assert ctx.project is not None
    del ctx.project.branches[br.name]
    wrote(ctx)
    return Reply(status=204)


def merge_branch(ctx: Ctx) -> Reply:
    """PATCH /projects/{project_id}/branches/{name}/merge: 200 with an empty body, then poll."""
    br = _branch(ctx)
    strategy = opt_str(ctx.json(), "strategy", "Branch") or "use_main"
    if strategy not in ("use_main", "use_branch"):
        raise invalid("Branch", "strategy", "is not included in the list")
    if _open_jobs(br):
        raise _conflict("Branch has open jobs")
    if br.state in ("merged", "merging_branch"):
        raise _conflict("Branch is already merged")
    proj = ctx.project
    assert proj is not None
    merged = br.data.clone_content()
    main = proj.data
    main.locales, main.keys, main.key_names = merged.locales, merged.keys, merged.key_names
    main.translations, main.by_key_locale = merged.translations, merged.by_key_locale
    main.tags = merged.tags
    br.state, br.merged, br.updated, br.polls = "merging_branch", ctx.now, ctx.now, 0
    wrote(ctx)
    return Reply(status=200, content_type="application/json", body=b"")


def sync_branch(ctx: Ctx) -> Reply:
    """PATCH /projects/{project_id}/branches/{name}/sync: take keys added on the base."""
    br = _branch(ctx)
    ctx.json()
    if br.state in ("merged", "merging_branch"):
        # The service's one 422 without a body (fact sheet section 7).
        raise ApiError(Reply(status=422, body=b""))
    proj = ctx.project
    assert proj is not None
    base = proj.data.clone_content()
    for key in base.keys.values():
        if key.name not in br.data.key_names:
            br.data.add_key(key)
            for (key_id, loc_id), tr_id in base.by_key_locale.items():
                if key_id == key.id and loc_id in br.data.locales:
                    br.data.add_translation(base.translations[tr_id])
    br.base_names = frozenset(proj.data.key_names)
    br.updated = ctx.now
    wrote(ctx)
    return Reply(status=200, content_type="application/json", body=b"")


def compare_branch(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/branches/{name}/compare: key changes on each side."""
    br = _branch(ctx)
    proj = ctx.project
    assert proj is not None
    head = set(br.data.key_names)
    base_now = set(proj.data.key_names)

    def changes(names: set[str] | frozenset[str], kind: str) -> list[dict[str, Any]]:
        return [{"name": n, "change_type": kind} for n in sorted(names)]

    diff = {
        "base_changes": changes(base_now - br.base_names, "created")
        + changes(br.base_names - base_now, "deleted"),
        "head_changes": changes(head - br.base_names, "created")
        + changes(br.base_names - head, "deleted"),
        "conflicts": {},
    }
    empty: dict[str, Any] = {"base_changes": [], "head_changes": [], "conflicts": {}}
    return json_reply(
        {"translation_keys": diff, "translations": empty, "locales": empty, "tags": empty}
    )


def create_comparison(ctx: Ctx) -> Reply:
    """POST /projects/{project_id}/branches/{name}/compare: 202, compute in the background."""
    _branch(ctx)
    direction = opt_str(ctx.json(), "direction", "Branch")
    if direction not in (None, "merge", "sync"):
        raise invalid("Branch", "direction", "is not included in the list")
    return Reply(status=202, body=b"")


def _job(data: ProjectData, job_id: str) -> Job:
    job = data.jobs.get(job_id)
    if job is None:
        raise not_found()
    return job


def list_jobs(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/jobs (filters: state/job_state, key_id)."""
    data = project_data(ctx, ctx.params["project_id"])
    proj = ctx.project
    assert proj is not None
    items = list(data.jobs.values())
    state = ctx.q("state") or ctx.q("job_state")
    if state:
        items = [j for j in items if j.state == state]
    states = ctx.q("states")
    if states:
        wanted = set(states.split(","))
        items = [j for j in items if j.state in wanted]
    key_id = ctx.q("key_id")
    if key_id:
        items = [j for j in items if key_id in j.key_ids]
    return paginate(ctx, items, lambda j: views.job(proj, j))


def _job_reply(ctx: Ctx, data: ProjectData, job: Job, status: int = 200) -> Reply:
    assert ctx.project is not None
    return json_reply(views.job_details(ctx.store, ctx.project, data, job), status)


def show_job(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/jobs/{id}."""
    data = project_data(ctx, ctx.params["project_id"])
    return _job_reply(ctx, data, _job(data, ctx.params["id"]))


def _apply_job(ctx: Ctx, data: ProjectData, job: Job, args: dict[str, Any]) -> None:
    for field in ("name", "briefing", "ticket_url", "due_date"):
        value = opt_str(args, field, "Job")
        if value is not None:
            if field == "name" and not value.strip():
                raise invalid("Job", "name", "can't be blank")
            setattr(job, field, value)
    locale_ids = str_list(args, "target_locale_ids", "Job")
    if locale_ids is not None:
        resolved = []
        for ref in locale_ids:
            loc = data.locale(ref)
            if loc is None:
                raise invalid("Job", "target_locale_ids", "is invalid")
            resolved.append(loc.id)
        job.locale_ids = resolved


def create_job(ctx: Ctx) -> Reply:
    """POST /projects/{project_id}/jobs."""
    data = project_data(ctx, ctx.params["project_id"])
    args = ctx.json()
    job = Job(id=ctx.store.new_id(), name=req_str(args, "name", "Job"), created=ctx.now,
              updated=ctx.now)  # fmt: skip
    _apply_job(ctx, data, job, args)
    src = opt_str(args, "source_locale_id", "Job")
    if src:
        loc = data.locale(src)
        if loc is None:
            raise invalid("Job", "source_locale_id", "is invalid")
        job.source_locale_id = loc.id
    key_ids = str_list(args, "translation_key_ids", "Job") or []
    if any(k not in data.keys for k in key_ids):
        raise invalid("Job", "translation_key_ids", "is invalid")
    tags = set(str_list(args, "tags", "Job") or [])
    if tags:
        key_ids += [k.id for k in data.keys.values() if tags & set(k.tags) and k.id not in key_ids]
    job.key_ids = key_ids
    job.branch = opt_str(args, "branch", "Job") or ctx.q("branch") or None
    data.jobs[job.id] = job
    wrote(ctx)
    return _job_reply(ctx, data, job, 201)


def update_job(ctx: Ctx) -> Reply:
    """PATCH /projects/{project_id}/jobs/{id}."""
    data = project_data(ctx, ctx.params["project_id"])
    job = _job(data, ctx.params["id"])
    draft = Job(job.id, job.name, job.created, job.updated, job.briefing, job.due_date,
                job.ticket_url, job.state, job.branch, job.source_locale_id,
                list(job.locale_ids))  # fmt: skip
    _apply_job(ctx, data, draft, ctx.json())
    job.name, job.briefing, job.ticket_url = draft.name, draft.briefing, draft.ticket_url
    job.due_date, job.locale_ids, job.updated = draft.due_date, draft.locale_ids, ctx.now
    wrote(ctx)
    return _job_reply(ctx, data, job)


def _transition(ctx: Ctx, allowed: tuple[str, ...], target: str) -> Reply:
    data = project_data(ctx, ctx.params["project_id"])
    job = _job(data, ctx.params["id"])
    ctx.json()
    if job.state not in allowed:
        raise invalid("Job", "state", f"cannot change from {job.state} to {target}")
    job.state, job.updated = target, ctx.now
    wrote(ctx)
    return _job_reply(ctx, data, job)


def start_job(ctx: Ctx) -> Reply:
    """POST /projects/{project_id}/jobs/{id}/start: draft -> in_progress."""
    return _transition(ctx, ("draft",), "in_progress")


def complete_job(ctx: Ctx) -> Reply:
    """POST /projects/{project_id}/jobs/{id}/complete: in_progress -> completed."""
    return _transition(ctx, ("in_progress",), "completed")


def reopen_job(ctx: Ctx) -> Reply:
    """POST /projects/{project_id}/jobs/{id}/reopen: completed -> in_progress."""
    return _transition(ctx, ("completed",), "in_progress")


def _set_lock(locked: bool) -> Handler:
    def handle(ctx: Ctx) -> Reply:
        data = project_data(ctx, ctx.params["project_id"])
        job = _job(data, ctx.params["id"])
        ctx.json()
        job.locked, job.updated = locked, ctx.now
        wrote(ctx)
        return _job_reply(ctx, data, job)

    handle.__doc__ = f"POST /projects/{{project_id}}/jobs/{{id}}/{'lock' if locked else 'unlock'}."
    return handle


def _job_key_ids(ctx: Ctx, data: ProjectData) -> list[str]:
    key_ids = str_list(ctx.json(), "translation_key_ids", "Job")
    if not key_ids:
        raise invalid("Job", "translation_key_ids", "can't be blank")
    if any(k not in data.keys for k in key_ids):
        raise invalid("Job", "translation_key_ids", "is invalid")
    return key_ids


def add_job_keys(ctx: Ctx) -> Reply:
    """POST /projects/{project_id}/jobs/{id}/keys: add keys to a job (200 with the job)."""
    data = project_data(ctx, ctx.params["project_id"])
    job = _job(data, ctx.params["id"])
    job.key_ids += [k for k in _job_key_ids(ctx, data) if k not in job.key_ids]
    job.updated = ctx.now
    wrote(ctx)
    return _job_reply(ctx, data, job)


def remove_job_keys(ctx: Ctx) -> Reply:
    """DELETE /projects/{project_id}/jobs/{id}/keys (JSON body): 204."""
    data = project_data(ctx, ctx.params["project_id"])
    job = _job(data, ctx.params["id"])
    gone = set(_job_key_ids(ctx, data))
    job.key_ids = [k for k in job.key_ids if k not in gone]
    job.updated = ctx.now
    wrote(ctx)
    return Reply(status=204)


def jobs_by_account(ctx: Ctx) -> Reply:
    """GET /accounts/{account_id}/jobs: the jobs of every project of the account."""
    if ctx.params["account_id"] not in ctx.store.accounts:
        raise not_found()
    projects = [p for p in ctx.store.projects.values() if p.account_id == ctx.params["account_id"]]
    rows = [(proj, job) for proj in projects for job in proj.data.jobs.values()]
    state = ctx.q("state")
    if state:
        rows = [(proj, job) for proj, job in rows if job.state == state]
    return paginate(ctx, rows, lambda row: views.job(row[0], row[1]))


def delete_job(ctx: Ctx) -> Reply:
    """DELETE /projects/{project_id}/jobs/{id}."""
    data = project_data(ctx, ctx.params["project_id"])
    del data.jobs[_job(data, ctx.params["id"]).id]
    wrote(ctx)
    return Reply(status=204)


def list_uploads(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/uploads."""
    data = project_data(ctx, ctx.params["project_id"])
    return paginate(ctx, list(data.uploads.values()), lambda u: views.upload(ctx.store, u))


def show_upload(ctx: Ctx) -> Reply:
    """GET /projects/{project_id}/uploads/{id}: each poll moves processing along."""
    data = project_data(ctx, ctx.params["project_id"])
    up = data.uploads.get(ctx.params["id"])
    if up is None:
        raise not_found()
    up.polls += 1
    if up.state == "initialized":
        up.state = "processing"
    settle_uploads(ctx, data)
    return json_reply(views.upload(ctx.store, up))


async def create_upload(ctx: Ctx) -> Reply:
    """POST /projects/{project_id}/uploads (multipart): 201 `initialized`, applied later."""
    data = project_data(ctx, ctx.params["project_id"], branch=ctx.q("branch") or "")
    args = await read_form(ctx)
    branch = args.get("branch")
    if isinstance(branch, str) and branch:
        data = project_data(ctx, ctx.params["project_id"], branch=branch)
    if "convert_emoji" in args:
        raise message(400, "The parameter convert_emoji is obsolete")
    file = args.get("file")
    if not isinstance(file, UploadFile):
        raise invalid("Upload", "file", "can't be blank")
    fmt = args.get("file_format")
    if not isinstance(fmt, str) or not fmt:
        raise invalid("Upload", "file_format", "can't be blank")
    if fmt not in FORMAT_NAMES:
        raise invalid("Upload", "file_format", "is not included in the list")
    ref = args.get("locale_id")
    loc = data.locale(ref) if isinstance(ref, str) and ref else None
    if loc is None:
        raise invalid("Upload", "locale_id", "is invalid")
    encoding = args.get("file_encoding") or "UTF-8"
    if not isinstance(encoding, str) or encoding.lower() not in ENCODINGS:
        raise invalid("Upload", "file_encoding", "is not included in the list")
    flags: dict[str, bool] = {}
    for name, value in args.items():
        if name.startswith(("update_", "skip_", "autotranslate", "mark_", "verify_", "tag_only")):
            parsed = parse_bool(value) if isinstance(value, str) else None
            if parsed is None:
                raise invalid("Upload", name, "is not a boolean")
            flags[name] = parsed
    tags_raw = args.get("tags")
    tags = (
        [t.strip() for t in tags_raw.split(",") if t.strip()] if isinstance(tags_raw, str) else []
    )
    raw = await file.read()
    up = Upload(
        id=ctx.store.new_id(),
        filename=file.filename or "upload",
        format=fmt,
        tags=tags,
        locale_id=loc.id,
        entries={},
        update_translations=flags.get("update_translations", False),
        created=ctx.now,
        updated=ctx.now,
        state="initialized",
    )
    try:
        up.entries = parse(fmt, raw, encoding)
    except ValueError:
        up.state = "error"
    data.uploads[up.id] = up
    wrote(ctx)
    return json_reply(views.upload(ctx.store, up), 201)


ROUTES: list[RouteSpec] = [
    ("GET", "/projects/{project_id}/branches", list_branches),
    ("POST", "/projects/{project_id}/branches", create_branch),
    ("GET", "/projects/{project_id}/branches/{name}", show_branch),
    ("PATCH", "/projects/{project_id}/branches/{name}", update_branch),
    ("DELETE", "/projects/{project_id}/branches/{name}", delete_branch),
    ("PATCH", "/projects/{project_id}/branches/{name}/merge", merge_branch),
    ("PATCH", "/projects/{project_id}/branches/{name}/sync", sync_branch),
    ("GET", "/projects/{project_id}/branches/{name}/compare", compare_branch),
    ("POST", "/projects/{project_id}/branches/{name}/compare", create_comparison),
    ("GET", "/projects/{project_id}/jobs", list_jobs),
    ("POST", "/projects/{project_id}/jobs", create_job),
    ("GET", "/projects/{project_id}/jobs/{id}", show_job),
    ("PATCH", "/projects/{project_id}/jobs/{id}", update_job),
    ("DELETE", "/projects/{project_id}/jobs/{id}", delete_job),
    ("POST", "/projects/{project_id}/jobs/{id}/start", start_job),
    ("POST", "/projects/{project_id}/jobs/{id}/complete", complete_job),
    ("POST", "/projects/{project_id}/jobs/{id}/reopen", reopen_job),
    ("POST", "/projects/{project_id}/jobs/{id}/lock", _set_lock(True)),
    ("POST", "/projects/{project_id}/jobs/{id}/unlock", _set_lock(False)),
    ("POST", "/projects/{project_id}/jobs/{id}/keys", add_job_keys),
    ("DELETE", "/projects/{project_id}/jobs/{id}/keys", remove_job_keys),
    ("GET", "/accounts/{account_id}/jobs", jobs_by_account),
    ("GET", "/projects/{project_id}/uploads", list_uploads),
    ("POST", "/projects/{project_id}/uploads", create_upload),
    ("GET", "/projects/{project_id}/uploads/{id}", show_upload),
]

__all__ = ["ROUTES", "dumps"]
