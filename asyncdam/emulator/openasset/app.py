"""Build the OpenAsset emulator: store, state, auth gate, fault layer and routes."""

from __future__ import annotations

import hashlib

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.faults import FaultMiddleware
from asyncdam.emulator.openasset.auth import AuthGate
from asyncdam.emulator.openasset.routes import METHODS, rest
from asyncdam.emulator.openasset.seed import build_store
from asyncdam.emulator.openasset.state import Sessions, Settings, Stats
from asyncdam.emulator.openasset.uploads import download
from asyncdam.emulator.quirks import OPENASSET_RULES, QuirkMiddleware, QuirkStats


def create_app(config: EmulatorConfig) -> Starlette:
    """A fresh OpenAsset emulator seeded from `config`; knobs live on `app.state`.

    `app.state.settings` (Settings), `.stats` (Stats), `.sessions` (Sessions), `.store` (Store),
    `.config` (the EmulatorConfig).
    """
    routes = [
        Route("/REST/1/{path:path}", rest, methods=METHODS),
        Route("/REST/1", rest, methods=METHODS),
        Route(
            "/storage/{file_id:int}/{size_id:int}/{name:path}", download, methods=["GET", "HEAD"]
        ),
    ]
    quirk_stats = QuirkStats()
    # The gate is outermost so faults hit authenticated traffic and still carry X-* headers.
    middleware = [
        Middleware(AuthGate, config=config),
        Middleware(FaultMiddleware, faults=config.faults),
        # Inside the faults: quirks reshape the JSON, faults then mangle the bytes.
        Middleware(
            QuirkMiddleware,
            rules=OPENASSET_RULES,
            quirks=config.quirks,
            seed=config.seed,
            stats=quirk_stats,
        ),
    ]
    app = Starlette(routes=routes, middleware=middleware)
    settings = Settings()
    app.state.config = config
    app.state.quirk_stats = quirk_stats
    app.state.settings = settings
    app.state.stats = Stats()
    app.state.sessions = Sessions(settings)
    app.state.store = build_store(config.seed, config.size)
    app.state.signed_tokens = {}  # legacy OAT tokens by id (POST /REST/1/AuthenticationTokens)
    app.state.jwt_secret = hashlib.sha256(f"openasset-emulator:{config.seed}".encode()).digest()
    return app
