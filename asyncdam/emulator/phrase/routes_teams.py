"""Routes for account teams and their memberships (membership POSTs answer 201 with no body)."""

from __future__ import annotations

from typing import Any

from asyncdam.emulator.phrase import views
from asyncdam.emulator.phrase.router import RouteSpec
from asyncdam.emulator.phrase.web import (
    Ctx,
    Reply,
    iso,
    json_reply,
    message,
    not_found,
    paginate,
)


def _teams(ctx: Ctx) -> dict[str, dict[str, Any]]:
    if ctx.params["account_id"] not in ctx.store.accounts:
        raise not_found()
    teams: dict[str, dict[str, dict[str, Any]]] = ctx.state.teams
    return teams.setdefault(ctx.params["account_id"], {})


def _team(ctx: Ctx, key: str = "id") -> dict[str, Any]:
    team = _teams(ctx).get(ctx.params[key])
    if team is None:
        raise not_found()
    return team


def _short(team: dict[str, Any]) -> dict[str, Any]:
    return {k: team[k] for k in ("id", "name", "created_at", "updated_at")}


def _detail(ctx: Ctx, team: dict[str, Any]) -> dict[str, Any]:
    store = ctx.store
    out = _short(team)
    out["projects"] = [views.project(store, store.projects[p]) for p in team["projects"]
                       if p in store.projects]  # fmt: skip
    out["users"] = [views.user_preview(store.user) for u in team["users"] if u == store.user.id]
    out["spaces"] = []
    return out


def _required(ctx: Ctx, name: str) -> str:
    # The team operations document no 422: a missing parameter is a plain 400.
    value = ctx.json().get(name)
    if not isinstance(value, str) or not value.strip():
        raise message(400, f"Missing or invalid parameter {name}")
    return value


def list_teams(ctx: Ctx) -> Reply:
    """GET /accounts/{account_id}/teams."""
    return paginate(ctx, list(_teams(ctx).values()), _short)


def create_team(ctx: Ctx) -> Reply:
    """POST /accounts/{account_id}/teams."""
    teams = _teams(ctx)
    name = _required(ctx, "name")
    if any(t["name"] == name for t in teams.values()):
        raise message(400, "Name has already been taken")
    team_id = ctx.store.new_id()
    stamp = iso(ctx.now)
    team: dict[str, Any] = {"id": team_id, "name": name, "created_at": stamp, "updated_at": stamp,
            "projects": [], "users": []}  # fmt: skip
    teams[team_id] = team
    ctx.store.touch(ctx.now)
    return json_reply(_detail(ctx, team), 201)


def show_team(ctx: Ctx) -> Reply:
    """GET /accounts/{account_id}/teams/{id}."""
    return json_reply(_detail(ctx, _team(ctx)))


def update_team(ctx: Ctx) -> Reply:
    """PATCH /accounts/{account_id}/teams/{id}."""
    team = _team(ctx)
    if "name" in ctx.json():
        team["name"] = _required(ctx, "name")
    team["updated_at"] = iso(ctx.now)
    ctx.store.touch(ctx.now)
    return json_reply(_detail(ctx, team))


def delete_team(ctx: Ctx) -> Reply:
    """DELETE /accounts/{account_id}/teams/{id}."""
    del _teams(ctx)[_team(ctx)["id"]]
    ctx.store.touch(ctx.now)
    return Reply(status=204)


def _member_add(kind: str) -> Any:
    def add(ctx: Ctx) -> Reply:
        team = _team(ctx, "team_id")
        member = _required(ctx, "id")
        known = ctx.store.projects if kind == "projects" else {ctx.store.user.id: None}
        if member not in known:
            raise not_found()
        if member not in team[kind]:
            team[kind].append(member)
        ctx.store.touch(ctx.now)
        return Reply(status=201, body=b"")

    add.__doc__ = f"POST /accounts/{{account_id}}/teams/{{team_id}}/{kind}: 201, empty body."
    return add


def _member_remove(kind: str) -> Any:
    def remove(ctx: Ctx) -> Reply:
        team = _team(ctx, "team_id")
        if ctx.params["id"] not in team[kind]:
            raise not_found()
        team[kind].remove(ctx.params["id"])
        ctx.store.touch(ctx.now)
        return Reply(status=204)

    remove.__doc__ = f"DELETE a member of a team's {kind}."
    return remove


ROUTES: list[RouteSpec] = [
    ("GET", "/accounts/{account_id}/teams", list_teams),
    ("POST", "/accounts/{account_id}/teams", create_team),
    ("GET", "/accounts/{account_id}/teams/{id}", show_team),
    ("PATCH", "/accounts/{account_id}/teams/{id}", update_team),
    ("DELETE", "/accounts/{account_id}/teams/{id}", delete_team),
    ("POST", "/accounts/{account_id}/teams/{team_id}/projects", _member_add("projects")),
    ("DELETE", "/accounts/{account_id}/teams/{team_id}/projects/{id}", _member_remove("projects")),
    ("POST", "/accounts/{account_id}/teams/{team_id}/users", _member_add("users")),
    ("DELETE", "/accounts/{account_id}/teams/{team_id}/users/{id}", _member_remove("users")),
]
