"""Generate the emulator route coverage table (route, client method, emulator) from the code.

Every public method of the Phraseanet and OpenAsset clients is called once against a freshly
seeded in-process emulator, with arguments built from its signature; each HTTP request it sends
is recorded and matched against the emulator's own routing (the Phraseanet route table, the
OpenAsset noun and nested-path tables). Routes the emulators serve that no client method uses are
listed too. Nothing is typed by hand, so the table cannot drift from the code.

    python tools/gen_route_table.py            # rewrite docs/emulator-routes.md
    python tools/gen_route_table.py --check    # exit 1 if the committed table is stale

This is a tool: it imports both the clients and the emulators (the emulators never import the
clients).
"""

from __future__ import annotations

import argparse
import inspect
import logging
import re
import sys
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "docs" / "emulator-routes.md"
BASE = "http://127.0.0.1"
TOKEN = "route-table-token"  # noqa: S105 - a local emulator credential
OA_TOKEN = ("7", "route-table-secret")
#: Where a route with no client method shows it.
NO_METHOD = "—"


@dataclass(frozen=True, order=True)
class Call:
    """One request a client method sent, and the emulator route that serves it (None: none)."""

    method: str
    path: str
    route: str | None


@dataclass
class MethodReport:
    """What one client method sent, or why it could not be exercised."""

    service: str
    name: str
    calls: list[Call] = field(default_factory=list)
    error: str | None = None

    @property
    def unrouted(self) -> list[Call]:
        """Requests the emulator has no route for."""
        return [c for c in self.calls if c.route is None]


class Recorder(httpx.AsyncBaseTransport):
    """Forward requests to an emulator app in-process, keeping (method, path) of each."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.seen: list[tuple[str, str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Record, then let the emulator answer."""
        override = request.headers.get("x-http-method-override", "")
        method = override.upper() if request.method == "POST" and override else request.method
        self.seen.append((method, request.url.path, request.url.host))
        return await self.inner.handle_async_request(request)


# -- calling a method with arguments built from its signature ------------------------------------


def _annotation(func: Callable[..., Any], name: str) -> Any:
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # forward references the tool cannot resolve: fall back on names
        return None
    return hints.get(name)


