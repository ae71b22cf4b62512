"""Every Python block of README.md and docs/ runs against the emulators, as written.

Conventions (stated for doc writers in docs/testing.md, "The examples in these pages"):

- The hosts the docs use are served in-process by the emulators: `api.phrase.com` and
  `api.us.app.phrase.com` (Phrase), `dam.example.org` (Phraseanet), `acme.openasset.com`
  (OpenAsset), and `127.0.0.1:8400`/`8401`/`8402` as the quickstart's `asyncdam emulate` runs
  them (token `dev-token`, OpenAsset `7:dev-secret`). Any other host fails the example.
  Every `Engine` an example builds without a `transport=` is given the routing transport.
- The emulators accept the credentials the docs show: the token `"..."` for Phrase and Phraseanet,
  `("5", "secret")` for OpenAsset, and the emulators' published fixtures (see docs/testing.md).
- Each block runs on its own (top-level `await`, `async with` and `async for` allowed) in a
  namespace that already holds `asyncdam`, `os`, `project_id` (a Phrase project) and open clients
  `phrase`, `pn` and `oa`, so a block may continue the page's earlier example without repeating
  its setup. `$PHRASE_TOKEN` is set. The working directory is a fresh temporary one.
- A block that defines `test_*` functions is a test module: it runs under pytest in a subprocess,
  with the `asyncdam` pytest plugin, and must pass.
- A block preceded by `<!-- no-test -->` is not run (kept for what needs outside services).
"""

from __future__ import annotations

import ast
import functools
import inspect
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("starlette")

import asyncdam
from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.registry import create_app
from asyncdam.emulator.transport import emulator_transport
from asyncdam.engine.session import Engine

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
NO_TEST = "<!-- no-test -->"
DOC_TOKEN = "..."
OPENASSET_TOKEN = "5:secret"
HOSTS = {
    "api.phrase.com": "phrase",
    "api.us.app.phrase.com": "phrase",
    "dam.example.org": "phraseanet",
    "acme.openasset.com": "openasset",
}
# `asyncdam emulate SERVICE --port P --token dev-token` as the quickstart runs them.
EMULATE = {
    "127.0.0.1:8400": ("phrase", "dev-token"),
    "127.0.0.1:8401": ("phraseanet", "dev-token"),
    "127.0.0.1:8402": ("openasset", "7:dev-secret"),
}


def doc_files() -> list[Path]:
    """README.md and every page of the docs site."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks_of(text: str) -> Iterator[tuple[int, str, bool]]:
    """(line, code, marked no-test) for each Python block of a Markdown text."""
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip().rsplit("\n", 1)[-1].strip()
        yield line, match.group(1), before == NO_TEST


def python_blocks() -> Iterator[Any]:
    """One pytest param per Python block: (file, line, code), skipped when marked no-test."""
    for path in doc_files():
        for line, code, no_test in blocks_of(path.read_text(encoding="utf-8")):
            ident = f"{path.relative_to(ROOT)}:{line}"
            marks = [pytest.mark.skip(reason="marked no-test")] if no_test else []
            yield pytest.param(path, line, code, id=ident, marks=marks)


class HostRouter(httpx.AsyncBaseTransport):
    """Sends each request to the emulator serving its host; any other host is an error."""

    def __init__(self, routes: dict[str, httpx.AsyncBaseTransport]) -> None:
        self.routes = routes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        route = self.routes.get(f"{url.host}:{url.port}") or self.routes.get(url.host)
        if route is None:
            raise httpx.ConnectError(
                f"docs examples may not call {request.url.host}", request=request
            )
        return await route.handle_async_request(request)


def emulated() -> HostRouter:
    """Fresh in-process emulators behind the docs' hosts."""
    tokens = {"phrase": DOC_TOKEN, "phraseanet": DOC_TOKEN, "openasset": OPENASSET_TOKEN}
    transports = {
        service: emulator_transport(
            create_app(service, EmulatorConfig(seed=1, token=token, size=0.05))
        )
        for service, token in tokens.items()
    }
    routes = {host: transports[service] for host, service in HOSTS.items()}
    for netloc, (service, token) in EMULATE.items():
        config = EmulatorConfig(seed=1, token=token, size=0.05)
        routes[netloc] = emulator_transport(create_app(service, config))
    return HostRouter(routes)


