"""Run the `asyncdam` CLI with a stand-in Phrase emulator, so CLI tests need no real service app.

The stand-in answers GET /v2/whoami with the settings it was given, if the request carries
`Authorization: token <the configured token>`; 401 otherwise.
"""

from __future__ import annotations

import runpy
import sys
import types

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from asyncdam.emulator.config import EmulatorConfig


def create_app(config: EmulatorConfig) -> Starlette:
    """The stand-in app."""

    async def whoami(request: Request) -> Response:
        if request.headers.get("authorization") != f"token {config.token}":
            return JSONResponse({"message": "Unauthorized"}, status_code=401)
        settings = {
            "seed": config.seed,
            "quota": config.quota,
            "window": config.window,
            "concurrency": config.concurrency,
            "size": config.size,
            "faults": {
                "latency_ms": config.faults.latency_ms,
                "error_rate": config.faults.error_rate,
                "slow_body_ms": config.faults.slow_body_ms,
                "seed": config.faults.seed,
            },
        }
        return JSONResponse(settings)

    return Starlette(routes=[Route("/v2/whoami", whoami)])


if __name__ == "__main__":
    fake = types.ModuleType("asyncdam.emulator.phrase")
    fake.BASE_PATH = "/v2"  # type: ignore[attr-defined]
    fake.create_app = create_app  # type: ignore[attr-defined]
    sys.modules["asyncdam.emulator.phrase"] = fake
    runpy.run_module("asyncdam.cli.main", run_name="__main__", alter_sys=True)