def _by_type(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        real = [a for a in args if a is not type(None)]
        return _by_type(real[0]) if real else None
    if tp is int:
        return 1
    if tp is str:
        return "x"
    if tp is bool:
        return False
    if tp is bytes:
        return b"x"
    if origin in (list, Sequence, Iterable) or tp in (list,):
        return []
    if origin in (dict, Mapping) or tp in (dict,):
        return {"x": "y"}
    return None


def build_args(
    func: Callable[..., Any], values: Mapping[str, Any], overrides: Mapping[str, Any]
) -> tuple[list[Any], dict[str, Any]]:
    """Arguments for `func`: `overrides` for any parameter; required ones from `values` by name,
    else a value of their annotated type; optional ones keep their defaults."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for param in inspect.signature(func).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or param.name == "self":
            continue
        if param.name in overrides:
            value = overrides[param.name]
        elif param.default is not param.empty:
            continue
        elif param.name in values:
            value = values[param.name]
        else:
            value = _by_type(_annotation(func, param.name))
        if param.kind == param.KEYWORD_ONLY:
            kwargs[param.name] = value
        else:
            args.append(value)
    return args, kwargs


async def _drive(result: Any) -> None:
    """Make a method's result send its first request(s): await, iterate once, or enter."""
    if inspect.isawaitable(result):
        result = await result
    if hasattr(result, "__aiter__"):
        async for _ in result:
            break
    elif isinstance(result, AbstractAsyncContextManager):
        async with result:
            pass


def public_methods(group: object) -> list[str]:
    """Public callables a resource group defines (not its helpers from `object`)."""
    names = []
    for name, member in inspect.getmembers(type(group)):
        if name.startswith("_") or not callable(member) or isinstance(member, type):
            continue
        if isinstance(inspect.getattr_static(type(group), name), staticmethod | classmethod):
            continue  # pure helpers: they send nothing
        if name in ("absolute_url", "query", "aclose"):
            continue  # URL and query builders, lifecycle: they send nothing
        names.append(name)
    return names


# -- Phraseanet ----------------------------------------------------------------------------------


def phraseanet_front_route(method: str, path: str) -> str | None:
    """Routes the Phraseanet emulator serves before its route table (OAuth, API info, files)."""
    from asyncdam.emulator.phraseanet.core import FRONT_ROUTES

    for methods, pattern, label in FRONT_ROUTES:
        if re.fullmatch(pattern, path) and method in methods:
            return label
    return None


def phraseanet_route(method: str, path: str) -> str | None:
    """The emulator route serving `method path`, by the emulator's own router."""
    from asyncdam.emulator.phraseanet.router import Router
    from asyncdam.emulator.phraseanet.routes import build_routes

    front = phraseanet_front_route(method, path)
    if front is not None:
        return front
    match = Router(build_routes()).match(method, path)
    if match.route is None or match.bad_id:
        return None
    verbs = "ANY" if len(match.route.methods) > 3 else method
    return f"{verbs} {match.route.template}"


def phraseanet_routes() -> list[str]:
    """Every route the Phraseanet emulator serves, as `METHODS template`."""
    from asyncdam.emulator.phraseanet.core import FRONT_ROUTES
    from asyncdam.emulator.phraseanet.routes import build_routes

    out = [label for _methods, _pattern, label in FRONT_ROUTES]
    for route in build_routes():
        if len(route.methods) > 3:
            out.append(f"ANY {route.template}")
        else:
            out += [f"{m} {route.template}" for m in route.methods]
    return out


#: Optional arguments a method needs to send anything (`group.method` -> arguments).
PN_OVERRIDES: dict[str, dict[str, Any]] = {
    "records.patch_v3": {"metadatas": [{"meta_struct_id": 2, "action": "add", "value": "r"}]},
    "records.upload": {"file": ("route.jpg", b"\xff\xd8route")},
}


def _phraseanet_values(store: Any) -> dict[str, Any]:
    from asyncdam.emulator.phraseanet import EMULATOR_CLIENT_ID, EMULATOR_REDIRECT_URI

    rec = next(r for r in store.records.values() if r.base_id == 1 and not r.is_story)
    story = next(r for r in store.records.values() if r.base_id == 1 and r.is_story)
    item = next(q for q in store.quarantine.values() if q.usr_id == store.user.id)
    return {
        "databox_id": 1,
        "record_id": rec.record_id,
        "story_id": story.record_id,
        "base_id": 1,
        "basket_id": 1,
        "feed_id": 1,
        "entry_id": 1,
        "item_id": item.id,
        "order_id": 1,
        "elements": [1],
        "name": "preview",
        "file": ("route.jpg", b"\xff\xd8route"),
        "metadatas": [{"meta_struct_id": 2, "value": "route"}],
        "status": {4: True},
        "records": [(1, rec.record_id)],
        "children": [(1, rec.record_id)],
        "fields": {"city": "Lyon"},
        "body": {"collections": [5]},
        "description": "route",
        "query": "",
        "target": BASE + "/medias/not-a-token",
        "path": "/dev/null",
        "base_url": BASE,
        "client_id": EMULATOR_CLIENT_ID,
        "code": "nocode",
        "redirect_uri": EMULATOR_REDIRECT_URI,
    }


async def _phraseanet_call(name: str, call: Callable[[Any], Any]) -> MethodReport:
    from asyncdam.emulator.config import EmulatorConfig
    from asyncdam.emulator.phraseanet import create_app
    from asyncdam.emulator.transport import emulator_transport
    from asyncdam.engine.retry import RetryPolicy
    from asyncdam.engine.session import Engine
    from asyncdam.phraseanet import Phraseanet

    app = create_app(EmulatorConfig(token=TOKEN, size=0.05))
    recorder = Recorder(emulator_transport(app))
    report = MethodReport("phraseanet", name)
    async with Engine(transport=recorder, retry=RetryPolicy(max_attempts=1)) as engine:
        async with Phraseanet(BASE, engine=engine, token=TOKEN) as pn:
            values = _phraseanet_values(app.state.store)
            try:
                await _drive(call((pn, engine, values)))
            except Exception as exc:  # an API error is fine: the request was routed and sent
                if not recorder.seen:
                    report.error = f"{type(exc).__name__}: {exc}"
    report.calls = sorted({Call(m, p, phraseanet_route(m, p)) for m, p, _h in recorder.seen})
    return _nothing_sent(report)


def _nothing_sent(report: MethodReport) -> MethodReport:
    """A method that sent no request was not exercised: say so rather than list it empty."""
    if not report.calls and report.error is None:
        report.error = "sent no request (its arguments need an override in this tool)"
    return report


def phraseanet_methods() -> dict[str, Callable[[Any], Any]]:
    """`group.method` -> a callable taking (client, engine, values) that calls it."""
    from asyncdam.phraseanet import Phraseanet, oauth
    from asyncdam.phraseanet.resource import ResourceGroup

    probe = Phraseanet(BASE, token=TOKEN)
    out: dict[str, Callable[[Any], Any]] = {}
    for attr, group in sorted(vars(probe).items()):
        if not isinstance(group, ResourceGroup):
            continue
        for name in public_methods(group):

            def call(env: Any, attr: str = attr, name: str = name) -> Any:
                pn, _engine, values = env
                method = getattr(getattr(pn, attr), name)
                args, kwargs = build_args(method, values, PN_OVERRIDES.get(f"{attr}.{name}", {}))
                return method(*args, **kwargs)

            out[f"pn.{attr}.{name}"] = call
    for name in ("api_info", "hello_v3"):
        out[f"pn.{name}"] = lambda env, name=name: getattr(env[0], name)()

    def grant(env: Any) -> Any:
        from asyncdam.emulator.phraseanet import (
            EMULATOR_CLIENT_ID,
            EMULATOR_PASSWORD,
            EMULATOR_USERNAME,
        )

        form = oauth.PasswordGrant(
            client_id=EMULATOR_CLIENT_ID, username=EMULATOR_USERNAME, password=EMULATOR_PASSWORD
        )
        return oauth.password_grant(BASE, form, engine=env[1], allow_insecure_http=True)

    out["phraseanet.oauth.password_grant"] = grant

    def code(env: Any) -> Any:
        values = env[2]
        return oauth.exchange_code(
            BASE,
            client_id=values["client_id"],
            code=values["code"],
            redirect_uri=values["redirect_uri"],
            engine=env[1],
            allow_insecure_http=True,
        )

    out["phraseanet.oauth.exchange_code"] = code
    return out


# -- OpenAsset -----------------------------------------------------------------------------------


def openasset_route(method: str, path: str) -> str | None:
    """The OpenAsset emulator route serving `method path`, from its noun and nested tables."""
    from asyncdam.emulator.openasset.nested import NESTED
    from asyncdam.emulator.openasset.routes import SPECIAL_ROUTES
    from asyncdam.emulator.openasset.schema import NOUNS

    if path.startswith("/storage/"):
        return "GET /storage/{file_id}/{size_id}/{name}" if method in ("GET", "HEAD") else None
    prefix = "/REST/1/"
    if not path.startswith(prefix):
        return None
    parts = path[len(prefix) :].strip("/").split("/")
    verb = "GET" if method == "HEAD" else method
    if len(parts) == 1 and f"{method} /REST/1/{parts[0]}" in SPECIAL_ROUTES:
        return f"{method} /REST/1/{parts[0]}"
    spec = NOUNS.get(parts[0])
    if spec is None:
        return None
    allowed = {"GET", *spec.verbs} | ({"MERGE"} if spec.merge else set())
    if len(parts) == 1 and verb in allowed and verb != "MERGE":
        return f"{method} /REST/1/{spec.name}"
    if not all(p.isdigit() for p in parts[1:2]):
        return None
    if len(parts) == 2 and verb in allowed and verb != "POST":
        return f"{method} /REST/1/{spec.name}/{{id}}"
    if len(parts) in (3, 4):
        nspec = NESTED.get((spec.name, parts[2]))
        if nspec is None or (verb != "GET" and verb not in nspec.verbs):
            return None
        tail = "/{child_id}" if len(parts) == 4 else ""
        return f"{method} /REST/1/{spec.name}/{{id}}/{parts[2]}{tail}"
    return None


def openasset_routes() -> list[str]:
    """Every route the OpenAsset emulator serves, as `METHOD template`."""
    from asyncdam.emulator.openasset.nested import NESTED
    from asyncdam.emulator.openasset.routes import SPECIAL_ROUTES
    from asyncdam.emulator.openasset.schema import NOUNS

    out = [*SPECIAL_ROUTES, "GET /storage/{file_id}/{size_id}/{name}"]
    for spec in NOUNS.values():
        verbs = {"GET", *spec.verbs}
        out += [f"{v} /REST/1/{spec.name}" for v in sorted(verbs | {"HEAD"})]
        item = sorted((verbs - {"POST"}) | {"HEAD"} | ({"MERGE"} if spec.merge else set()))
        out += [f"{v} /REST/1/{spec.name}/{{id}}" for v in item]
    for (parent, child), nspec in NESTED.items():
        out += [f"{v} /REST/1/{parent}/{{id}}/{child}" for v in sorted({"GET", *nspec.verbs})]
        if "DELETE" in nspec.verbs:
            out.append(f"DELETE /REST/1/{parent}/{{id}}/{child}/{{child_id}}")
        out.append(f"GET /REST/1/{parent}/{{id}}/{child}/{{child_id}}")
    return out


#: Arguments a method needs beyond what its signature tells (by method name or full name).
OA_OVERRIDES: dict[str, dict[str, Any]] = {
    "create_many": {"items": [{"name": "route"}]},
    "upload": {"filename": "route.jpg"},
    "upload_many": {"uploads": "files-upload"},
    "replace_content": {"filename": "route.jpg"},
    "update_many": {"items": [{"id": 1, "name": "route"}]},
    "oa.users.create": {"data": {"username": "route"}},
    "oa.users.update": {"data": {"username": "route"}},
    "oa.users.create_many": {"items": [{"username": "route"}]},
    "oa.users.update_many": {"items": [{"id": 1, "username": "route"}]},
}


def _openasset_values() -> dict[str, Any]:
    return {
        "ident": 1,
        "target": 1,
        "sources": [2],
        "parent_id": 1,
        "child_id": 1,
        "child_ids": 1,
        "file_id": 1,
        "size": 1,
        "data": {"name": "route"},
        "items": [1],
        "idents": [1],
        "ids": [1],
        "changes": [{"id": 1, "name": "route"}],
        "path": "/dev/null",
        "content": b"route",
        "filename": "route.jpg",
        "category_id": 1,
        "original_filename": "route.jpg",
    }


async def _openasset_call(name: str, call: Callable[[Any], Any]) -> MethodReport:
    from asyncdam.emulator.config import EmulatorConfig
    from asyncdam.emulator.openasset import create_app
    from asyncdam.emulator.transport import emulator_transport
    from asyncdam.engine.errors import InvalidRequestError
    from asyncdam.engine.retry import RetryPolicy
    from asyncdam.engine.session import Engine
    from asyncdam.openasset import OpenAsset

    app = create_app(EmulatorConfig(token=":".join(OA_TOKEN), size=0.05))
    recorder = Recorder(emulator_transport(app))
    report = MethodReport("openasset", name)
    async with Engine(transport=recorder, retry=RetryPolicy(max_attempts=1)) as engine:
        async with OpenAsset(BASE, engine=engine, token=OA_TOKEN) as oa:
            try:
                await _drive(call((oa, engine, _openasset_values())))
            except InvalidRequestError as exc:
                if "does not support" in str(exc):
                    report.error = "unsupported"  # the noun does not offer this verb
                elif not recorder.seen:
                    report.error = f"{type(exc).__name__}: {exc}"
            except Exception as exc:
                if not recorder.seen:
                    report.error = f"{type(exc).__name__}: {exc}"
    report.calls = sorted({Call(m, p, openasset_route(m, p)) for m, p, _h in recorder.seen})
    return _nothing_sent(report)


def openasset_methods() -> dict[str, Callable[[Any], Any]]:
    """`oa.noun[.nested].method` -> a callable taking (client, engine, values)."""
    from asyncdam.openasset import OpenAsset
    from asyncdam.openasset.nested import Nested
    from asyncdam.openasset.resources import Resource

    probe = OpenAsset(BASE, token=OA_TOKEN)
    out: dict[str, Callable[[Any], Any]] = {}

    def add(path: tuple[str, ...], group: object) -> None:
        for name in public_methods(group):

            def call(env: Any, path: tuple[str, ...] = path, name: str = name) -> Any:
                target = env[0]
                for attr in path:
                    target = getattr(target, attr)
                method = getattr(target, name)
                full = "oa." + ".".join((*path, name))
                overrides = {**OA_OVERRIDES.get(name, {}), **OA_OVERRIDES.get(full, {})}
                if overrides.get("uploads") == "files-upload":
                    from asyncdam.openasset.files import Upload

                    overrides["uploads"] = [
                        Upload(filename="route.jpg", content=b"route", category_id=1)
                    ]
                args, kwargs = build_args(method, env[2], overrides)
                return method(*args, **kwargs)

            out["oa." + ".".join((*path, name))] = call

    for attr, group in sorted(vars(probe).items()):
        if isinstance(group, Resource):
            add((attr,), group)
            for sub, nested in sorted(vars(group).items()):
                if isinstance(nested, Nested):
                    add((attr, sub), nested)
    return out


# -- the table -----------------------------------------------------------------------------------


async def collect() -> list[MethodReport]:
    """Exercise every client method of both services; one report per method."""
    reports = []
    for name, call in sorted(phraseanet_methods().items()):
        reports.append(await _phraseanet_call(name, call))
    methods = openasset_methods()
    for name, call in sorted(methods.items()):
        report = await _openasset_call(name, call)
        if report.error != "unsupported":
            reports.append(report)
    return reports


def render(reports: list[MethodReport]) -> str:
    """The Markdown document: per service, every emulator route and the methods that use it."""
    lines = [
        "# Emulator route coverage",
        "",
        "Generated by `tools/gen_route_table.py` from the client classes and the emulators' route",
        "tables; do not edit (`python tools/gen_route_table.py` rewrites it, CI checks it).",
        "Each client method was called against an in-process emulator; every request it sent is",
        "listed under the emulator route that served it.",
        "",
    ]
    for service, title, all_routes in (
        ("phraseanet", "Phraseanet", phraseanet_routes()),
        ("openasset", "OpenAsset", openasset_routes()),
    ):
        users: dict[str, set[str]] = {route: set() for route in all_routes}
        missing: list[tuple[str, Call]] = []
        for report in reports:
            if report.service != service:
                continue
            for call in report.calls:
                if call.route is None:
                    missing.append((report.name, call))
                else:
                    users.setdefault(call.route, set()).add(report.name)
        lines += [f"## {title}", "", "| route | client method | emulator |", "|---|---|---|"]
        for route in sorted(users, key=_route_key):
            methods = ", ".join(f"`{m}`" for m in sorted(users[route])) or NO_METHOD
            lines.append(f"| `{route}` | {methods} | served |")
        for name, call in sorted(missing):
            lines.append(f"| `{call.method} {call.path}` | `{name}` | **missing** |")
        used = sum(1 for r in users.values() if r)
        lines += [
            "",
            f"{len(users)} emulator routes, {used} used by the client; "
            f"{len(missing)} client request(s) without an emulator route.",
            "",
        ]
    return "\n".join(lines)


def _route_key(route: str) -> tuple[str, str]:
    method, _, path = route.partition(" ")
    return (path, method)


def main(argv: list[str] | None = None) -> int:
    """Write the table, or with `--check` compare it with the committed one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the table is stale")
    parser.add_argument("--out", type=Path, default=OUTPUT)
    options = parser.parse_args(argv)
    logging.getLogger("asyncdam").setLevel(logging.ERROR)  # skipped-field warnings are expected
    reports = anyio.run(collect)
    broken = [r for r in reports if r.error is not None]
    for report in broken:
        print(f"could not exercise {report.name}: {report.error}", file=sys.stderr)
    text = render(reports)
    if options.check:
        current = options.out.read_text() if options.out.exists() else ""
        if current != text:
            print(f"{options.out} is stale: run tools/gen_route_table.py", file=sys.stderr)
            return 1
        return 1 if broken else 0
    options.out.write_text(text)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
