"""A tiny Starlette app behind FaultMiddleware, for testing the emulator infrastructure alone."""

from __future__ import annotations

from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from asyncdam.emulator.config import FaultConfig
from asyncdam.emulator.faults import FaultMiddleware

PAYLOAD = {"hello": "world", "filler": "x" * 400}


@attrs.define
class Hits:
    """How many requests reached the wrapped routes."""

    count: int = 0


def tiny_routes(hits: Hits) -> Starlette:
    """Routes: /hello (JSON), /empty (204), /boom (raises)."""

    async def hello(request: Request) -> Response:
        hits.count += 1
        return JSONResponse(PAYLOAD)

    async def empty(request: Request) -> Response:
        hits.count += 1
        return Response(status_code=204)

    async def boom(request: Request) -> Response:
        raise RuntimeError("boom")

    routes = [Route("/hello", hello), Route("/empty", empty), Route("/boom", boom)]
    return Starlette(routes=routes)


def tiny_app(faults: FaultConfig, **kwargs: Any) -> tuple[FaultMiddleware, Hits]:
    """The tiny routes wrapped in a FaultMiddleware, and their hit counter."""
    hits = Hits()
    return FaultMiddleware(tiny_routes(hits), faults, **kwargs), hits
