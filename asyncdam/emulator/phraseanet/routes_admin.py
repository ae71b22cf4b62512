"""Admin routes: the v1 task monitor, the v1 account routes and the v3 monitor data.

Only the administrator (`EMULATOR_ADMIN_TOKEN`, or a password grant for
`EMULATOR_ADMIN_USERNAME`) is served; anyone else gets the 401 envelope "You are not authorized",
as the server's admin guard answers. The administrator otherwise sees the same data as the
seeded user. Task, scheduler and account field names follow the server's monitor and account
controllers; values are the emulator's own [?].
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from asyncdam.emulator.phraseanet import guards
from asyncdam.emulator.phraseanet.context import Ctx
from asyncdam.emulator.phraseanet.envelope import ApiError
from asyncdam.emulator.phraseanet.params import get_str
from asyncdam.emulator.phraseanet.serialize import atom
from asyncdam.emulator.phraseanet.store import Task

SCHEDULER_PID = 4242


def require_admin(ctx: Ctx) -> None:
    """The admin guard: a 401 envelope for anyone but the administrator."""
    if not ctx.extra.get("admin"):
        raise ApiError(401, guards.NOT_AUTHORIZED)


def _task_view(task: Task) -> dict[str, Any]:
    state = "started" if task.running else "stopped"
    return {
        "id": task.id,
        "title": task.title,
        "name": task.name,
        "configuration": state,
        "status": state,
        "actual": state,
        "process-id": SCHEDULER_PID + task.id if task.running else None,
        "pid": SCHEDULER_PID + task.id if task.running else None,
        "crashed": 0,
        "auto_start": task.auto_start,
        "last_exec_time": atom(task.updated_on),
        "last_execution": atom(task.updated_on),
        "updated": atom(task.updated_on),
        "created": atom(task.created_on),
    }


def _task(ctx: Ctx) -> Task:
    tid = ctx.int_param("id")
    task = ctx.store.tasks.get(tid)
    if task is None:
        raise ApiError(404, f"Task `{tid}` not found")
    return task


async def monitor_scheduler(ctx: Ctx) -> Any:
    """GET /monitor/scheduler/."""
    require_admin(ctx)
    updated = max((t.updated_on for t in ctx.store.tasks.values()), default=0)
    return {
        "scheduler": {
            "configuration": "started",
            "state": "started",
            "status": "started",
            "pid": SCHEDULER_PID,
            "process-id": SCHEDULER_PID,
            "updated_on": atom(updated) if updated else None,
        }
    }


async def monitor_tasks(ctx: Ctx) -> Any:
    """GET /monitor/tasks/."""
    require_admin(ctx)
    return {"tasks": [_task_view(t) for t in ctx.store.tasks.values()]}


async def monitor_phraseanet(ctx: Ctx) -> Any:
    """GET /monitor/phraseanet/: the install's configuration summary."""
    require_admin(ctx)
    return {
        "phraseanet": {
            "version": {"name": "Emulator", "number": "4.1.22"},
            "databoxes": len(ctx.store.databoxes),
            "collections": len(ctx.store.collections),
            "records": len(ctx.store.records),
        }
    }


async def monitor_task(ctx: Ctx) -> Any:
    """GET /monitor/task/{id}/; POST with `title` and/or `autostart` ("0"/"1") edits it."""
    require_admin(ctx)
    task = _task(ctx)
    if ctx.request.method == "POST":
        title = get_str(ctx.params, "title")
        autostart = get_str(ctx.params, "autostart")
        if title is not None:
            if not title.strip():
                raise ApiError(400, "Title must not be empty")
            task.title = title
        if autostart is not None:
            if autostart not in ("0", "1"):
                raise ApiError(400, "autostart must be 0 or 1")
            task.auto_start = autostart == "1"
        task.updated_on = int(time.time())
    return {"task": _task_view(task)}