@pytest.fixture
def router(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> HostRouter:
    """Route every Engine built without a transport to the emulators; run in a temp dir."""
    routes = emulated()
    original = Engine.__init__

    @functools.wraps(original)  # keeps Engine's signature, which the clients read
    def routed(self: Engine, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("transport") is None:
            kwargs["transport"] = routes
        original(self, *args, **kwargs)

    monkeypatch.setattr(Engine, "__init__", routed)
    monkeypatch.setenv("PHRASE_TOKEN", DOC_TOKEN)
    monkeypatch.chdir(tmp_path)
    return routes


@pytest.fixture
async def namespace(router: HostRouter) -> AsyncIterator[dict[str, Any]]:
    """What every block may take as given: the package, open clients and a project id."""
    async with (
        asyncdam.Phrase(token=DOC_TOKEN) as phrase,
        asyncdam.Phraseanet("https://dam.example.org", token=DOC_TOKEN) as pn,
        asyncdam.OpenAsset("https://acme.openasset.com", token=("5", "secret")) as oa,
    ):
        project = await phrase.projects.list().first_page()
        yield {
            "__name__": "__docs_example__",
            "asyncdam": asyncdam,
            "os": os,
            "phrase": phrase,
            "pn": pn,
            "oa": oa,
            "project_id": project.items[0].id,
        }


def run_as_test_module(code: str, where: Path) -> None:
    """A block of `test_*` functions: run it with pytest (and the asyncdam plugin)."""
    module = where / "test_doc_example.py"
    module.write_text(code, encoding="utf-8")
    result = subprocess.run(  # noqa: S603 - our interpreter, our temp file
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
         str(module)],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("path", "line", "code"), list(python_blocks()))
async def test_doc_example_runs(
    path: Path, line: int, code: str, namespace: dict[str, Any], tmp_path: Path
) -> None:
    if re.search(r"^(async )?def test_", code, re.MULTILINE):
        run_as_test_module(code, tmp_path)
        return
    compiled = compile(code, f"{path.name}:{line}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(compiled, namespace)  # noqa: S307 - the repository's own documentation
    if inspect.iscoroutine(result):
        await result
    # A block that defines `main()` (the usual script shape) runs it, as `asyncio.run` would.
    main = namespace.get("main")
    if inspect.iscoroutinefunction(main) and "asyncio.run(" not in code:
        await main()


def test_blocks_are_found() -> None:
    found = list(python_blocks())
    assert len(found) >= 10
    assert any(p.values[0].name == "README.md" for p in found)


async def test_a_failing_block_fails(namespace: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(asyncdam.NotFound):
        await test_doc_example_runs(
            Path("x.md"), 1, 'await phrase.projects.show("missing")\n', namespace, tmp_path
        )
    with pytest.raises(AssertionError):
        run_as_test_module("def test_no():\n    assert False\n", tmp_path)


async def test_an_unknown_host_fails(namespace: dict[str, Any], tmp_path: Path) -> None:
    code = 'async with asyncdam.Phrase(token="...", base_url="https://else.example/v2") as p:\n'
    code += "    await p.projects.list().first_page()\n"
    with pytest.raises(asyncdam.TransportError):
        await test_doc_example_runs(Path("x.md"), 1, code, namespace, tmp_path)


def test_no_test_marker_skips_only_the_next_block() -> None:
    page = "<!-- no-test -->\n```python\nraise SystemExit\n```\n\n```python\nx = 1\n```\n"
    assert list(blocks_of(page)) == [(2, "raise SystemExit\n", True), (6, "x = 1\n", False)]
