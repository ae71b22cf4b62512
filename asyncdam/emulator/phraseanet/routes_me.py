"""v1 account self-service (JSON bodies) and the upload queue.

`POST /me/update-account/`, `/me/update-password/`, `/me/request-collections/`, `DELETE /me/`
answer `success` (+ `message`); `POST /upload/enqueue/` validates its JSON against the server's
enqueue schema (`assets` list; `publisher`, `token`, `base_url`, `commit_id` strings) and answers
`data`. A schema miss is 400 on the `me` routes and 422 on the queue, as the server does; body
field names the fact sheet does not record are the server controllers' [?].
"""

from __future__ import annotations

import hmac
from typing import Any

from asyncdam.emulator.phraseanet.context import Ctx
from asyncdam.emulator.phraseanet.envelope import ApiError

#: Profile fields a user may change on their own account.
PROFILE_FIELDS = frozenset(
    "gender first_name last_name address zip_code city country phone fax job position company "
    "geoname_id locale".split()
)
MIN_PASSWORD = 8
ENQUEUE_STRINGS = ("publisher", "token", "base_url", "commit_id")


def _object(ctx: Ctx) -> dict[str, Any]:
    doc = ctx.json_body()
    if not isinstance(doc, dict):
        raise ApiError(400, "JSON schema validation failed: an object is expected")
    return doc


async def update_account(ctx: Ctx) -> Any:
    """POST /me/update-account/: change profile fields (strings; unknown fields -> 400)."""
    doc = _object(ctx)
    unknown = sorted(set(doc) - PROFILE_FIELDS)
    if unknown:
        raise ApiError(400, f"JSON schema validation failed: unknown fields {unknown}")
    if not all(isinstance(v, str) for v in doc.values()):
        raise ApiError(400, "JSON schema validation failed: values must be strings")
    user = ctx.store.user
    for name, value in doc.items():
        if name in ("first_name", "last_name"):
            setattr(user, name, value)
        else:
            user.profile[name] = value
    return {"success": True, "message": "Account updated"}


async def update_password(ctx: Ctx) -> Any:
    """POST /me/update-password/ `{oldPassword, password}`: a wrong old password is refused."""
    doc = _object(ctx)
    old, new = doc.get("oldPassword"), doc.get("password")
    if not isinstance(old, str) or not isinstance(new, str):
        raise ApiError(400, "JSON schema validation failed: oldPassword and password required")
    if not hmac.compare_digest(old, ctx.store.user.password):
        return {"success": False, "message": "Invalid password provided"}
    if len(new) < MIN_PASSWORD:
        return {"success": False, "message": f"Password must be {MIN_PASSWORD} characters or more"}
    ctx.store.user.password = new
    return {"success": True, "message": "Password updated"}


async def request_collections(ctx: Ctx) -> Any:
    """POST /me/request-collections/ `{collections: [base_id, ...]}`: ask for access."""
    doc = _object(ctx)
    bases = doc.get("collections")
    if not isinstance(bases, list) or not bases or not all(isinstance(b, int) for b in bases):
        raise ApiError(400, "JSON schema validation failed: collections must be base ids")
    unknown = [b for b in bases if b not in ctx.store.collections]
    if unknown:
        raise ApiError(404, f"Collection `{unknown[0]}` not found")
    user = ctx.store.user
    added = [b for b in bases if b not in user.demands and not ctx.store.collections[b].access]
    user.demands += added
    return {"success": True, "message": f"{len(added)} access demand(s) registered"}


async def delete_account(ctx: Ctx) -> Any:
    """DELETE /me/: the account is gone; the token used is revoked (later calls answer 401)."""
    ctx.store.account_deleted = True
    token = ctx.extra.get("token")
    registry = ctx.extra.get("registry")
    if isinstance(token, str) and registry is not None:
        registry.revoked.add(token)
    return {"success": True, "message": "Account deleted"}


async def upload_enqueue(ctx: Ctx) -> Any:
    """POST /upload/enqueue/: queue assets for an asynchronous upload (schema miss -> 422)."""
    doc = ctx.json_body()
    if not isinstance(doc, dict):
        raise ApiError(422, "JSON schema validation failed: an object is expected")
    missing = [k for k in ("assets", *ENQUEUE_STRINGS) if k not in doc]
    if missing:
        raise ApiError(422, f"JSON schema validation failed: missing {', '.join(missing)}")
    if not isinstance(doc["assets"], list) or not all(
        isinstance(doc[k], str) for k in ENQUEUE_STRINGS
    ):
        raise ApiError(422, "JSON schema validation failed: wrong type")
    entry = {
        "id": len(ctx.store.enqueued) + 1,
        "commit_id": doc["commit_id"],
        "publisher": doc["publisher"],
        "assets": len(doc["assets"]),
    }
    ctx.store.enqueued.append(entry)
    return {"data": dict(entry)}