def _set_running(ctx: Ctx, running: bool) -> Any:
    require_admin(ctx)
    task = _task(ctx)
    task.running, task.updated_on = running, int(time.time())
    return {"task": _task_view(task)}


async def monitor_task_start(ctx: Ctx) -> Any:
    """POST /monitor/task/{id}/start/."""
    return _set_running(ctx, True)


async def monitor_task_stop(ctx: Ctx) -> Any:
    """POST /monitor/task/{id}/stop/."""
    return _set_running(ctx, False)


# -- accounts ---------------------------------------------------------------------------------


def _user_for_email(ctx: Ctx, email: str) -> None:
    if email.lower() != ctx.store.user.email.lower():
        raise ApiError(404, f"User `{email}` not found")


async def account_reset_password(ctx: Ctx) -> Any:
    """POST /accounts/reset-password/{email}/: a reset token for the account of that email."""
    require_admin(ctx)
    _user_for_email(ctx, ctx.path_params["any_email"])
    token = secrets.token_hex(16)
    ctx.store.reset_tokens[token] = ctx.store.user.id
    return {"success": True, "reset_password_token": token}


async def account_update_password(ctx: Ctx) -> Any:
    """POST /accounts/update-password/{token}/ with `password`: spend a reset token."""
    require_admin(ctx)
    token = ctx.path_params["any_token"]
    if ctx.store.reset_tokens.pop(token, None) is None:
        raise ApiError(400, "Invalid or expired token")
    password = get_str(ctx.params, "password") or ""
    if len(password) < 8:
        raise ApiError(400, "Password too short")
    ctx.store.user.password = password
    return {"success": True}


async def account_access_demand(ctx: Ctx) -> Any:
    """POST /accounts/access-demand/ (JSON `{email, collections?}`): register an access demand."""
    require_admin(ctx)
    doc = ctx.json_body()
    if not isinstance(doc, dict) or not isinstance(doc.get("email"), str):
        raise ApiError(400, "JSON schema validation failed: email is required")
    bases = doc.get("collections") or []
    if not isinstance(bases, list) or not all(isinstance(b, int) for b in bases):
        raise ApiError(400, "JSON schema validation failed: collections must be integers")
    unknown = [b for b in bases if b not in ctx.store.collections]
    if unknown:
        raise ApiError(400, f"Unknown collections {unknown}")
    token = secrets.token_hex(16)
    ctx.store.unlock_tokens[token] = doc["email"]
    return {"success": True, "user": {"email": doc["email"]}, "token": token}


async def account_unlock(ctx: Ctx) -> Any:
    """POST /accounts/unlock/{token}/: confirm an account from its unlock token."""
    require_admin(ctx)
    if ctx.store.unlock_tokens.pop(ctx.path_params["any_token"], None) is None:
        raise ApiError(400, "Invalid or expired token")
    return {"success": True}


# -- v3 ---------------------------------------------------------------------------------------


def _databox_counts(ctx: Ctx, databox_id: int) -> dict[str, Any]:
    records = [r for r in ctx.store.records.values() if r.databox_id == databox_id]
    return {
        "databox_id": databox_id,
        "records": sum(1 for r in records if not r.is_story),
        "stories": sum(1 for r in records if r.is_story),
        "collections": sum(1 for c in ctx.store.collections.values() if c.databox_id == databox_id),
    }


async def monitor_data_v3(ctx: Ctx) -> Any:
    """GET /api/v3/monitor/data/: counts per databox."""
    require_admin(ctx)
    return {"databoxes": [_databox_counts(ctx, d) for d in sorted(ctx.store.databoxes)]}


async def databox_monitor_data_v3(ctx: Ctx) -> Any:
    """GET /api/v3/databoxes/{d}/monitor/data/."""
    require_admin(ctx)
    d = ctx.int_param("d")
    if d not in ctx.store.databoxes:
        raise ApiError(404, f"Databox `{d}` not found")
    return _databox_counts(ctx, d)
